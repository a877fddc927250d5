#include "farmwatch/pipeline/run.h"

#include <chrono>
#include <cmath>
#include <map>

#include "farmwatch/core/units.h"
#include "farmwatch/io/geodesic.h"
#include "farmwatch/io/spatial_ref.h"
#include "farmwatch/pipeline/shard.h"
#include "farmwatch/pipeline/stage.h"
#include "farmwatch/pipeline/viewer.h"
#include "farmwatch/version.h"

namespace farmwatch::pipeline {
using nlohmann::json;

namespace {

json class_summary(const ClassTable& t, const std::array<std::int64_t, 256>& px, double pixel_m2) {
  json j = json::array();
  for (const auto& c : t.classes())
    j.push_back({{"code", c.code},
                 {"key", c.key},
                 {"name", c.name},
                 {"gbt21010", c.gbt_code},
                 {"pixels", px[c.code]},
                 {"area_m2_grid", std::round(static_cast<double>(px[c.code]) * pixel_m2)}});
  j.push_back({{"code", 255}, {"key", "nodata"}, {"pixels", px[255]}});
  return j;
}

json calibration_summary(const io::ImageInfo& im) {
  json j = {{"source", im.calibration_source}};
  for (std::size_t r = 0; r < kRoleCount; ++r)
    if (im.bands.index[r])
      j[role_name(static_cast<BandRole>(r))] = {im.calibration[r].mult, im.calibration[r].add};
  return j;
}

json quality_summary(const io::ImageInfo& im) {
  if (im.quality_kind == QualityKind::none) return "none";
  json j = {{"kind", quality_name(im.quality_kind)}};
  if (!im.quality_path.empty()) {
    j["file"] = im.quality_path;
    j["band"] = im.quality_band;
  }
  return j;
}

json change_summary(const RunContext& ctx) {
  json cats = json::object();
  for (auto c :
       {ChangeCategory::non_agricultural, ChangeCategory::non_grain, ChangeCategory::other}) {
    double m2 = 0;
    int n = 0;
    for (const auto& p : ctx.patches.patches)
      if (p.category == c) {
        m2 += p.area_m2;
        ++n;
      }
    cats[category_key(c)] = {{"label", category_label(c)},
                             {"patches", n},
                             {"area_m2", std::round(m2 * 100) / 100},
                             {"area_mu", std::round(m2_to_mu(m2) * 10000) / 10000},
                             {"min_patch_area_m2", ctx.spec.change.rules.min_area_m2(c)}};
  }
  return {{"categories", cats},
          {"patches", ctx.patches.patches.size()},
          {"dropped_below_min_area", ctx.patches.dropped_below_min_area},
          {"boundaries_refined", ctx.patches.refined},
          {"pixels_nodata", ctx.pixels.change_pixels[255]}};
}

/// Patches and their areas per administrative unit and category, and how many are reasonable.
json unit_summary(const RunContext& ctx) {
  std::map<std::string, json> units;
  for (const auto& p : ctx.patches.patches) {
    const std::string key = p.unit_name.empty() ? "(none)" : p.unit_name;
    json& u = units[key];
    if (u.is_null()) {
      u = {{"unit_code", p.unit_code}, {"unit_name", p.unit_name}, {"reasonable", 0}};
      for (auto c :
           {ChangeCategory::non_agricultural, ChangeCategory::non_grain, ChangeCategory::other})
        u[category_key(c)] = {{"patches", 0}, {"area_m2", 0.0}};
    }
    json& c = u[category_key(p.category)];
    c["patches"] = c["patches"].get<int>() + 1;
    c["area_m2"] = std::round((c["area_m2"].get<double>() + p.area_m2) * 100) / 100;
    if (!p.exempt_by.empty()) u["reasonable"] = u["reasonable"].get<int>() + 1;
  }
  json out = json::array();
  for (auto& [k, v] : units) out.push_back(v);
  return out;
}

/// What the monitoring database keeps of this run.
io::RunWrite database_record(const RunContext& ctx) {
  const auto& d = ctx.spec.dates;
  io::RunWrite w;
  w.run.started_utc = ctx.started_utc;
  w.run.pipeline = ctx.spec.file.empty() ? ctx.spec.name : ctx.spec.file;
  w.run.farmwatch_version = kVersion;
  w.run.out_dir = ctx.out->target().string();
  w.run.date_before = d[0].date;
  w.run.date_after = d[1].date;
  w.run.sensor_before = d[0].sensor;
  w.run.sensor_after = d[1].sensor;
  w.run.image_before = ctx.images[0].scenes.front().path;
  w.run.image_after = ctx.images[1].scenes.front().path;
  w.parcels = ctx.parcels;
  w.parcel_classes = ctx.parcel_classes;
  w.patches = &ctx.patches.patches;
  w.classes = &ctx.spec.classifier->classes();
  return w;
}

/// summary.json: what went in, what came out, how long it took.
json make_summary(const RunContext& ctx) {
  const auto& spec = ctx.spec;
  const Grid& g = ctx.grid;
  json s;
  s["farmwatch_version"] = kVersion;
  s["pipeline"] = {
      {"name", spec.name}, {"file", spec.file}, {"classification", spec.classifier_source}};
  if (ctx.compares_dates()) s["pipeline"]["change_rules"] = spec.change_source;
  // A pixel's area for the class totals: res² in a projected grid's metres; in a grid of
  // degrees, res² would be square degrees: the mean ground area on the ellipsoid instead.
  const double pixel_m2 =
      io::is_geographic(g.crs_wkt) ? io::mean_pixel_area_m2(g) : g.res() * g.res();
  json dates = json::array();
  for (std::size_t i = 0; i < spec.dates.size(); ++i) {
    const io::Mosaic& m = ctx.images[i];
    json scenes = ctx.scenes[i];
    for (auto& r : scenes) {
      for (std::size_t k = 0; k < m.scenes.size(); ++k)
        if (m.scenes[k].path == r["image"]) {
          r["bands"] = m.scenes[k].bands.to_string();
          r["calibration"] = calibration_summary(m.scenes[k]);
          r["quality_mask"] = quality_summary(m.scenes[k]);
          if (k + 1 < ctx.pixels.source_pixels[i].size())
            r["pixels_used"] = ctx.pixels.source_pixels[i][k + 1];
        }
    }
    dates.push_back({{"date", spec.dates[i].date},
                     {"sensor", spec.dates[i].sensor},
                     {"image", m.scenes.front().path},
                     {"scenes", scenes},
                     {"pixels_cloud", ctx.pixels.cloud_pixels[i]},
                     {"classes", class_summary(spec.classifier->classes(),
                                               ctx.pixels.class_pixels[i], pixel_m2)}});
  }
  s["inputs"] = {{"dates", dates}};
  if (ctx.farmland)
    s["inputs"]["farmland"] = {{"path", spec.farmland->path},
                               {"id_field", spec.farmland->id_field},
                               {"parcels", ctx.farmland->size()},
                               {"invalid_geometries_repaired", ctx.farmland->repaired().size()},
                               {"repaired", ctx.farmland->repaired()}};
  const Box e = g.extent();
  s["grid"] = {{"crs", io::crs_label(g.crs_wkt)},
               {"resolution", g.res()},
               {"width", g.width},
               {"height", g.height},
               {"extent", {e.xmin, e.ymin, e.xmax, e.ymax}},
               {"resampled_inputs", ctx.pixels.warped}};
  if (!ctx.coregistration.is_null()) s["coregistration"] = ctx.coregistration;
  if (!ctx.normalisation.is_null()) s["radiometric_normalisation"] = ctx.normalisation;
  if (!ctx.spectral_report.is_null()) s["spectral_change_test"] = ctx.spectral_report;
  if (!ctx.buildings_report.is_null()) s["building_change"] = ctx.buildings_report;
  if (ctx.compares_dates()) s["changes"] = change_summary(ctx);
  if (ctx.admin || !ctx.exemptions.empty()) s["units"] = unit_summary(ctx);
  if (ctx.db) s["database"] = ctx.db->target();
  s["outputs"] = {{"dir", ctx.out->target().string()}, {"files", ctx.files}, {"tiles", ctx.tiles}};
  s["failed_scenes"] = ctx.failed_scenes;
  s["threads"] = engine::ThreadLimit::current();
  s["timings_s"] = ctx.timings;
  return s;
}

/// What `run --check` found: the inputs and the grid a run would use.
json check_summary(const RunContext& ctx) {
  json dates = json::array();
  for (std::size_t i = 0; i < ctx.spec.dates.size(); ++i)
    dates.push_back({{"date", ctx.spec.dates[i].date},
                     {"scenes_usable", ctx.images[i].scenes.size()},
                     {"scenes", ctx.scenes[i]}});
  const Box e = ctx.grid.extent();
  return {{"pipeline", ctx.spec.file},
          {"valid", true},
          {"dates", dates},
          {"grid",
           {{"crs", io::crs_label(ctx.grid.crs_wkt)},
            {"resolution", ctx.grid.res()},
            {"width", ctx.grid.width},
            {"height", ctx.grid.height},
            {"extent", {e.xmin, e.ymin, e.xmax, e.ymax}}}}};
}

}  // namespace

json run_pipeline(const PipelineSpec& spec, const RunOptions& opts, const Log& log) {
  const auto start = std::chrono::steady_clock::now();
  const engine::ThreadLimit threads(opts.threads);
  RunContext ctx(spec, opts, log);
  ctx.started_utc = io::utc_timestamp();
  // SOURCE_DATE_EPOCH, when set, stands for the time the outputs show (report.html, map.js):
  // the same inputs give the same bytes. The database keeps the real time.
  ctx.generated_utc = shown_time(ctx.started_utc);
  const auto& shard = opts.shard;
  json result;
  auto run = [&]() -> bool {  // false: returned early with `result`
    for (const auto& stage : standard_stages()) {
      stage->execute(ctx);
      if (opts.check_only && stage->name() == "validate") {
        result = check_summary(ctx);
        return false;
      }
      // A shard whose result from the same inputs is complete has nothing to do (a re-run of
      // a job array re-runs only the shards that failed). Its inputs are known once validated.
      if (shard && stage->name() == "validate" &&
          shard_complete(shard_results_dir(ctx), *shard, shard_inputs(ctx, shard->count))) {
        const std::string dir = shard_results_dir(ctx).string();
        log.info("shard " + shard->label() +
                 ": a complete result from the same inputs is already in " + dir +
                 "; nothing to do");
        result = {{"shard", shard->name()}, {"dir", dir}, {"already_complete", true}};
        return false;
      }
      if (shard && stage->name() == "classify") {
        ctx.out->commit();
        const std::string dir = ctx.out->target().string();
        log.info("shard " + shard->label() + ": result in " + dir);
        result = {{"shard", shard->name()},
                  {"dir", dir},
                  {"already_complete", false},
                  {"timings_s", ctx.timings}};
        return false;
      }
    }
    ctx.timings["total"] =
        std::round(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() *
            1000) /
        1000;
    result = make_summary(ctx);
    write_file_atomically(ctx.out->staging() / "summary.json", result.dump(2) + "\n");
    return true;
  };
  // In a merge, a shard's file that cannot be read is the shard's to redo (ShardResultError),
  // not a failure of the run.
  const auto shards_dir = shard_results_dir(ctx);
  bool finished = false;
  with_shard_results_checked(shards_dir, opts.merge_shards, [&] { finished = run(); });
  if (!finished) return result;
  const json& summary = result;
  // The database is written last, in one transaction, and the outputs are swapped in only
  // once it has committed: a run that fails anywhere leaves both as they were.
  std::optional<io::RunWrite> record;
  if (ctx.db) {
    record = database_record(ctx);
    record->before_commit = opts.before_database_commit;
  }
  if (opts.before_database_write)
    with_shard_results_checked(shards_dir, opts.merge_shards, [&] {
      opts.before_database_write(ctx, record ? &*record : nullptr);
    });
  if (record) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto run_id = ctx.db->write_run(*record);
    char took[32];
    std::snprintf(took, sizeof took, "%.3f",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    log.info("monitoring database " + ctx.db->target() + ": run " + std::to_string(run_id) +
             " recorded in " + took + " s");
  }
  ctx.out->commit();
  if (opts.merge_shards) remove_shard_results(ctx, opts.merge_shards);
  return summary;
}

}  // namespace farmwatch::pipeline
