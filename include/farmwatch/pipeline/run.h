#pragma once
// Running a pipeline: validate everything first, then the stages in order, then swap the
// outputs into place.
#include <nlohmann/json.hpp>
#include <functional>
#include <optional>
#include <string>

#include "farmwatch/core/log.h"
#include "farmwatch/core/shard.h"
#include "farmwatch/io/monitoring_db.h"
#include "farmwatch/pipeline/spec.h"

namespace farmwatch::pipeline {

struct RunContext;
struct ShardPlan;

struct RunOptions {
  int threads = 0;                     ///< 0: all cores
  std::optional<std::string> out_dir;  ///< overrides outputs.dir
  /// Only the validate stage: every file, CRS, band, overlap, rule and the model's fit are
  /// checked; no pixel is read and nothing is written (an absent database is not created).
  bool check_only = false;
  /// Passed to the database write (io::RunWrite::before_commit); for atomicity tests.
  std::function<void()> before_database_commit;
  /// Called once every output is staged and before the database is written: `nightly` writes
  /// the next state from what the run computed and adds its records to the run's write (null
  /// when the run writes no database). An exception leaves outputs and database as they were.
  std::function<void(const RunContext&, io::RunWrite*)> before_database_write;
  /// Only this shard's cells of the grid (core/shard.h): the per-pixel pass over them, kept in
  /// `shard_dir`/i-of-N for `merge`; nothing is published and no database is opened. A shard
  /// whose complete result from the same inputs is already there does nothing.
  std::optional<ShardId> shard;
  /// Joins the results of this many shards from `shard_dir` in place of the per-pixel pass,
  /// then runs every later stage as one unsharded run does (the same bytes); the shard results
  /// are removed once the outputs are published. 0: no merge.
  int merge_shards = 0;
  /// Where shard results are kept; empty: `<output folder>.shards` beside the output folder.
  /// Every shard and the merge must see it (a shared file system on a cluster).
  std::string shard_dir;
  /// What identifies the shards' inputs when they are not files a user named (`nightly`: the
  /// scene's checksum and the state generation it is compared with); null: the pipeline's
  /// files, by size and modification time (shard_inputs).
  nlohmann::json shard_key;
  /// Called in a shard after its per-pixel pass over the cells `plan` gives it, before its
  /// result is committed: `nightly` writes those cells of the next state into the result
  /// (ctx.out->staging()).
  std::function<void(const RunContext&, const ShardPlan&)> after_shard_pass;
  /// Two dates of very-high-resolution RGB, one image each, are compared by the building
  /// method (stages/buildings.cpp). `nightly` turns it off: its earlier date is a composite
  /// state in reflectance, which the method's 8-bit thresholds do not fit.
  bool building_method = true;
};

/// Runs the pipeline and returns the summary (also written as summary.json).
/// Throws ConfigError/InputError before any output is touched, ProcessingError after.
nlohmann::json run_pipeline(const PipelineSpec& spec, const RunOptions& opts, const Log& log);

}  // namespace farmwatch::pipeline
