#include "farmwatch/pipeline/pixel_change.h"

#include <cmath>

#include "farmwatch/core/building_change.h"
#include "farmwatch/core/change_rules.h"
#include "farmwatch/core/error.h"
#include "farmwatch/engine/block_engine.h"
#include "farmwatch/engine/landuse_change.h"
#include "farmwatch/io/csv_writer.h"
#include "farmwatch/io/pixel_grid.h"
#include "farmwatch/io/raster_writer.h"
#include "farmwatch/pipeline/output_dir.h"
#include "farmwatch/version.h"

namespace farmwatch::pipeline {
using json = nlohmann::json;

namespace {

double round_to(double v, double unit) { return std::round(v / unit) * unit; }

void write_change_raster(const std::string& path, int width, int height,
                         const std::vector<std::uint8_t>& nodata, const BuildingChange& change) {
  io::RasterLayout layout;
  layout.grid.width = width;
  layout.grid.height = height;
  layout.georeferenced = false;
  layout.nodata = 255;
  layout.colors = engine::change_colors();
  layout.metadata = {{"FARMWATCH_LAYER", "change"}, {"FARMWATCH_GRID", "pixel"}};
  layout.description = "change: 0 none, 1 new building (非农化), 255 nodata";
  std::vector<std::uint8_t> px(change.labels.size());
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = nodata[i] ? 255 : change.labels[i] ? 1 : 0;
  io::BlockRasterWriter writer(path, layout);
  writer.write({0, 0, width, height}, px.data());
  writer.close();
}

io::CsvTable patches_csv(const BuildingChange& change, double m2_per_px) {
  io::CsvTable t;
  t.header = {"id",         "category",     "label",          "area_px",        "area_m2",
              "col_min",    "row_min",      "col_max",        "row_max",        "centroid_col",
              "centroid_row", "saturation_drop", "edge_support"};
  auto n = [](double v, int d) { return io::csv_number(v, d); };
  for (const auto& o : change.objects)
    t.rows.push_back({std::to_string(o.id), category_key(ChangeCategory::non_agricultural),
                      category_label(ChangeCategory::non_agricultural), std::to_string(o.pixels),
                      n(double(o.pixels) * m2_per_px, 2), std::to_string(o.col_min),
                      std::to_string(o.row_min), std::to_string(o.col_max),
                      std::to_string(o.row_max), n(o.centroid_col, 2), n(o.centroid_row, 2),
                      n(o.saturation_drop, 4), n(o.edge_support, 4)});
  return t;
}

}  // namespace

json run_pixel_grid_change(const PixelChangeRequest& req, const Log& log) {
  const engine::ThreadLimit threads(req.threads);
  RgbImage before = io::read_rgb(req.before, req.bands);
  RgbImage after = io::read_rgb(req.after, req.bands);
  if (before.width != after.width || before.height != after.height)
    throw InputError("rasters '" + req.before + "' (" + std::to_string(before.width) + "x" +
                     std::to_string(before.height) + ") and '" + req.after + "' (" +
                     std::to_string(after.width) + "x" + std::to_string(after.height) +
                     ") have no georeference and differ in size: without one, only images of "
                     "the same pixel grid can be compared");
  const double pixel = req.pixel_size_m.value_or(kAssumedPixelSizeM);
  log.warn("'" + req.before + "' and '" + req.after +
           "' have no coordinate reference system: comparing them on their pixel grid for new "
           "buildings (no map outputs, no farmland overlay); " +
           (req.pixel_size_m
                ? "pixels of " + json(pixel).dump() + " m as given"
                : "assuming pixels of " + json(pixel).dump() + " m (say --pixel-size M)"));

  const int width = before.width, height = before.height;
  std::vector<std::uint8_t> nodata_mask(std::size_t(width) * height, 0);
  std::int64_t nodata = 0;
  for (std::size_t i = 0; i < nodata_mask.size(); ++i)
    if ((!before.valid.empty() && !before.valid[i]) || (!after.valid.empty() && !after.valid[i])) {
      nodata_mask[i] = 1;
      ++nodata;
    }

  BuildingChangeParams params;
  params.pixel_size_m = pixel;
  const BuildingChange change = detect_building_change(std::move(before), std::move(after), params);

  StagedDir out(req.out_dir);
  write_change_raster((out.staging() / "change.tif").string(), width, height, nodata_mask, change);
  const double m2_per_px = pixel * pixel;
  write_file_atomically(out.staging() / "changes.csv", patches_csv(change, m2_per_px).text());

  std::int64_t changed = 0;
  for (auto label : change.labels) changed += label != 0;
  json cats = json::object();
  for (auto c :
       {ChangeCategory::non_agricultural, ChangeCategory::non_grain, ChangeCategory::other}) {
    const bool built = c == ChangeCategory::non_agricultural;
    cats[category_key(c)] = {
        {"label", category_label(c)},
        {"patches", built ? change.objects.size() : 0},
        {"area_px", built ? changed : 0},
        {"area_m2", built ? round_to(double(changed) * m2_per_px, 0.01) : 0.0}};
  }
  json s;
  s["farmwatch_version"] = kVersion;
  s["grid"] = {
      {"crs", nullptr},        {"kind", "pixel"},
      {"width", width},        {"height", height},
      {"pixel_size_m", pixel}, {"pixel_size_source", req.pixel_size_m ? "given" : "assumed"}};
  s["inputs"] = {{"before", req.before}, {"after", req.after}};
  s["method"] = {{"name", "building change (very-high-resolution RGB)"},
                 {"window_m", params.window_m},
                 {"saturation_drop", params.saturation_drop},
                 {"structure_change", params.structure_change},
                 {"min_area_m2", params.min_area_m2},
                 {"tolerance_m", params.tolerance_m},
                 {"max_edge_support", params.max_edge_support}};
  s["changes"] = {{"categories", cats},
                  {"patches", change.objects.size()},
                  {"pixels_changed", changed},
                  {"pixels_nodata", nodata}};
  s["outputs"] = {{"dir", out.target().string()},
                  {"files", {"change.tif", "changes.csv", "summary.json"}}};
  write_file_atomically(out.staging() / "summary.json", s.dump(2) + "\n");
  out.commit();
  return s;
}

}  // namespace farmwatch::pipeline
