#pragma once
// What every subcommand shares: --help, --threads, -v, and the logger they configure.
#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "farmwatch/core/log.h"

namespace farmwatch::cli {

struct CommonOptions {
  int threads = 0;
  int verbose = 0;
  bool help = false;
  bool quiet = false;
};

/// The process-wide logger (stderr); its level follows -v / --quiet.
Log& cli_log();

/// Parses `args` against `desc` plus the common options (and positionals if any).
/// Returns false after printing help when --help was given. ConfigError-like usage errors
/// are thrown as UsageError.
bool parse_command(const std::string& name, const std::string& usage, const std::string& summary,
                   boost::program_options::options_description& desc,
                   const boost::program_options::positional_options_description& pos,
                   const std::vector<std::string>& args, CommonOptions& common,
                   boost::program_options::variables_map& vm);

/// Thrown for a wrong command line: exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int cmd_run(const std::vector<std::string>& args);
int cmd_merge(const std::vector<std::string>& args);
int cmd_info(const std::vector<std::string>& args);
int cmd_classify(const std::vector<std::string>& args);
int cmd_change(const std::vector<std::string>& args);
int cmd_tiles(const std::vector<std::string>& args);
int cmd_warp(const std::vector<std::string>& args);
int cmd_evaluate(const std::vector<std::string>& args);
int cmd_train(const std::vector<std::string>& args);
int cmd_zonal(const std::vector<std::string>& args);
int cmd_patches(const std::vector<std::string>& args);
int cmd_patch(const std::vector<std::string>& args);
int cmd_parcel(const std::vector<std::string>& args);
int cmd_schema(const std::vector<std::string>& args);
int cmd_nightly(const std::vector<std::string>& args);
int cmd_month(const std::vector<std::string>& args);

}  // namespace farmwatch::cli
