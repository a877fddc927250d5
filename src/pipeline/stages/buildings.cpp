// Very-high-resolution RGB (drone orthomosaics, aerial photos): the change between the dates is
// the building method's (core/building_change.h: new and demolished buildings, converted
// ground), as `farmwatch change` finds it on such a pair, not the spectral test's, which three
// uncalibrated visible bands at sub-metre pixels defeat. The land-use maps of both dates stay
// the classification's (RGB rules) except where the method saw built-up land; the change
// rasters the per-pixel stage wrote are replaced, so the patches, parcels, reports, tiles and
// database of the run come from what the method found.
#include <algorithm>
#include <cmath>
#include <map>

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
    auto before_classes = read_whole<std::uint8_t>(job.landuse_out[0], grid, io::PixelType::u8);
    auto after_classes = read_whole<std::uint8_t>(job.landuse_out[1], grid, io::PixelType::u8);
    std::vector<std::uint32_t> parcels;
    if (!job.parcels.empty())
      parcels = read_whole<std::uint32_t>(job.parcels, grid, io::PixelType::u32);
    BuildingChangeParams params;
    params.pixel_size_m = std::sqrt(io::mean_pixel_area_m2(grid));
    // A co-registration shift (coregister's report, in pixels of the grid) within the method's
    // own tolerance is left to the method: reading the later date shifted resamples it
    // (bilinear), which smooths the texture the method compares (a 0.2-pixel shift turned a
    // demolished house into a small new building on the generated pair of the tests).
    io::ImageInfo later = b;
    double shift_m = 0;
    if (ctx.coregistration.is_object() && ctx.coregistration.contains("shift_px")) {
      const auto& px = ctx.coregistration["shift_px"];
      shift_m = params.pixel_size_m * std::hypot(px[0].get<double>(), px[1].get<double>());
    }
    if (shift_m < params.tolerance_m) {
      later.shift_x = later.shift_y = 0;
      if (b.shift_x != 0 || b.shift_y != 0)
        log.info("the co-registration shift of '" + b.path +
                 "' is within the building method's tolerance: read in place");
    }
    RgbImage before = io::read_rgb_on_grid(a, grid);
    RgbImage after = io::read_rgb_on_grid(later, grid);
    keep_data(before, before_classes);
    keep_data(after, after_classes);
    const std::size_t n = before_classes.size();
    std::vector<std::uint8_t> change(n, 0), evidence(n, 255), kinds(n, 0);
    for (std::size_t i = 0; i < n; ++i)
      if (!before.valid[i] || !after.valid[i]) change[i] = 255;
    // An office's change model (change_model), else the building method.
    const std::string& model = ctx.spec.change_model;
    if (!model.empty()) {
      require_data(before, a.path);
      require_data(after, later.path);
    }
    const BuildingChange found =
        model.empty()
            ? detect_building_change(std::move(before), std::move(after), params)
            : detect_vhr_change_learned(before, after, load_change_model(model), params);
    // A new building or converted ground changed its pixels from their earlier class to
    // built-up land, a demolished building from built-up land to their later class: the change
    // rules say what that is (非农化 on farmland; outside it, as the rules' outside_farmland
    // says). The evidence is the object's confidence, as `change` reports it.
    const std::uint8_t built = table.find(std::string("built_up"))->code;  // validate checked
    std::vector<std::uint8_t> confidence(found.objects.size() + 1, 255);
    std::vector<VhrChangeKind> kind(found.objects.size() + 1, VhrChangeKind::new_building);
    for (const auto& o : found.objects) {
      const auto k = static_cast<std::size_t>(o.id);
      confidence[k] =
          static_cast<std::uint8_t>(std::lround(100 * vhr_change_confidence(o, params)));
      kind[k] = o.kind;
    }
    // The land use shows what the method saw: built-up land later at a new building or
    // converted ground, earlier at a demolished building, whatever the RGB rules made of a
    // dark or coloured roof. Land a change model calls changed (land_changed) keeps the
    // classes the rules gave it; its category is what the change rules make of them, other
    // change (其他变化) where they call it no change.
    for (std::size_t i = 0; i < n; ++i) {
      const auto id = static_cast<std::size_t>(found.labels[i]);
      if (id == 0 || change[i] == 255) continue;
      if (kind[id] == VhrChangeKind::land_changed) {
        ChangeCategory c = ctx.spec.change.rules.categorize(
            before_classes[i], after_classes[i], parcels.empty() || parcels[i] != 0);
        if (c == ChangeCategory::none || c == ChangeCategory::nodata) c = ChangeCategory::other;
        change[i] = static_cast<std::uint8_t>(c);
        evidence[i] = confidence[id];
        kinds[i] = static_cast<std::uint8_t>(kind[id]);
        continue;
      }
      const bool demolished = kind[id] == VhrChangeKind::demolished_building;
      const int date = demolished ? 0 : 1;
      auto& classes = demolished ? before_classes : after_classes;
      --ctx.pixels.class_pixels[date][classes[i]];
      ++ctx.pixels.class_pixels[date][built];
      classes[i] = built;
      const ChangeCategory c = ctx.spec.change.rules.categorize(
          before_classes[i], after_classes[i], parcels.empty() || parcels[i] != 0);
      if (c == ChangeCategory::none) continue;
      change[i] = static_cast<std::uint8_t>(c);
      evidence[i] = confidence[id];
      kinds[i] = static_cast<std::uint8_t>(kind[id]);
    }
    const bool any_demolished =
        std::any_of(found.objects.begin(), found.objects.end(), [](const BuildingObject& o) {
          return o.kind == VhrChangeKind::demolished_building;
        });
    if (any_demolished) engine::write_landuse(job, 0, before_classes);
    engine::write_landuse(job, 1, after_classes);
    ctx.pixels.change_pixels = engine::write_change(job, change, evidence);
    engine::write_change_kinds(job, kinds);
    ctx.buildings_report = building_method_summary(params);
    ctx.buildings_report["pixel_size_m"] = std::round(params.pixel_size_m * 1e4) / 1e4;
    if (!model.empty()) {
      ctx.buildings_report["change_model"] = model;
      ctx.buildings_report["note"] =
          "objects found by the change model; kinds from the building method where it found "
          "the object, else land_changed";
    }
    ctx.buildings_report["objects"] = found.objects.size();
    std::map<std::string, std::size_t> by_kind;
    for (auto k : kVhrChangeKinds)
      by_kind[vhr_change_kind_key(k)] = 0;
    for (const auto& o : found.objects) ++by_kind[vhr_change_kind_key(o.kind)];
    ctx.buildings_report["objects_by_kind"] = by_kind;
    log.info(std::to_string(by_kind["new_building"]) + " new building(s), " +
             std::to_string(by_kind["demolished_building"]) + " demolished, " +
             std::to_string(by_kind["ground_converted"]) + " ground conversion(s)" +
             (model.empty() ? std::string()
                            : ", " + std::to_string(by_kind["land_changed"]) +
                                  " other land change(s) (change model '" + model + "')") +
             " between '" +
             a.path + "' and '" + b.path + "' (very-high-resolution RGB, " +
             std::to_string(params.pixel_size_m) + " m pixels)");
  }
};

}  // namespace

std::unique_ptr<Stage> buildings() { return std::make_unique<Buildings>(); }

}  // namespace farmwatch::pipeline::stages
