// farmwatch: farmland protection monitoring from satellite and drone imagery.
// main() is the only place that turns failures into exit codes (see README.md).
#include <malloc.h>
#include <sys/resource.h>

#include <iostream>
#include <map>

#include "farmwatch/core/error.h"
#include "farmwatch/io/gdal_setup.h"
#include "farmwatch/version.h"
#include "options.h"

namespace {

const char* kUsage =
    "usage: farmwatch <command> [options]\n"
    "\n"
    "commands:\n"
    "  run <pipeline.yaml>   run a monitoring pipeline (classify, compare, report, tiles);\n"
    "                        --shard i/N: one shard of it (on a cluster)\n"
    "  merge <pipeline.yaml> join the N shards of a run and publish its outputs\n"
    "  info <file>           describe a raster or vector file\n"
    "  classify              classify one image into a land-use map\n"
    "  change                compare two images or land-use maps, write change.tif and patches\n"
    "  tiles                 write XYZ PNG tiles of a paletted raster\n"
    "  warp                  put an image on a grid (CRS, resolution) as the pipeline reads it\n"
    "  train                 learn a random forest from labelled polygons or a label raster\n"
    "  evaluate              a class map against reference labels: accuracy, kappa, areas\n"
    "  zonal                 per-parcel class areas from exact cell-coverage fractions\n"
    "  schema                the JSON Schema of pipeline files (for editors); --area: of area files\n"
    "  nightly <area.yaml>   one unattended night: inbox, state of each place, publish\n"
    "\n"
    "the monitoring database (--db or $FARMWATCH_DB):\n"
    "  patches               list change patches (--unit --since --category --status --format)\n"
    "  patch <id>            a patch's history; --status verified|dismissed --note records a "
    "check\n"
    "  parcel <id>           a parcel's class shares by date and its patches; --chips DIR\n"
    "  month <YYYY-MM>       a month's patches per unit and where no clear view was had\n"
    "\n"
    "farmwatch <command> --help describes a command. farmwatch --version prints the version.\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace farmwatch;
  // glibc serves blocks over 128 KB-32 MB with fresh mmap pages and returns them on free, so
  // every block buffer and image plane allocated again is page-faulted in again. On the VMs
  // we run on that was a third of the time (pixel-grid change 16 s -> 9 s, sample run
  // 4.4 s -> 3.5 s, peak memory unchanged). Blocks up to 1 GB now come from the heap and are
  // reused; larger ones are still mapped and returned.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  // A merge of N shards opens a file of each shard at once (N up to 4096); the default soft
  // limit of 1024 open files would fail it. The hard limit is the administrator's.
  if (rlimit r{}; getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
  const std::map<std::string, int (*)(const std::vector<std::string>&)> commands = {
      {"run", cli::cmd_run},           {"info", cli::cmd_info},   {"classify", cli::cmd_classify},
      {"change", cli::cmd_change},     {"tiles", cli::cmd_tiles}, {"warp", cli::cmd_warp},
      {"evaluate", cli::cmd_evaluate}, {"train", cli::cmd_train}, {"zonal", cli::cmd_zonal},
      {"patches", cli::cmd_patches},   {"patch", cli::cmd_patch}, {"parcel", cli::cmd_parcel},
      {"schema", cli::cmd_schema},     {"nightly", cli::cmd_nightly},
      {"month", cli::cmd_month},       {"merge", cli::cmd_merge}};
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::cout << kUsage;
    return argc < 2 ? kExitUsage : kExitOk;
  }
  if (std::string(argv[1]) == "--version") {
    std::cout << "farmwatch " << kVersion << "\n";
    return kExitOk;
  }
  const auto it = commands.find(argv[1]);
  if (it == commands.end()) {
    std::cerr << "farmwatch: unknown command '" << argv[1] << "'\n" << kUsage;
    return kExitUsage;
  }
  io::setup_gdal(&cli::cli_log());
  io::honour_source_date_epoch();  // every command: GeoPackages the same bytes for the same inputs
  const std::vector<std::string> args(argv + 2, argv + argc);
  try {
    return it->second(args);
  } catch (const cli::UsageError& e) {
    cli::cli_log().error(e.what());
    return kExitUsage;
  } catch (const ParamError& e) {
    cli::cli_log().error(std::string(argv[1]) + ": " + e.what());
    return kExitUsage;
  } catch (const ConfigError& e) {
    cli::cli_log().error(e.what());
    return kExitConfig;
  } catch (const InputError& e) {
    cli::cli_log().error(e.what());
    return kExitInput;
  } catch (const LockHeldError& e) {
    cli::cli_log().error(e.what());
    return kExitLockHeld;
  } catch (const ProcessingError& e) {
    cli::cli_log().error(e.what());
    return kExitProcessing;
  } catch (const std::exception& e) {
    cli::cli_log().error(std::string("internal error: ") + e.what());
    return kExitInternal;
  }
}
