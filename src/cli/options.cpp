#include "options.h"

#include <iostream>

#include "farmwatch/core/text_encoding.h"

namespace farmwatch::cli {
namespace po = boost::program_options;

namespace {
Log stderr_log(LogLevel level) {
  return Log(
      [](LogLevel l, const std::string& m) {
        static const char* names[] = {"debug: ", "", "warning: ", "error: "};
        // One write per line: stages log from several threads.
        std::cerr << ("farmwatch: " + std::string(names[static_cast<int>(l)]) + terminal_safe(m) +
                      "\n")
                  << std::flush;
      },
      level);
}
}  // namespace

Log& cli_log() {
  static Log log = stderr_log(LogLevel::warning);
  return log;
}

bool parse_command(const std::string& name, const std::string& usage, const std::string& summary,
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
      std::cout << "usage: farmwatch " << usage << "\n" << summary << "\n\n" << all << "\n";
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
