#pragma once
// farmwatch run: a pipeline file, with the command line's overrides.
#include <nlohmann/json.hpp>
#include <string>

#include "farmwatch/pipeline/params.h"
#include "farmwatch/pipeline/step.h"

namespace farmwatch::pipeline {

struct RunParams {
  std::string pipeline, out, db;
  bool check = false;
  static const ParamSet& params();
};

/// Reads the pipeline file, applies `out` (the output folder; the default database moves with
/// it) and `db` (a GeoPackage, "PG:..." or none), runs it and returns the summary; with `check`,
/// only validates everything the run needs and returns what it found (run.h: check_only). ConfigError
/// and InputError before any output is touched; ProcessingError after.
nlohmann::json run(const RunParams& p, const StepEnv& env);

}  // namespace farmwatch::pipeline
