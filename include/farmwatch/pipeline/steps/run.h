#pragma once
// farmwatch run: a pipeline file, with the command line's overrides.
#include <optional>
#include <nlohmann/json.hpp>
#include <string>

#include "farmwatch/pipeline/params.h"
#include "farmwatch/pipeline/step.h"

namespace farmwatch::pipeline {

struct RunParams {
  std::string pipeline, out, db;
  bool check = false;
  /// "i/N": only shard i of N (core/shard.h); absent: the whole run (given empty: ParamError)
  std::optional<std::string> shard;
  std::string shard_dir;  ///< where shard results are kept; empty: `<out>.shards`
  static const ParamSet& params();
};

/// farmwatch merge: the pipeline file and overrides of the shards it joins.
struct MergeParams {
  std::string pipeline, out, db;
  int shards = 0;  ///< N, as the shards were given it
  std::string shard_dir;
  static const ParamSet& params();
};

/// Reads the pipeline file, applies `out` (the output folder; the default database moves with
/// it) and `db` (a GeoPackage, "PG:..." or none), runs it and returns the summary; with `check`,
/// only validates everything the run needs and returns what it found (run.h: check_only). ConfigError
/// and InputError before any output is touched; ProcessingError after.
/// With `shard`, runs only that shard's per-pixel pass and keeps its result for `merge`
/// (RunOptions::shard); ParamError (exit 2) if `shard` is not i/N.
nlohmann::json run(const RunParams& p, const StepEnv& env);

/// Joins the results of `shards` shards of the same pipeline and overrides, and publishes
/// what one unsharded run of it publishes (RunOptions::merge_shards). InputError naming the
/// shards without a complete result from these inputs.
nlohmann::json merge(const MergeParams& p, const StepEnv& env);

}  // namespace farmwatch::pipeline
