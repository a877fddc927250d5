#include "options.h"

#include <iostream>

namespace farmwatch::cli {
namespace po = boost::program_options;

namespace {
Log stderr_log(LogLevel level) {
  return Log(
      [](LogLevel l, const std::string& m) {
        static const char* names[] = {"debug: ", "", "warning: ", "error: "};
        std::cerr << "farmwatch: " << names[static_cast<int>(l)] << m << "\n";
      },
      level);
}
}  // namespace

Log& cli_log() {
  static Log log = stderr_log(LogLevel::warning);
  return log;
}

bool parse_command(const std::string& name, const std::string& summary,
                   po::options_description& desc, const po::positional_options_description& pos,
                   const std::vector<std::string>& args, CommonOptions& common,
                   po::variables_map& vm) {
  po::options_description all("Options");
  all.add(desc);
  all.add_options()("threads", po::value<int>(&common.threads)->default_value(0),
                    "worker threads (0 = all cores); output is identical for any value")(
      "verbose,v", po::bool_switch(), "more messages (-v info, repeat with --debug for more)")(
      "debug", po::bool_switch(), "debug messages")("quiet,q", po::bool_switch(&common.quiet),
                                                    "errors only")(
      "help,h", po::bool_switch(&common.help), "this help");
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    if (vm.count("help") && vm["help"].as<bool>()) {
      std::cout << "usage: farmwatch " << name << "\n" << summary << "\n\n" << all << "\n";
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(name + ": " + e.what() + " (see farmwatch " + name + " --help)");
  }
  if (common.threads < 0) throw UsageError(name + ": --threads must be 0 or more");
  common.verbose = vm["debug"].as<bool>() ? 2 : vm["verbose"].as<bool>() ? 1 : 0;
  cli_log() = stderr_log(common.verbose == 2   ? LogLevel::debug
                         : common.verbose == 1 ? LogLevel::info
                         : common.quiet        ? LogLevel::error
                                               : LogLevel::warning);
  return true;
}

}  // namespace farmwatch::cli

#include "farmwatch/pipeline/rules_file.h"

namespace farmwatch::cli {

void add_image_options(po::options_description& desc, ImageOptions& o) {
  desc.add_options()("bands", po::value<std::string>(&o.bands),
                     "band roles, e.g. blue=1,green=2,red=3,nir=4[,swir1=5,swir2=6] "
                     "(default: from band descriptions)")("scale", po::value<double>(&o.scale),
                                                          "reflectance = DN * scale + offset")(
      "offset", po::value<double>(&o.offset), "see --scale")(
      "profile", po::value<std::string>(&o.profile)->default_value("auto"),
      "sensor profile: auto (Landsat *_MTL.txt beside the image, else band metadata), generic, "
      "landsat, sentinel2, drone (camera DN as relative brightness)")(
      "quality", po::value<std::string>(&o.quality),
      "cloud/quality mask: a file (Sentinel-2 SCL, Landsat QA_PIXEL, a 0/1 cloud mask), "
      "'spectral' (the spectral cloud test, for products without a mask) or 'none' "
      "(default: an SCL/QA_PIXEL band of the image, if any)")(
      "quality-band", po::value<int>(&o.quality_band), "band of the --quality file (default 1)")(
      "quality-kind", po::value<std::string>(&o.quality_kind),
      "kind of the --quality file when its name does not say: scl, qa_pixel, cloud_mask")(
      "rules", po::value<std::string>(&o.rules),
      "classification rules file (default: pipelines/rules/landuse_rules.yaml)");
}

io::ImageRequest image_request(const std::string& path, const ImageOptions& o,
                               const po::variables_map& vm) {
  io::ImageRequest r;
  r.path = path;
  if (!o.bands.empty()) r.bands = io::BandMap::parse(o.bands);
  if (vm.count("scale")) r.scale = o.scale;
  if (vm.count("offset")) r.offset = o.offset;
  const auto profile = io::parse_profile(o.profile);
  if (!profile)
    throw UsageError("unknown --profile '" + o.profile + "' (" + io::kProfileNames + ")");
  r.profile = *profile;
  r.quality = o.quality;
  r.quality_band = o.quality_band;
  if (!o.quality_kind.empty()) {
    r.quality_kind = parse_quality_kind(o.quality_kind);
    if (!r.quality_kind)
      throw UsageError("unknown --quality-kind '" + o.quality_kind +
                       "' (scl, qa_pixel, cloud_mask, spectral, none)");
  }
  return r;
}

std::string rules_file(const ImageOptions& o) {
  return o.rules.empty() ? pipeline::default_rules_dir() + "/landuse_rules.yaml" : o.rules;
}

}  // namespace farmwatch::cli
