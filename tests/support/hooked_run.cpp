// Test helper: runs a pipeline file like `farmwatch run`, with a hook just before the
// monitoring database commits, so the atomicity tests can make a run fail or be killed at the
// last moment without any test switch in farmwatch itself.
//   farmwatch_hooked_run fail PIPELINE.yaml          the hook throws ProcessingError (exit 5)
//   farmwatch_hooked_run hold PIPELINE.yaml MARKER   the hook writes MARKER and waits 120 s
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "farmwatch/core/error.h"
#include "farmwatch/io/gdal_setup.h"
#include "farmwatch/pipeline/run.h"

int main(int argc, char** argv) {
  using namespace farmwatch;
  if (argc < 3) return 2;
  const std::string mode = argv[1], marker = argc > 3 ? argv[3] : "";
  Log log([](LogLevel, const std::string& m) { std::cerr << m << "\n"; }, LogLevel::warning);
  io::setup_gdal(&log);
  pipeline::RunOptions opts;
  opts.before_database_commit = [&] {
    if (mode == "fail") throw ProcessingError("monitoring database: run failed before commit");
    std::ofstream(marker) << "holding\n";
    std::this_thread::sleep_for(std::chrono::seconds(120));
  };
  try {
    pipeline::run_pipeline(pipeline::load_pipeline(argv[2]), opts, log);
  } catch (const ProcessingError& e) {
    std::cerr << "farmwatch: error: " << e.what() << "\n";
    return kExitProcessing;
  }
  return 0;
}
