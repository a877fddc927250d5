#pragma once
// Running a pipeline: validate everything first, then the stages in order, then swap the
// outputs into place.
#include <nlohmann/json.hpp>
#include <functional>
#include <optional>
#include <string>

#include "farmwatch/core/log.h"
#include "farmwatch/io/monitoring_db.h"
#include "farmwatch/pipeline/spec.h"

namespace farmwatch::pipeline {

struct RunContext;

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
};

/// Runs the pipeline and returns the summary (also written as summary.json).
/// Throws ConfigError/InputError before any output is touched, ProcessingError after.
nlohmann::json run_pipeline(const PipelineSpec& spec, const RunOptions& opts, const Log& log);

}  // namespace farmwatch::pipeline
