#include "farmwatch/pipeline/pixel_change.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "farmwatch/core/building_change.h"
#include "farmwatch/core/change_rules.h"
#include "farmwatch/core/error.h"
#include "farmwatch/core/vhr_change_model.h"
#include "farmwatch/engine/block_engine.h"
#include "farmwatch/engine/landuse_change.h"
#include "farmwatch/io/building_patches.h"
#include "farmwatch/io/cog_writer.h"
#include "farmwatch/io/csv_writer.h"
#include "farmwatch/io/geodesic.h"
#include "farmwatch/io/gis_styles.h"
#include "farmwatch/io/patch_writer.h"
#include "farmwatch/io/pixel_grid.h"
#include "farmwatch/io/raster_writer.h"
#include "farmwatch/io/spatial_ref.h"
#include "farmwatch/pipeline/output_dir.h"
#include "farmwatch/pipeline/rules_file.h"
#include "farmwatch/version.h"

namespace farmwatch::pipeline {
using json = nlohmann::json;

namespace {

double round_to(double v, double unit) { return std::round(v / unit) * unit; }

/// `grid`: the change map's grid; georeferenced when it has a CRS.
void write_change_raster(const std::string& path, const Grid& grid,
                         const std::vector<std::uint8_t>& nodata, const BuildingChange& change) {
  io::RasterLayout layout;
  layout.grid = grid;
  layout.georeferenced = !grid.crs_wkt.empty();
  layout.nodata = 255;
  layout.colors = engine::change_colors();
  layout.metadata = {{"FARMWATCH_LAYER", "change"},
                     {"FARMWATCH_GRID", layout.georeferenced ? "map" : "pixel"}};
  layout.description =
      "change: 0 none, 1 new building or ground converted (非农化), 3 demolished building "
      "or, from a change model, land changed (other change), 255 nodata";
  std::vector<std::uint8_t> code(change.objects.size() + 1, 0);
  for (const auto& o : change.objects) code[o.id] = std::uint8_t(vhr_change_category(o.kind));
  std::vector<std::uint8_t> px(change.labels.size());
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = nodata[i] ? 255 : code[change.labels[i]];
  io::write_cog_of_pixels(layout, px.data(), io::kClassMapCog, path);
  // On a map: class names, colours (no change transparent) and the QGIS style beside it, as
  // every change.tif has.
  if (layout.georeferenced) io::describe_class_raster(path, io::change_entries());
}

io::CsvTable patches_csv(const BuildingChange& change, const BuildingChangeParams& params,
                         double m2_per_px) {
  io::CsvTable t;
  t.header = {"id",           "category",        "label",        "change_kind",
              "change_kind_code", "area_px",     "area_m2",      "col_min",
              "row_min",      "col_max",         "row_max",      "centroid_col",
              "centroid_row", "saturation_drop", "edge_support", "confidence"};
  auto n = [](double v, int d) { return io::csv_number(v, d); };
  for (const auto& o : change.objects) {
    const ChangeCategory c = vhr_change_category(o.kind);
    t.rows.push_back({std::to_string(o.id), category_key(c), category_label(c),
                      vhr_change_kind_label(o.kind), vhr_change_kind_key(o.kind),
                      std::to_string(o.pixels), n(double(o.pixels) * m2_per_px, 2),
                      std::to_string(o.col_min), std::to_string(o.row_min),
                      std::to_string(o.col_max), std::to_string(o.row_max),
                      n(o.centroid_col, 2), n(o.centroid_row, 2), n(o.saturation_drop, 4),
                      n(o.edge_support, 4), n(vhr_change_confidence(o, params), 4)});
  }
  return t;
}

/// Whether `im` has no pixel with data.
bool without_data(const RgbImage& im) {
  return !im.valid.empty() &&
         std::none_of(im.valid.begin(), im.valid.end(), [](std::uint8_t v) { return v != 0; });
}

/// InputError naming both images when no pixel has data in both (their masks, alpha bands or
/// no-data values, do not overlap): nothing to compare.
void require_common_data(const RgbImage& a, const RgbImage& b, const std::string& path_a,
                         const std::string& path_b) {
  if (a.valid.empty() || b.valid.empty()) return;
  for (std::size_t i = 0; i < a.valid.size() && i < b.valid.size(); ++i)
    if (a.valid[i] && b.valid[i]) return;
  throw InputError("rasters '" + path_a + "' and '" + path_b +
                   "' have no pixel with data in common (their masks do not overlap): nothing "
                   "to compare");
}


/// The building method's result on one grid, with what both entry points report of it.
struct Detected {
  BuildingChange change;
  BuildingChangeParams params;
  std::vector<std::uint8_t> nodata_mask;  ///< 1 where either date has no data
  std::int64_t nodata = 0, changed = 0;   ///< pixels
  std::string model;                      ///< the change model, if one was used
};

Detected detect(RgbImage before, RgbImage after, double pixel_m, const std::string& model) {
  Detected d;
  d.nodata_mask.assign(static_cast<std::size_t>(before.width) * before.height, 0);
  for (std::size_t i = 0; i < d.nodata_mask.size(); ++i)
    if ((!before.valid.empty() && !before.valid[i]) || (!after.valid.empty() && !after.valid[i])) {
      d.nodata_mask[i] = 1;
      ++d.nodata;
    }
  d.params.pixel_size_m = pixel_m;
  if (model.empty()) {
    d.change = detect_building_change(std::move(before), std::move(after), d.params);
  } else {
    d.model = model;
    d.change = detect_vhr_change_learned(before, after, load_change_model(model), d.params);
  }
  for (auto label : d.change.labels) d.changed += label != 0;
  return d;
}

/// summary.json's "method" and "changes" of a building-change run: per category and per kind,
/// objects, pixels and m²; `m2_of(object)` measures an object.
template <class AreaOf>
void summarise(const Detected& d, const AreaOf& m2_of, json& s) {
  struct Tally {
    std::size_t patches = 0;
    std::int64_t px = 0;
    double m2 = 0;
  };
  std::map<ChangeCategory, Tally> by_category;
  std::map<VhrChangeKind, Tally> by_kind;
  for (const auto& o : d.change.objects) {
    const double m2 = m2_of(o);
    for (Tally* t : {&by_category[vhr_change_category(o.kind)], &by_kind[o.kind]}) {
      ++t->patches;
      t->px += o.pixels;
      t->m2 += m2;
    }
  }
  auto entry = [](const char* label, const Tally& t) {
    return json{{"label", label},
                {"patches", t.patches},
                {"area_px", t.px},
                {"area_m2", round_to(t.m2, 0.01)}};
  };
  json cats = json::object(), kinds = json::object();
  for (auto c :
       {ChangeCategory::non_agricultural, ChangeCategory::non_grain, ChangeCategory::other})
    cats[category_key(c)] = entry(category_label(c), by_category[c]);
  for (auto k : kVhrChangeKinds)
    kinds[vhr_change_kind_key(k)] = entry(vhr_change_kind_label(k), by_kind[k]);
  s["method"] = building_method_summary(d.params);
  if (!d.model.empty())
    s["method"]["change_model"] = {
        {"file", d.model},
        {"name", "random forest over the pair's features and the building method's result"},
        {"note", "kinds from the building method where it found the object, else land_changed"}};
  s["changes"] = {{"categories", cats},
                  {"kinds", kinds},
                  {"patches", d.change.objects.size()},
                  {"pixels_changed", d.changed},
                  {"pixels_nodata", d.nodata}};
}

}  // namespace

json building_method_summary(const BuildingChangeParams& params) {
  return {{"name", "building and ground change (very-high-resolution RGB)"},
          {"window_m", params.window_m},
          {"saturation_drop", params.saturation_drop},
          {"structure_change", params.structure_change},
          {"min_area_m2", params.min_area_m2},
          {"tolerance_m", params.tolerance_m},
          {"max_edge_support", params.max_edge_support},
          {"demolished", params.demolished},
          {"ground_converted", params.ground_converted},
          {"ground_min_area_m2", params.ground_min_area_m2},
          {"max_ground_saturation", params.max_ground_saturation},
          {"max_excess_green", params.max_excess_green},
          {"min_outline_contrast", params.min_outline_contrast},
          {"min_roof_saturation", params.min_roof_saturation},
          {"min_roof_brightness", params.min_roof_brightness},
          {"max_roof_edge_support", params.max_roof_edge_support},
          {"max_water_brightness", params.max_water_brightness},
          {"block_gap_m", params.block_gap_m},
          {"max_block_hole_m2", params.max_block_hole_m2},
          {"min_change_magnitude", params.min_change_magnitude},
          {"grow_magnitude", params.grow_magnitude},
          {"grow_distance_m", params.grow_distance_m},
          {"grow_window_m", params.grow_window_m}};
}

json run_pixel_grid_change(const PixelChangeRequest& req, const Log& log) {
  const engine::ThreadLimit threads(req.threads);
  check_output_folder(req.out_dir, {req.before, req.after, req.change_model});
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
  Grid grid;
  grid.width = before.width;
  grid.height = before.height;
  require_data(before, req.before);
  require_data(after, req.after);
  require_common_data(before, after, req.before, req.after);
  StagedDir out(req.out_dir);  // before the work: an output folder it must not replace fails now
  const Detected d = detect(std::move(before), std::move(after), pixel, req.change_model);

  write_change_raster((out.staging() / "change.tif").string(), grid, d.nodata_mask, d.change);
  const double m2_per_px = pixel * pixel;
  write_file_atomically(out.staging() / "changes.csv",
                        patches_csv(d.change, d.params, m2_per_px).text());
  json s;
  s["farmwatch_version"] = kVersion;
  s["grid"] = {{"crs", nullptr},
               {"kind", "pixel"},
               {"width", grid.width},
               {"height", grid.height},
               {"pixel_size_m", pixel},
               {"pixel_size_source", req.pixel_size_m ? "given" : "assumed"}};
  s["inputs"] = {{"before", req.before}, {"after", req.after}};
  summarise(d, [&](const BuildingObject& o) { return double(o.pixels) * m2_per_px; }, s);
  s["outputs"] = {{"dir", out.target().string()},
                  {"files", {"change.tif", "changes.csv", "summary.json"}}};
  write_file_atomically(out.staging() / "summary.json", s.dump(2) + "\n");
  out.commit();
  return s;
}

bool is_vhr_rgb(const io::ImageInfo& info) {
  if (info.is_class_map || info.grid.crs_wkt.empty()) return false;
  if (!info.bands[BandRole::red] || !info.bands[BandRole::green] || !info.bands[BandRole::blue] ||
      info.bands[BandRole::nir])
    return false;
  return std::sqrt(io::mean_pixel_area_m2(info.grid)) <= kMaxVhrPixelM;
}

json run_vhr_change_on_grid(const PixelChangeRequest& req, const io::ImageInfo& ia,
                            const io::ImageInfo& ib, const Log& log) {
  const engine::ThreadLimit threads(req.threads);
  check_output_folder(req.out_dir, {req.before, req.after, req.change_model});
  const Grid& grid = ia.grid;
  const double pixel = std::sqrt(io::mean_pixel_area_m2(grid));
  log.info("'" + req.before + "' and '" + req.after + "': red, green and blue at " +
           json(round_to(pixel, 0.001)).dump() +
           " m with no near-infrared band: new and demolished buildings and converted ground by "
           "the very-high-resolution method, "
           "on the grid of '" + req.before + "'");
  // The method holds both images whole (about 90 bytes a pixel with its working planes).
  if (static_cast<double>(grid.width) * grid.height > kMaxVhrPixels)
    throw InputError("raster '" + req.before + "' is " + std::to_string(grid.width) + "x" +
                     std::to_string(grid.height) +
                     " pixels: very-high-resolution change holds the whole pair in memory, up to " +
                     std::to_string(static_cast<long long>(kMaxVhrPixels / 1e6)) +
                     " million pixels; cut the area into tiles (gdal_translate -srcwin) or "
                     "resample it coarser (gdalwarp -tr)");
  RgbImage after = io::read_rgb_on_grid(ib, grid);
  if (without_data(after))
    throw InputError("rasters '" + req.before + "' and '" + req.after +
                     "' do not overlap: nothing to compare");
  RgbImage before = io::read_rgb_on_grid(ia, grid);
  require_data(before, req.before);
  require_common_data(before, after, req.before, req.after);
  StagedDir out(req.out_dir);  // before the work: an output folder it must not replace fails now
  const Detected d = detect(std::move(before), std::move(after), pixel, req.change_model);

  // Patches as every change run writes them, classes from the default rules' table.
  const auto classifier = load_classifier_file(default_rules_dir() + "/landuse_rules.yaml");
  const ClassTable& classes = classifier->classes();
  const LandClass* built = classes.find(std::string("built_up"));
  std::string prefix = "FW";
  for (char c : req.date_after)
    if (c >= '0' && c <= '9') prefix += c;
  const std::vector<Patch> patches = io::building_patches(
      d.change, grid, built ? built->code : 0, prefix + "-", d.params);

  const auto& dir = out.staging();
  write_change_raster((dir / "change.tif").string(), grid, d.nodata_mask, d.change);
  const io::ReportContext rc{req.date_before, req.date_after, "", "", &classes, grid.crs_wkt,
                             /*change_kinds=*/true};
  io::write_patches_gpkg((dir / "changes.gpkg").string(), patches, rc);
  io::write_patches_geojson((dir / "changes.geojson").string(), patches, rc);
  io::write_patches_csv((dir / "changes.csv").string(), patches, rc);
  json s;
  s["farmwatch_version"] = kVersion;
  s["grid"] = {{"crs", io::crs_label(grid.crs_wkt)},
               {"kind", "map"},
               {"width", grid.width},
               {"height", grid.height},
               {"extent", {grid.extent().xmin, grid.extent().ymin, grid.extent().xmax,
                           grid.extent().ymax}},
               {"pixel_size_m", round_to(pixel, 0.0001)}};
  s["inputs"] = {{"before", req.before}, {"after", req.after}};
  summarise(d, [&](const BuildingObject& o) { return patches[std::size_t(o.id - 1)].area_m2; }, s);
  s["outputs"] = {{"dir", out.target().string()},
                  {"files",
                   {"change.tif", "change.tif.aux.xml", "change.qml", "changes.gpkg",
                    "changes.geojson", "changes.csv", "changes.csvt", "summary.json"}}};
  write_file_atomically(dir / "summary.json", s.dump(2) + "\n");
  out.commit();
  return s;
}

void require_data(const RgbImage& im, const std::string& path) {
  if (without_data(im))
    throw InputError("raster '" + path + "' has no pixel with data (all nodata or masked)");
}

VhrChangeForest load_change_model(const std::string& path) {
  try {
    return VhrChangeForest::load(path);
  } catch (const std::runtime_error& e) {
    throw InputError(e.what());
  }
}

}  // namespace farmwatch::pipeline
