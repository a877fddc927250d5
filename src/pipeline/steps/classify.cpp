#include "farmwatch/pipeline/steps/classify.h"

#include "farmwatch/core/error.h"
#include "farmwatch/engine/landuse_change.h"
#include "farmwatch/engine/model_classify.h"
#include "farmwatch/io/change_sieve.h"
#include "farmwatch/io/cog_writer.h"
#include "farmwatch/io/raster_writer.h"
#include "farmwatch/io/spatial_ref.h"
#include "farmwatch/pipeline/output_dir.h"
#include "farmwatch/pipeline/pipeline_params.h"
#include "farmwatch/pipeline/rules_file.h"

namespace farmwatch::pipeline {

ClassifyParams::ClassifyParams() : block_size(kBlockSize) {}

const ParamSet& ClassifyParams::params() {
  using P = ClassifyParams;
  static const ParamSet set =
      Params<P>("classify")
          .list("in", &P::in,
                "multispectral image; with --model, repeat for each date it was trained on", true)
          .path("out", &P::out, "land-use GeoTIFF (COG) to write", true)
          .path("model", &P::model, "a model from farmwatch train, instead of the rules file")
          .integer("mmu", &P::mmu,
                   "with --model: patches of one class under this many pixels merge into their "
                   "surroundings (0 or 1: none)",
                   {0})
          .default_value(4)
          .path("rules", &P::rules,
                "classification rules file (default: pipelines/rules/landuse_rules.yaml)")
          .text("crs", &P::crs, "classify on a grid in this CRS (default: the image's grid)")
          .number("resolution", &P::resolution, "pixel size of that grid (with --crs)",
                  {0, {}, true})
          .integer("block_size", &P::block_size, "processing block size in pixels",
                   block_size_range())
          .default_value(kBlockSize)
          .embed(&P::image)
          .set();
  return set;
}

namespace {

ClassifyResult classify_with_model(const ClassifyParams& p, const StepEnv& env) {
  const RandomForest model = engine::load_model(p.model);
  const auto& mi = model.info();
  std::vector<io::ImageInfo> dates;
  for (const auto& path : p.in) dates.push_back(io::inspect_image(p.image.request(path), {}));
  engine::check_model_fits(model, p.model, dates);
  const engine::ThreadLimit threads(env.threads);
  StagedFile out(p.out);
  StagedDir scratch(out.target().string() + ".d");
  const std::string map = (scratch.scratch() / "landuse.tif").string();
  engine::EngineOptions eopt;
  eopt.block_size = p.block_size;
  engine::run_model_classify(dates[0].grid, dates, model, map, eopt, env.log.child("classify"));
  if (p.mmu > 1) io::sieve_classes(map, p.mmu);
  io::write_cog_of(map, io::kClassMapCog, out.path().string());
  out.commit();
  ClassifyResult r;
  r.path = out.target().string();
  for (const auto& c : mi.classes) r.classes.push_back({int(c.code), c.key, c.name});
  return r;
}

}  // namespace

ClassifyResult classify(const ClassifyParams& p, const StepEnv& env) {
  if (!p.model.empty()) return classify_with_model(p, env);
  if (p.in.size() != 1) throw ParamError("one --in without --model");
  if (!p.crs.empty() && !p.resolution)
    throw ParamError("--crs needs a positive --resolution");
  const auto classifier = load_classifier_file(
      p.rules.empty() ? default_rules_dir() + "/landuse_rules.yaml" : p.rules);
  const auto info = io::inspect_image(p.image.request(p.in[0]), classifier->required_roles());
  env.log.info("reflectance: " + info.calibration_source);
  engine::LanduseChangeJob job;
  job.grid = info.grid;
  if (!p.crs.empty()) {
    const std::string wkt = io::crs_from_user(p.crs);
    job.grid = Grid::snapped(io::transform_box(info.grid.extent(), info.grid.crs_wkt, wkt),
                             *p.resolution, wkt);
  }
  const engine::ThreadLimit threads(env.threads);
  StagedFile out(p.out);
  StagedDir scratch(out.target().string() + ".d");
  job.images = {io::Mosaic(info)};
  job.classifier = classifier.get();
  job.landuse_out = {(scratch.scratch() / "landuse.tif").string()};
  engine::EngineOptions eopt;
  eopt.block_size = p.block_size;
  const auto stats = engine::run_landuse_change(job, eopt, env.log.child("classify"));
  io::write_cog_of(job.landuse_out[0], io::kClassMapCog, out.path().string());
  out.commit();

  ClassifyResult r;
  r.path = out.target().string();
  r.calibration = info.calibration_source;
  for (const auto& c : classifier->classes().classes())
    if (stats.class_pixels[0][c.code])
      r.classes.push_back({int(c.code), c.key, c.name, stats.class_pixels[0][c.code]});
  r.nodata_pixels = stats.class_pixels[0][255];
  if (info.quality_kind != QualityKind::none) {
    r.quality_kind = quality_name(info.quality_kind);
    r.cloud_pixels = stats.cloud_pixels[0];
  }
  return r;
}

}  // namespace farmwatch::pipeline
