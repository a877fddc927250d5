#pragma once
// `farmwatch nightly`: one unattended night of an area (operations.md). Under the area's lock,
// the scenes in the inbox are found and identified; each one not handled before is compared,
// oldest first, with the state of each place (the latest clear view of every pixel), its
// patches recorded, and the state moved on; then the night's one map is published into
// publish/runs/<run id>/ and publish/current switched to it with rename(2).
#include <nlohmann/json.hpp>
#include <functional>
#include <optional>
#include <string>

#include "farmwatch/core/log.h"
#include "farmwatch/core/shard.h"
#include "farmwatch/pipeline/area.h"

namespace farmwatch::pipeline {

struct NightlyOptions {
  int threads = 0;       ///< 0: all cores
  bool wait = false;     ///< wait for the lock instead of LockHeldError
  bool dry_run = false;  ///< list what would be done; change nothing (no lock, no database)
  std::string run_id;    ///< empty: the UTC time, 20261129T021000Z
  /// Only this shard's cells (core/shard.h) of the first scene the night has to compare: its
  /// part of the per-pixel pass and of the next state, kept in `state/shards/<product id>/` for
  /// a merge. Takes no lock and writes no database, state generation or publish folder.
  std::optional<ShardId> shard;
  /// The merge of `merge_shards` shards: under the lock, the first scene to compare is
  /// recorded from the shards' results (or settled as they found it: cloudy, failed) and the
  /// state moved on, exactly as an unsharded night does it; when no scene is left, the night is
  /// published. 0: no merge.
  int merge_shards = 0;
  /// Called before each scene is compared (index from 0, count, product id) and once at the
  /// end (index == count): the command line draws a progress bar with it on a terminal.
  std::function<void(std::size_t, std::size_t, const std::string&)> progress;
};

struct NightResult {
  /// kExitOk (published, or nothing new), kExitPartial (some scenes failed, the rest
  /// published).
  int exit_code = 0;
  bool nothing_new = false;
  /// Scenes still to compare after a merge (nightly --merge): run the shards again, then merge.
  std::size_t scenes_left = 0;
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
