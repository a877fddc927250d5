#include "farmwatch/pipeline/run.h"

#include <chrono>
#include <cmath>

#include "farmwatch/core/units.h"
#include "farmwatch/io/spatial_ref.h"
#include "farmwatch/pipeline/stage.h"
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

/// summary.json: what went in, what came out, how long it took.
json make_summary(const RunContext& ctx) {
  const auto& spec = ctx.spec;
  const Grid& g = ctx.grid;
  json s;
  s["farmwatch_version"] = kVersion;
  s["pipeline"] = {
      {"name", spec.name}, {"file", spec.file}, {"classification", spec.classifier_source}};
  if (ctx.compares_dates()) s["pipeline"]["change_rules"] = spec.change_source;
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
                                               ctx.pixels.class_pixels[i], g.res() * g.res())}});
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
  if (ctx.compares_dates()) s["changes"] = change_summary(ctx);
  s["outputs"] = {{"dir", ctx.out->target().string()}, {"files", ctx.files}, {"tiles", ctx.tiles}};
  s["failed_scenes"] = ctx.failed_scenes;
  s["threads"] = engine::ThreadLimit::current();
  s["timings_s"] = ctx.timings;
  return s;
}

}  // namespace

json run_pipeline(const PipelineSpec& spec, const RunOptions& opts, const Log& log) {
  const auto start = std::chrono::steady_clock::now();
  const engine::ThreadLimit threads(opts.threads);
  RunContext ctx(spec, opts, log);
  for (const auto& stage : standard_stages()) stage->execute(ctx);
  ctx.timings["total"] =
      std::round(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() *
                 1000) /
      1000;
  const json summary = make_summary(ctx);
  write_file_atomically(ctx.out->staging() / "summary.json", summary.dump(2) + "\n");
  ctx.out->commit();
  return summary;
}

}  // namespace farmwatch::pipeline
