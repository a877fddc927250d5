#include "farmwatch/pipeline/steps/run.h"

#include <filesystem>

#include "farmwatch/pipeline/output_dir.h"
#include "farmwatch/pipeline/run.h"

namespace farmwatch::pipeline {

const ParamSet& RunParams::params() {
  using P = RunParams;
  static const ParamSet set =
      Params<P>("run")
          .path("pipeline", &P::pipeline, "pipeline file (YAML or JSON)", true)
          .path("out", &P::out, "output folder (overrides outputs.dir)")
          .text("db", &P::db,
                "monitoring database (overrides database: a GeoPackage, \"PG:...\" or none)")
          .flag("check", &P::check,
                "only check the pipeline file and every input it names (files, CRS, bands, "
                "overlap, rules, model); read no pixel, write nothing")
          .set();
  return set;
}

nlohmann::json run(const RunParams& p, const StepEnv& env) {
  auto spec = load_pipeline(p.pipeline);
  RunOptions opts;
  opts.threads = env.threads;
  opts.check_only = p.check;
  if (!p.out.empty()) {
    opts.out_dir = p.out;
    // The default database lives beside the output folder the run actually writes.
    if (spec.database_is_default)
      spec.database = (folder_path(p.out).parent_path() / "farmwatch.gpkg").string();
  }
  if (!p.db.empty()) spec.database = p.db == "none" ? std::string() : p.db;
  return run_pipeline(spec, opts, env.log);
}

}  // namespace farmwatch::pipeline
