#include <iostream>

#include "farmwatch/core/error.h"
#include "farmwatch/pipeline/steps/run.h"
#include "step_options.h"

namespace farmwatch::cli {
namespace {

/// What a run or a merge published, and its exit code.
int print_outputs(const nlohmann::json& summary) {
  std::cout << "outputs: " << summary["outputs"]["dir"].get<std::string>() << "\n";
  for (const auto& f : summary["outputs"]["files"])
    std::cout << "  " << f.get<std::string>() << "\n";
  for (const auto& [set, layers] : summary["outputs"]["tiles"].items())
    for (const auto& [layer, t] : layers.items())
      std::cout << "  tiles/" << t["path"].get<std::string>() << " (" << t["tiles"]
                << " tiles, z" << t["min_zoom"] << "-" << t["max_zoom"] << ")\n";
  std::cout << "  summary.json\n";
  if (summary.contains("changes")) {
    for (const auto& [key, c] : summary["changes"]["categories"].items())
      std::cout << c["label"].get<std::string>() << ": " << c["patches"] << " patches, "
                << c["area_m2"] << " m2 (" << c["area_mu"] << " mu)\n";
  }
  const int failed = summary.value("failed_scenes", 0);
  if (failed == 0) return kExitOk;
  for (const auto& d : summary["inputs"]["dates"])
    for (const auto& sc : d["scenes"])
      if (sc["status"] == "failed")
        cli_log().warn("date " + d["date"].get<std::string>() +
                       ": scene failed: " + sc["reason"].get<std::string>());
  cli_log().warn(std::to_string(failed) +
                 " scene(s) failed; outputs were made from the others (exit code 6, partial)");
  return kExitPartial;
}

}  // namespace

int cmd_run(const std::vector<std::string>& args) {
  CommonOptions common;
  const auto p = parse_step<pipeline::RunParams>(
      {"run", "run <pipeline.yaml> [--out DIR] [--db DB] [--check] [--shard i/N]",
       "Reads the dates named in the pipeline file, puts them on one analysis grid,\n"
       "classifies land use, compares the dates inside the farmland layer and writes\n"
       "land-use and change rasters, change patches, tiles and summary.json.\n"
       "With --shard i/N, only shard i's part of the per-pixel pass; `farmwatch merge`\n"
       "then joins the N shards and publishes (scripts/slurm/run.sh does both on Slurm).",
       {"pipeline"}},
      args, common);
  if (!p) return 0;
  const auto summary = pipeline::run(*p, {common.threads, cli_log()});
  if (p->check) {
    const auto& g = summary["grid"];
    std::cout << p->pipeline << ": valid; grid " << g["crs"].get<std::string>() << ", "
              << g["width"] << " x " << g["height"] << " pixels of " << g["resolution"] << "\n";
    for (const auto& d : summary["dates"])
      std::cout << "  " << d["date"].get<std::string>() << ": " << d["scenes_usable"]
                << " usable scene(s)\n";
    return 0;
  }
  if (summary.contains("shard")) {
    std::cout << "shard " << summary["shard"].get<std::string>()
              << (summary["already_complete"].get<bool>() ? ": already complete in "
                                                          : ": result in ")
              << summary["dir"].get<std::string>() << "\n";
    return kExitOk;
  }
  return print_outputs(summary);
}

int cmd_merge(const std::vector<std::string>& args) {
  CommonOptions common;
  const auto p = parse_step<pipeline::MergeParams>(
      {"merge", "merge <pipeline.yaml> --shards N [--out DIR] [--db DB] [--shard-dir DIR]",
       "Joins the results of `farmwatch run <pipeline.yaml> --shard i/N` for i = 0..N-1\n"
       "(same pipeline, --out and --shard-dir) and publishes exactly what one unsharded\n"
       "run writes: rasters, patches, parcel statistics, reports, tiles, the database.",
       {"pipeline"}},
      args, common);
  if (!p) return 0;
  return print_outputs(pipeline::merge(*p, {common.threads, cli_log()}));
}

}  // namespace farmwatch::cli
