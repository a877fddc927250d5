#include <iostream>

#include "farmwatch/core/error.h"
#include "farmwatch/pipeline/run.h"
#include "options.h"

namespace farmwatch::cli {
namespace po = boost::program_options;

int cmd_run(const std::vector<std::string>& args) {
  std::string file, out, db;
  po::options_description desc;
  desc.add_options()("pipeline", po::value<std::string>(&file)->required(),
                     "pipeline file (YAML or JSON)")("out", po::value<std::string>(&out),
                                                     "output folder (overrides outputs.dir)")(
      "db", po::value<std::string>(&db),
      "monitoring database (overrides database: a GeoPackage, \"PG:...\" or none)");
  po::positional_options_description pos;
  pos.add("pipeline", 1);
  CommonOptions common;
  po::variables_map vm;
  if (!parse_command(
          "run <pipeline.yaml> [--out DIR] [--db DB]",
          "Reads the dates named in the pipeline file, puts them on one analysis grid,\n"
          "classifies land use, compares the dates inside the farmland layer and writes\n"
          "land-use and change rasters, change patches, tiles and summary.json.",
          desc, pos, args, common, vm))
    return 0;
  auto spec = pipeline::load_pipeline(file);
  if (!db.empty()) spec.database = db == "none" ? std::string() : db;
  pipeline::RunOptions opts;
  opts.threads = common.threads;
  if (!out.empty()) opts.out_dir = out;
  const auto summary = pipeline::run_pipeline(spec, opts, cli_log());
  std::cout << "outputs: " << summary["outputs"]["dir"].get<std::string>() << "\n";
  for (const auto& f : summary["outputs"]["files"])
    std::cout << "  " << f.get<std::string>() << "\n";
  for (const auto& [layer, t] : summary["outputs"]["tiles"].items())
    std::cout << "  " << t["path"].get<std::string>() << " (" << t["tiles"] << " tiles, z"
              << t["min_zoom"] << "-" << t["max_zoom"] << ")\n";
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

}  // namespace farmwatch::cli
