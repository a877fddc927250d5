#include "farmwatch/pipeline/run.h"

#include <chrono>
#include <cmath>
#include <functional>
#include <map>

#include "farmwatch/core/error.h"
#include "farmwatch/core/units.h"
#include "farmwatch/engine/landuse_change.h"
#include "farmwatch/io/farmland.h"
#include "farmwatch/io/gdal_setup.h"
#include "farmwatch/io/patch_writer.h"
#include "farmwatch/io/raster_writer.h"
#include "farmwatch/io/spatial_ref.h"
#include "farmwatch/io/xyz_tiles.h"
#include "farmwatch/pipeline/output_dir.h"
#include "farmwatch/version.h"

namespace farmwatch::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

/// Everything a run needs, checked before the first pixel is read.
struct Inputs {
  std::vector<io::ImageInfo> images;
  Grid grid;
  std::optional<io::FarmlandLayer> farmland;
};

Grid resolve_grid(const PipelineSpec& spec, const std::vector<io::ImageInfo>& images) {
  const GridSpec& gs = spec.grid;
  const Grid& first = images.front().grid;
  const std::string where = spec.file.empty() ? "grid" : spec.file + ": grid";
  if (!gs.crs && !gs.resolution && !gs.extent) return first;  // the first image's own grid
  const std::string crs = gs.crs ? io::crs_from_user(*gs.crs) : first.crs_wkt;
  double res = 0;
  if (gs.resolution) res = *gs.resolution;
  else if (io::same_crs(crs, first.crs_wkt)) res = std::fabs(first.res());
  else throw ConfigError(where + ".resolution is required when grid.crs differs from the CRS of '" +
                         images.front().path + "'");
  Box box;
  if (gs.extent) {
    box = *gs.extent;
  } else {
    box = io::transform_box(first.extent(), first.crs_wkt, crs);
    for (const auto& im : images)
      box = box.intersect(io::transform_box(im.grid.extent(), im.grid.crs_wkt, crs));
    if (box.empty())
      throw InputError("the images do not overlap: '" + images.front().path + "' and '" +
                       images.back().path + "' have no area in common");
  }
  return Grid::snapped(box, res, crs);
}

Inputs validate(const PipelineSpec& spec, const Log& log) {
  Inputs in;
  const auto required = spec.classifier->required_roles();
  for (const auto& d : spec.dates) in.images.push_back(io::inspect_image(d.image, required));
  in.grid = resolve_grid(spec, in.images);
  if (in.grid.width <= 0 || in.grid.height <= 0)
    throw InputError("the analysis grid is empty: check grid.extent and grid.resolution");
  const Box ge = in.grid.extent();
  for (const auto& im : in.images)
    if (io::transform_box(im.grid.extent(), im.grid.crs_wkt, in.grid.crs_wkt).intersect(ge).empty())
      throw InputError("raster '" + im.path + "' does not overlap the analysis grid");
  if (spec.farmland) {
    in.farmland = io::FarmlandLayer::load(*spec.farmland, in.grid.crs_wkt);
    if (in.farmland->extent().intersect(ge).empty())
      throw InputError("farmland layer '" + spec.farmland->path +
                       "' does not overlap the imagery (analysis grid " +
                       io::crs_label(in.grid.crs_wkt) + ")");
    log.info("farmland: " + std::to_string(in.farmland->size()) + " parcels from " +
             spec.farmland->path);
  }
  log.info("analysis grid: " + std::to_string(in.grid.width) + " x " +
           std::to_string(in.grid.height) + " at " + std::to_string(in.grid.res()) + ", " +
           io::crs_label(in.grid.crs_wkt));
  return in;
}

json class_summary(const ClassTable& t, const std::array<std::int64_t, 256>& px, double pixel_m2) {
  json j = json::array();
  for (const auto& c : t.classes())
    j.push_back({{"code", c.code}, {"key", c.key}, {"name", c.name}, {"gbt21010", c.gbt_code},
                 {"pixels", px[c.code]},
                 {"area_m2_grid", std::round(static_cast<double>(px[c.code]) * pixel_m2)}});
  j.push_back({{"code", 255}, {"key", "nodata"}, {"pixels", px[255]}});
  return j;
}

std::string compact_date(const std::string& d) {
  std::string s;
  for (char c : d)
    if (c != '-') s += c;
  return s;
}

}  // namespace

json run_pipeline(const PipelineSpec& spec, const RunOptions& opts, const Log& log) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  json timings = json::object();
  auto stage = [&](const std::string& name, const std::function<void(const Log&)>& fn) {
    const auto s = clock::now();
    fn(log.child(name));
    timings[name] = std::round(std::chrono::duration<double>(clock::now() - s).count() * 1000) / 1000;
  };

  Inputs in;
  stage("validate", [&](const Log& l) { in = validate(spec, l); });
  const bool change = spec.dates.size() == 2;
  const engine::ThreadLimit threads(opts.threads);
  io::honour_source_date_epoch();

  StagedDir out(opts.out_dir.value_or(spec.outputs.dir));
  const fs::path scratch = out.scratch(), staging = out.staging();
  std::string parcels;
  if (change && in.farmland)
    stage("farmland", [&](const Log&) {
      parcels = (scratch / "parcels.tif").string();
      in.farmland->rasterize(in.grid, parcels);
    });

  engine::LanduseChangeJob job;
  job.grid = in.grid;
  job.images = in.images;
  job.classifier = spec.classifier.get();
  for (const auto& d : spec.dates)
    job.landuse_out.push_back((scratch / ("landuse_" + d.date + ".tif")).string());
  const ChangeKernel kernel(spec.classifier->classes(), spec.change.rules,
                            spec.change.spectral_scale);
  if (change) {
    job.change = &kernel;
    job.parcels = parcels;
    job.change_out = (scratch / "change.tif").string();
    job.candidates_out = (scratch / "candidates.tif").string();
    job.evidence_out = (scratch / "evidence.tif").string();
  }
  engine::LanduseChangeStats px;
  engine::EngineOptions eopt;
  eopt.block_size = spec.block_size;
  stage("classify", [&](const Log& l) { px = engine::run_landuse_change(job, eopt, l); });

  io::PatchResult patches;
  if (change)
    stage("patches", [&](const Log& l) {
      io::PatchInputs pin;
      pin.grid = in.grid;
      pin.candidates = job.candidates_out;
      pin.change = job.change_out;
      pin.before_classes = job.landuse_out[0];
      pin.after_classes = job.landuse_out[1];
      pin.evidence = job.evidence_out;
      pin.parcels = parcels;
      pin.farmland = in.farmland ? &*in.farmland : nullptr;
      pin.rules = &spec.change.rules;
      pin.classes = &spec.classifier->classes();
      if (!in.images[0].is_class_map && !in.images[1].is_class_map) pin.images = in.images;
      pin.id_prefix = "FW" + compact_date(spec.dates[1].date);
      pin.scratch_dir = scratch.string();
      patches = io::extract_patches(pin, l);
    });

  json outputs = json::array();
  std::vector<std::pair<std::string, std::string>> tile_layers;  // (cog, tiles subdir)
  stage("rasters", [&](const Log&) {
    for (std::size_t i = 0; i < spec.dates.size() && spec.outputs.landuse; ++i) {
      const std::string name = "landuse_" + spec.dates[i].date + ".tif";
      io::write_cog(job.landuse_out[i], (staging / name).string(), "NEAREST");
      outputs.push_back(name);
      tile_layers.emplace_back(name, "landuse_" + spec.dates[i].date);
    }
    if (change) {
      io::write_cog(job.change_out, (staging / "change.tif").string(), "NEAREST");
      outputs.push_back("change.tif");
      tile_layers.emplace_back("change.tif", "change");
    }
  });

  if (change)
    stage("reports", [&](const Log&) {
      io::ReportContext ctx{spec.dates[0].date, spec.dates[1].date, spec.dates[0].sensor,
                            spec.dates[1].sensor, &spec.classifier->classes(), in.grid.crs_wkt};
      io::write_patches_gpkg((staging / "changes.gpkg").string(), patches.patches, ctx);
      io::write_patches_geojson((staging / "changes.geojson").string(), patches.patches, ctx);
      io::write_patches_csv((staging / "changes.csv").string(), patches.patches, ctx);
      for (const char* f : {"changes.gpkg", "changes.geojson", "changes.csv"}) outputs.push_back(f);
    });

  json tiles = json::object();
  if (spec.outputs.tiles)
    stage("tiles", [&](const Log& l) {
      for (const auto& [cog, sub] : tile_layers) {
        io::TileRequest req{(staging / cog).string(), (staging / "tiles" / sub).string(),
                            spec.outputs.min_zoom, spec.outputs.max_zoom};
        const auto ts = io::write_xyz_tiles(req, l);
        tiles[sub] = {{"path", "tiles/" + sub + "/{z}/{x}/{y}.png"}, {"min_zoom", ts.min_zoom},
                      {"max_zoom", ts.max_zoom}, {"tiles", ts.written}};
      }
    });

  // Summary: what went in, what came out, how long it took.
  const double pixel_m2 = in.grid.res() * in.grid.res();
  json summary;
  summary["farmwatch_version"] = kVersion;
  summary["pipeline"] = {{"name", spec.name}, {"file", spec.file},
                         {"classification", spec.classifier_source}};
  if (change) summary["pipeline"]["change_rules"] = spec.change_source;
  json dates = json::array();
  for (std::size_t i = 0; i < spec.dates.size(); ++i)
    dates.push_back({{"date", spec.dates[i].date},
                     {"sensor", spec.dates[i].sensor},
                     {"image", spec.dates[i].image.path},
                     {"bands", in.images[i].bands.to_string()},
                     {"scale", in.images[i].scale},
                     {"offset", in.images[i].offset},
                     {"classes", class_summary(spec.classifier->classes(), px.class_pixels[i], pixel_m2)}});
  summary["inputs"] = {{"dates", dates}};
  if (in.farmland)
    summary["inputs"]["farmland"] = {{"path", spec.farmland->path},
                                     {"id_field", spec.farmland->id_field},
                                     {"parcels", in.farmland->size()}};
  summary["grid"] = {{"crs", io::crs_label(in.grid.crs_wkt)}, {"resolution", in.grid.res()},
                     {"width", in.grid.width}, {"height", in.grid.height},
                     {"extent", {in.grid.extent().xmin, in.grid.extent().ymin,
                                 in.grid.extent().xmax, in.grid.extent().ymax}},
                     {"resampled_inputs", px.warped}};
  if (change) {
    json cats = json::object();
    for (auto c : {ChangeCategory::non_agricultural, ChangeCategory::non_grain, ChangeCategory::other}) {
      double m2 = 0;
      int n = 0;
      for (const auto& p : patches.patches)
        if (p.category == c) { m2 += p.area_m2; ++n; }
      cats[category_key(c)] = {{"label", category_label(c)}, {"patches", n},
                               {"area_m2", std::round(m2 * 100) / 100},
                               {"area_mu", std::round(m2_to_mu(m2) * 10000) / 10000},
                               {"min_patch_area_m2", spec.change.rules.min_area_m2(c)}};
    }
    summary["changes"] = {{"categories", cats},
                          {"patches", patches.patches.size()},
                          {"dropped_below_min_area", patches.dropped_below_min_area},
                          {"boundaries_refined", patches.refined},
                          {"pixels_nodata", px.change_pixels[255]}};
  }
  summary["outputs"] = {{"dir", out.target().string()}, {"files", outputs}, {"tiles", tiles}};
  summary["threads"] = engine::ThreadLimit::current();
  timings["total"] = std::round(std::chrono::duration<double>(clock::now() - t0).count() * 1000) / 1000;
  summary["timings_s"] = timings;
  write_file_atomically(staging / "summary.json", summary.dump(2) + "\n");
  out.commit();
  return summary;
}

}  // namespace farmwatch::pipeline
