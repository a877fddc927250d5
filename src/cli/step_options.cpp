#include "step_options.h"

#include <algorithm>

#include "farmwatch/core/error.h"

namespace farmwatch::cli {
namespace po = boost::program_options;

namespace {
std::string flag_of(const pipeline::Param& p) {
  return p.cli_name.empty() ? pipeline::key_to_flag(p.key) : p.cli_name;
}

std::string help_of(const pipeline::Param& p) {
  std::string h = p.help;
  if (p.schema.contains("default") && !p.cli_switch)
    h += " (default: " +
         (p.schema["default"].is_string() ? p.schema["default"].get<std::string>()
                                          : p.schema["default"].dump()) +
         ")";
  if (p.required) h += " [required]";
  return h;
}
}  // namespace

bool parse_step(const CommandHelp& help, const pipeline::ParamSet& set, void* target,
                const std::vector<std::string>& args, CommonOptions& common) {
  po::options_description desc;
  for (const auto& p : set.params()) {
    if (!p.cli) continue;
    const std::string flag = flag_of(p);
    if (p.cli_switch)
      desc.add_options()(flag.c_str(), po::bool_switch(), help_of(p).c_str());
    else if (p.cli_repeat)
      desc.add_options()(flag.c_str(), po::value<std::vector<std::string>>(),
                         help_of(p).c_str());
    else
      desc.add_options()(flag.c_str(), po::value<std::string>(), help_of(p).c_str());
  }
  po::positional_options_description pos;
  for (const auto& k : help.positional) pos.add(pipeline::key_to_flag(k).c_str(), 1);
  po::variables_map vm;
  if (!parse_command(help.name, help.usage, help.summary, desc, pos, args, common, vm))
    return false;
  const pipeline::ParamSource cli_source;  // no file: messages name the --option
  try {
    for (const auto& p : set.params()) {
      if (!p.cli) continue;
      const std::string flag = flag_of(p);
      if (!vm.count(flag) || vm[flag].defaulted()) {
        if (p.required) {
          const bool positional = std::find(help.positional.begin(), help.positional.end(),
                                            p.key) != help.positional.end();
          cli_source.fail(p.key, positional ? "missing: give the " + p.help + " (usage: farmwatch " +
                                                  help.usage + ")"
                                            : "missing (required)");
        }
        continue;
      }
      YAML::Node value;
      if (p.cli_switch) {
        if (!vm[flag].as<bool>()) continue;
        value = YAML::Node("true");
      } else if (p.cli_repeat) {
        for (const auto& v : vm[flag].as<std::vector<std::string>>()) value.push_back(v);
      } else {
        value = YAML::Node(vm[flag].as<std::string>());
      }
      p.set(target, value, cli_source);
    }
  } catch (const ConfigError& e) {
    throw UsageError(help.name + ": " + e.what() + " (see farmwatch " + help.name + " --help)");
  }
  return true;
}

}  // namespace farmwatch::cli
