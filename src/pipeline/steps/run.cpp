#include "farmwatch/pipeline/steps/run.h"

#include <filesystem>

#include "farmwatch/core/error.h"
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
          .text("shard", &P::shard,
                "only shard i of N (i/N, counted from 0): its part of the per-pixel pass, kept "
                "for `farmwatch merge`; nothing is published")
          .cli_only()
          .value_name("i/N")
          .path("shard_dir", &P::shard_dir,
                "where shard results are kept (default: the output folder's path + .shards); "
                "every shard and the merge must see it")
          .cli_only()
          .set();
  return set;
}

const ParamSet& MergeParams::params() {
  using P = MergeParams;
  static const ParamSet set =
      Params<P>("merge")
          .path("pipeline", &P::pipeline, "pipeline file the shards ran (YAML or JSON)", true)
          .integer("shards", &P::shards, "N, the number of shards the run was cut into",
                   ParamRange(1, 4096), true)
          .path("out", &P::out, "output folder (overrides outputs.dir; as the shards were given)")
          .text("db", &P::db,
                "monitoring database (overrides database: a GeoPackage, \"PG:...\" or none)")
          .path("shard_dir", &P::shard_dir,
                "where the shard results are (default: the output folder's path + .shards)")
          .set();
  return set;
}

namespace {

/// The pipeline file with the command line's output folder and database.
PipelineSpec load_with_overrides(const std::string& pipeline, const std::string& out,
                                 const std::string& db, RunOptions& opts) {
  auto spec = load_pipeline(pipeline);
  if (!out.empty()) {
    opts.out_dir = out;
    // The default database lives beside the output folder the run actually writes.
    if (spec.database_is_default)
      spec.database = (folder_path(out).parent_path() / "farmwatch.gpkg").string();
  }
  if (!db.empty()) spec.database = db == "none" ? std::string() : db;
  return spec;
}

}  // namespace

nlohmann::json run(const RunParams& p, const StepEnv& env) {
  RunOptions opts;
  opts.threads = env.threads;
  opts.check_only = p.check;
  opts.shard_dir = p.shard_dir;
  if (p.shard) {
    try {
      opts.shard = parse_shard(*p.shard);
    } catch (const std::invalid_argument& e) {
      throw ParamError(std::string("--shard: ") + e.what());
    }
  }
  return run_pipeline(load_with_overrides(p.pipeline, p.out, p.db, opts), opts, env.log);
}

nlohmann::json merge(const MergeParams& p, const StepEnv& env) {
  RunOptions opts;
  opts.threads = env.threads;
  opts.merge_shards = p.shards;
  opts.shard_dir = p.shard_dir;
  return run_pipeline(load_with_overrides(p.pipeline, p.out, p.db, opts), opts, env.log);
}

}  // namespace farmwatch::pipeline
