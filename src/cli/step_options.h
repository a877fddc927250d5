#pragma once
// The command line of a step, made from its declared parameters (pipeline/params.h): the same
// keys, types, ranges, choices and help as in a pipeline file.
#include <optional>
#include <string>
#include <vector>

#include "farmwatch/pipeline/params.h"
#include "options.h"

namespace farmwatch::cli {

/// What a subcommand says of itself in --help.
struct CommandHelp {
  CommandHelp(std::string n, std::string u, std::string s, std::vector<std::string> pos = {})
      : name(std::move(n)), usage(std::move(u)), summary(std::move(s)), positional(std::move(pos)) {}
  std::string name;     ///< e.g. "warp"
  std::string usage;    ///< e.g. "warp --in IMAGE --out OUT.tif --crs CRS --resolution R"
  std::string summary;  ///< a few lines
  std::vector<std::string> positional;  ///< keys that may be given by position, in order
};

/// Parses `args` into `target` through `set` plus the common options. Returns false after
/// printing help. A wrong value throws UsageError with the declaration's message.
bool parse_step(const CommandHelp& help, const pipeline::ParamSet& set, void* target,
                const std::vector<std::string>& args, CommonOptions& common);

/// Typed wrapper: the step's parameters, or nothing when --help was printed.
template <class P>
std::optional<P> parse_step(const CommandHelp& help, const std::vector<std::string>& args,
                            CommonOptions& common) {
  P p;
  if (!parse_step(help, P::params(), &p, args, common)) return std::nullopt;
  return p;
}

}  // namespace farmwatch::cli
