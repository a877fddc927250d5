#include "farmwatch/pipeline/steps/nightly.h"

#include <filesystem>

#include "farmwatch/core/error.h"
#include "farmwatch/core/shard.h"

namespace farmwatch::pipeline {

const ParamSet& NightlyParams::params() {
  using P = NightlyParams;
  static const ParamSet set =
      Params<P>("nightly")
          .path("area", &P::area, "area file (YAML or JSON)", true)
          .flag("wait", &P::wait, "wait for another night on the area to finish (default: exit 75)")
          .flag("dry_run", &P::dry_run,
                "list the scenes found and what would be done with each; change nothing")
          .choice("log_format", &P::log_format, {"text", "json"},
                  "text lines, or one JSON object per line (run_id, stage, scene, seconds)")
          .default_value("text")
          .text("shard", &P::shard,
                "only shard i of N (i/N, counted from 0) of the first scene to compare: its "
                "cells' comparison and next state, kept in the state folder for --merge; no "
                "lock, database, state or publish folder is written")
          .cli_only()
          .value_name("i/N")
          .integer("merge", &P::merge,
                   "join the results of N shards (--shard i/N): record the scene they compared "
                   "and move the state on; publish when no scene is left",
                   ParamRange(1, 4096))
          .cli_only()
          .value_name("N")
          .set();
  return set;
}

NightResult nightly(const NightlyParams& p, const StepEnv& env,
                    std::function<void(std::size_t, std::size_t, const std::string&)> progress) {
  const AreaSpec area = load_area(p.area);
  NightlyOptions o;
  o.threads = env.threads;
  o.wait = p.wait;
  o.dry_run = p.dry_run;
  o.progress = std::move(progress);
  if (p.shard) {
    try {
      o.shard = parse_shard(*p.shard);
    } catch (const std::invalid_argument& e) {
      throw ParamError(std::string("--shard: ") + e.what());
    }
  }
  o.merge_shards = p.merge;
  if (o.shard && o.merge_shards)
    throw ParamError("--shard and --merge: a process is a shard or the merge, not both");
  if ((o.shard || o.merge_shards) && p.dry_run)
    throw ParamError("--dry-run lists the night's scenes; give it without --shard or --merge");
  if (o.shard && p.wait)
    throw ParamError("--wait waits for the area's lock, which a shard does not take");
  try {
    return run_night(area, o, env.log);
  } catch (const std::filesystem::filesystem_error& e) {
    throw ProcessingError(std::string("nightly: ") + e.what());
  }
}

}  // namespace farmwatch::pipeline
