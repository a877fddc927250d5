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
bool parse_command(const std::string& name, const std::string& summary,
                   boost::program_options::options_description& desc,
                   const boost::program_options::positional_options_description& pos,
                   const std::vector<std::string>& args, CommonOptions& common,
                   boost::program_options::variables_map& vm);

/// Thrown for a wrong command line: exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int cmd_run(const std::vector<std::string>& args);
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

}  // namespace farmwatch::cli

#include "farmwatch/io/image_source.h"

namespace farmwatch::cli {

/// Band mapping and DN-to-reflectance options shared by classify and change.
struct ImageOptions {
  std::string bands, rules, profile, quality, quality_kind;
  double scale = 0, offset = 0;
  int quality_band = 0;
};
void add_image_options(boost::program_options::options_description& desc, ImageOptions& o);
/// The request for one image from those options (absent values come from the file).
io::ImageRequest image_request(const std::string& path, const ImageOptions& o,
                               const boost::program_options::variables_map& vm);
/// The classification rules file: --rules or the default shipped with farmwatch.
std::string rules_file(const ImageOptions& o);

}  // namespace farmwatch::cli
