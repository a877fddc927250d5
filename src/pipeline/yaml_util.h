#pragma once
// Checked access to YAML/JSON mappings: typed getters, and unknown keys reported as errors.
#include <yaml-cpp/yaml.h>

#include <optional>
#include <set>
#include <string>

namespace farmwatch::pipeline {

/// Parses a YAML or JSON file; ConfigError naming the file, line and problem.
YAML::Node load_yaml_file(const std::string& path);

/// One mapping of a config file. Every key read is remembered; finish() rejects the rest.
class YamlMap {
 public:
  /// `where` names the mapping in messages, e.g. "dates[1]".
  YamlMap(const YAML::Node& node, std::string file, std::string where);

  bool has(const std::string& key) const;
  YAML::Node node(const std::string& key);  ///< required
  std::optional<YAML::Node> opt_node(const std::string& key);
  std::string str(const std::string& key);  ///< required
  std::optional<std::string> opt_str(const std::string& key);
  double num(const std::string& key);  ///< required
  std::optional<double> opt_num(const std::string& key);
  std::optional<int> opt_int(const std::string& key);
  std::optional<bool> opt_bool(const std::string& key);
  /// ConfigError on the first key that was never read.
  void finish() const;

  /// "file: where.key" for messages.
  std::string at(const std::string& key) const;
  [[noreturn]] void fail(const std::string& key, const std::string& problem) const;
  const std::string& file() const { return file_; }

 private:
  YAML::Node node_;
  std::string file_, where_;
  std::set<std::string> used_;
};

}  // namespace farmwatch::pipeline
