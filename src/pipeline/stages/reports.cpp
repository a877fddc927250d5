// The change report in three formats with one schema.
#include <tbb/task_group.h>

#include "farmwatch/io/html_report.h"
#include "farmwatch/io/patch_writer.h"
#include "farmwatch/version.h"
#include "stages.h"

namespace farmwatch::pipeline::stages {
namespace {

class Reports : public Stage {
 public:
  // rasters: the chips are cut from the imagery (its COGs where the run kept no raster of it).
  Reports()
      : Stage("reports", {Product::patches, Product::parcel_stats, Product::rasters},
              {Product::reports}) {}

 private:
  bool applies(const RunContext& ctx) const override {
    return ctx.compares_dates() && ctx.spec.outputs.reports;
  }
  void run(RunContext& ctx, const Log&) override {
    const auto& d = ctx.spec.dates;
    const io::ReportContext rc{
        d[0].date,       d[1].date, d[0].sensor, d[1].sensor, &ctx.spec.classifier->classes(),
        ctx.grid.crs_wkt, /*change_kinds=*/ctx.vhr};
    const auto& staging = ctx.out->staging();
    const auto& patches = ctx.patches.patches;
    // The formats are written side by side (each its own file and GDAL dataset).
    tbb::task_group formats;
    formats.run([&] { io::write_patches_gpkg((staging / "changes.gpkg").string(), patches, rc); });
    formats.run([&] { io::write_patches_geojson((staging / "changes.geojson").string(), patches, rc); });
    formats.run([&] { io::write_patches_csv((staging / "changes.csv").string(), patches, rc); });
    formats.run([&] { io::write_patches_xlsx((staging / "changes.xlsx").string(), patches, rc); });

    io::HtmlReportInput html;
    html.context = rc;
    html.title = "耕地保护监测报告 " + ctx.spec.name + " " + d[0].date + " → " + d[1].date;
    // Chips need imagery; a comparison of two land-use maps has none. The run's own true
    // colour (stretched once per scene) when it wrote it, else the first scene of each date:
    // the imagery layer's raster as the run made it (a merge: the shards' pieces), not its
    // COG, whose JPEG tiles each chip decoded again (a third of the reports' time).
    if (!ctx.images[0].is_class_map() && !ctx.images[1].is_class_map()) {
      auto made = [&](std::size_t i) {
        return i < ctx.imagery.size() && !ctx.imagery[i].empty() &&
               std::filesystem::exists(ctx.imagery[i]);
      };
      const auto before = staging / ("imagery_" + d[0].date + ".tif");
      const auto after = staging / ("imagery_" + d[1].date + ".tif");
      if (made(0) && made(1)) {
        html.image_before = ctx.imagery[0];
        html.image_after = ctx.imagery[1];
        html.images_scene_stretched = true;
      } else if (std::filesystem::exists(before) && std::filesystem::exists(after)) {
        html.image_before = before.string();
        html.image_after = after.string();
        html.images_scene_stretched = true;
      } else {
        html.image_before = ctx.images[0].scenes.front().path;
        html.image_after = ctx.images[1].scenes.front().path;
      }
    }
    html.max_chips = ctx.spec.outputs.max_chips;
    html.viewer = ctx.spec.outputs.tiles;  // the viewer stage writes index.html with the tiles
    html.generated = ctx.generated_utc;
    html.version = kVersion;
    html.patches = &patches;
    html.farmland = ctx.farmland ? &*ctx.farmland : nullptr;
    html.extent = ctx.grid.extent();
    std::vector<std::string> report_files;
    formats.run([&] { report_files = io::write_html_report(staging.string(), html); });
    formats.wait();
    for (const char* f : {"changes.gpkg", "changes.geojson", "changes.csv", "changes.csvt",
                          "changes.xlsx"})
      ctx.files.push_back(f);
    for (const auto& f : report_files) ctx.files.push_back(f);
  }
};

}  // namespace

std::unique_ptr<Stage> reports() { return std::make_unique<Reports>(); }

}  // namespace farmwatch::pipeline::stages
