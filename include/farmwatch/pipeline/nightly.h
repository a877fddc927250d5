#pragma once
// `farmwatch nightly`: one unattended night of an area (operations.md). Under the area's lock,
// the scenes in the inbox are found and identified; each one not handled before is compared,
// oldest first, with the state of each place (the latest clear view of every pixel), its
// patches recorded, and the state moved on; then the night's one map is published into
// publish/runs/<run id>/ and publish/current switched to it with rename(2).
#include <nlohmann/json.hpp>
#include <functional>
#include <string>

#include "farmwatch/core/log.h"
#include "farmwatch/pipeline/area.h"

namespace farmwatch::pipeline {

struct NightlyOptions {
  int threads = 0;       ///< 0: all cores
  bool wait = false;     ///< wait for the lock instead of LockHeldError
  bool dry_run = false;  ///< list what would be done; change nothing (no lock, no database)
  std::string run_id;    ///< empty: the UTC time, 20261129T021000Z
  /// Called before each scene is compared (index from 0, count, product id) and once at the
  /// end (index == count): the command line draws a progress bar with it on a terminal.
  std::function<void(std::size_t, std::size_t, const std::string&)> progress;
};

struct NightResult {
  /// kExitOk (published, or nothing new), kExitPartial (some scenes failed, the rest
  /// published).
  int exit_code = 0;
  bool nothing_new = false;
  nlohmann::json summary;  ///< also publish/runs/<run id>/summary.json
};

/// Runs one night. Throws LockHeldError (another night runs), ConfigError / InputError
/// (the area's files), ProcessingError (cannot write state, publish or database, disk full):
/// in each case the database, the state and publish/current are as they were, or as after
/// the last scene completed.
NightResult run_night(const AreaSpec& area, const NightlyOptions& opts, const Log& log);

/// The UTC time as a run id: 20261129T021000Z.
std::string new_run_id();

}  // namespace farmwatch::pipeline
