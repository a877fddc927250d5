// Very-high-resolution RGB (drone orthomosaics, aerial photos): the change between the dates is
// the building method's (core/building_change.h), as `farmwatch change` finds it on such a pair,
// not the spectral test's, which three uncalibrated visible bands at sub-metre pixels defeat.
// The land-use maps of both dates stay the classification's (RGB rules); the change rasters the
// per-pixel stage wrote are replaced, so the patches, parcels, reports, tiles and database of
// the run come from the new buildings.
#include <cmath>

#include "farmwatch/core/error.h"
#include "farmwatch/io/geodesic.h"
#include "farmwatch/io/pixel_grid.h"
#include "farmwatch/io/raster_writer.h"
#include "farmwatch/pipeline/pixel_change.h"
#include "stages.h"

namespace farmwatch::pipeline::stages {
namespace {

/// Band 1 of a raster the run wrote on `grid`, whole, as `T` (PixelType `type`).
template <typename T>
std::vector<T> read_whole(const std::string& path, const Grid& grid, io::PixelType type) {
  std::vector<T> v(static_cast<std::size_t>(grid.width) * grid.height);
  io::BlockRasterReader(path).read({0, 0, grid.width, grid.height}, 1, type, v.data());
  return v;
}

/// Pixels without data in the date's land-use map (outside the image, its alpha band or mask,
/// a quality layer's cloud) are no data to the method too. Classes the rules call unobserved
/// (the RGB rules' deep shadow) are not: a new building's shadow is part of what the method
/// sees of it.
void keep_data(RgbImage& image, const std::vector<std::uint8_t>& classes) {
  if (image.valid.empty()) image.valid.assign(classes.size(), 1);
  for (std::size_t i = 0; i < classes.size(); ++i)
    if (classes[i] == kNodataCode) image.valid[i] = 0;
}

class Buildings : public Stage {
 public:
  Buildings()
      : Stage("buildings", {Product::inputs, Product::workspace, Product::landuse_change},
              {Product::building_change}) {}

 private:
  bool applies(const RunContext& ctx) const override { return ctx.vhr; }

  void run(RunContext& ctx, const Log& log) override {
    const Grid& grid = ctx.grid;
    const auto& job = ctx.job;
    const ClassTable& table = ctx.spec.classifier->classes();
    const io::ImageInfo& a = ctx.images[0].scenes.front();
    const io::ImageInfo& b = ctx.images[1].scenes.front();
    const auto before_classes = read_whole<std::uint8_t>(job.landuse_out[0], grid, io::PixelType::u8);
    auto after_classes = read_whole<std::uint8_t>(job.landuse_out[1], grid, io::PixelType::u8);
    std::vector<std::uint32_t> parcels;
    if (!job.parcels.empty())
      parcels = read_whole<std::uint32_t>(job.parcels, grid, io::PixelType::u32);
    RgbImage before = io::read_rgb_on_grid(a, grid);
    RgbImage after = io::read_rgb_on_grid(b, grid);
    keep_data(before, before_classes);
    keep_data(after, after_classes);
    const std::size_t n = before_classes.size();
    std::vector<std::uint8_t> change(n, 0), evidence(n, 255);
    for (std::size_t i = 0; i < n; ++i)
      if (!before.valid[i] || !after.valid[i]) change[i] = 255;
    BuildingChangeParams params;
    params.pixel_size_m = std::sqrt(io::mean_pixel_area_m2(grid));
    const BuildingChange found = detect_building_change(std::move(before), std::move(after), params);
    // A new building's pixel changed from its earlier class to built-up land: the change rules
    // say what that is (非农化 on farmland; outside it, as the rules' outside_farmland says).
    // Its evidence is the object's outline check, as `change` reports it for confidence.
    const std::uint8_t built = table.find(std::string("built_up"))->code;  // validate checked
    std::vector<std::uint8_t> confidence(found.objects.size() + 1, 255);
    for (const auto& o : found.objects)
      confidence[static_cast<std::size_t>(o.id)] = static_cast<std::uint8_t>(
          std::lround(100 * building_confidence(o, params.max_edge_support)));
    // The later date's land use shows the new buildings: built-up land, whatever the RGB rules
    // made of a dark or coloured roof.
    auto& counts = ctx.pixels.class_pixels[1];
    for (std::size_t i = 0; i < n; ++i) {
      const auto id = found.labels[i];
      if (id == 0 || change[i] == 255) continue;
      --counts[after_classes[i]];
      ++counts[built];
      after_classes[i] = built;
      const ChangeCategory c = ctx.spec.change.rules.categorize(
          before_classes[i], built, parcels.empty() || parcels[i] != 0);
      if (c == ChangeCategory::none) continue;
      change[i] = static_cast<std::uint8_t>(c);
      evidence[i] = confidence[static_cast<std::size_t>(id)];
    }
    engine::write_landuse(job, 1, after_classes);
    ctx.pixels.change_pixels = engine::write_change(job, change, evidence);
    ctx.buildings_report = building_method_summary(params);
    ctx.buildings_report["pixel_size_m"] = std::round(params.pixel_size_m * 1e4) / 1e4;
    ctx.buildings_report["objects"] = found.objects.size();
    log.info(std::to_string(found.objects.size()) + " new building(s) between '" + a.path +
             "' and '" + b.path + "' (very-high-resolution RGB, " +
             std::to_string(params.pixel_size_m) + " m pixels)");
  }
};

}  // namespace

std::unique_ptr<Stage> buildings() { return std::make_unique<Buildings>(); }

}  // namespace farmwatch::pipeline::stages
