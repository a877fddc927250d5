// Very-high-resolution RGB (drone orthomosaics, aerial photos): the change between the dates is
// the building method's (core/building_change.h), as `farmwatch change` finds it on such a pair,
// not the spectral test's, which three uncalibrated visible bands at sub-metre pixels defeat.
// The land-use maps of both dates stay the classification's (RGB rules); the change rasters the
// per-pixel stage wrote are replaced, so the patches, parcels, reports, tiles and database of
// the run come from the new buildings.
#include <algorithm>
#include <cmath>

#include "farmwatch/core/error.h"
#include "farmwatch/io/geodesic.h"
#include "farmwatch/io/pixel_grid.h"
#include "farmwatch/pipeline/pixel_change.h"
#include "stages.h"

namespace farmwatch::pipeline::stages {
namespace {

class Buildings : public Stage {
 public:
  Buildings()
      : Stage("buildings", {Product::inputs, Product::workspace, Product::landuse_change},
              {Product::building_change}) {}

 private:
  bool applies(const RunContext& ctx) const override { return ctx.vhr; }

  void run(RunContext& ctx, const Log& log) override {
    const Grid& grid = ctx.grid;
    const io::ImageInfo& a = ctx.images[0].scenes.front();
    const io::ImageInfo& b = ctx.images[1].scenes.front();
    // The method holds both images whole (about 90 bytes a pixel with its working planes).
    if (static_cast<double>(grid.width) * grid.height > kMaxVhrPixels)
      throw InputError(
          "the analysis grid is " + std::to_string(grid.width) + "x" +
          std::to_string(grid.height) + " pixels over '" + a.path + "' and '" + b.path +
          "': very-high-resolution change holds the whole pair in memory, up to " +
          std::to_string(static_cast<long long>(kMaxVhrPixels / 1e6)) +
          " million pixels; set a smaller grid.extent or a coarser grid.resolution");
    RgbImage before = io::read_rgb_on_grid(a, grid);
    RgbImage after = io::read_rgb_on_grid(b, grid);
    const std::size_t n = static_cast<std::size_t>(grid.width) * grid.height;
    std::vector<std::uint8_t> change(n, 0), evidence(n, 255);
    for (std::size_t i = 0; i < n; ++i)
      if ((!before.valid.empty() && !before.valid[i]) || (!after.valid.empty() && !after.valid[i]))
        change[i] = 255;
    BuildingChangeParams params;
    params.pixel_size_m = std::sqrt(io::mean_pixel_area_m2(grid));
    const BuildingChange found = detect_building_change(std::move(before), std::move(after), params);
    // A pixel of a new building: 非农化, with its object's confidence as evidence (the
    // outline check, as `change` reports it).
    std::vector<std::uint8_t> confidence(found.objects.size() + 1, 255);
    for (const auto& o : found.objects)
      confidence[static_cast<std::size_t>(o.id)] = static_cast<std::uint8_t>(std::lround(
          100 * std::clamp(1.0 - o.edge_support / params.max_edge_support, 0.0, 1.0)));
    for (std::size_t i = 0; i < n; ++i)
      if (const auto id = found.labels[i]; id != 0 && change[i] != 255) {
        change[i] = static_cast<std::uint8_t>(ChangeCategory::non_agricultural);
        evidence[i] = confidence[static_cast<std::size_t>(id)];
      }
    ctx.pixels.change_pixels = engine::write_change(ctx.job, change, evidence);
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
