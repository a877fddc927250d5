#include "yaml_util.h"

#include <filesystem>
#include <ios>

#include "farmwatch/core/error.h"

namespace farmwatch::pipeline {

YAML::Node load_yaml_file(const std::string& path) {
  if (!std::filesystem::exists(path))
    throw ConfigError("cannot read '" + path + "': file does not exist");
  if (std::filesystem::is_directory(path))
    throw ConfigError("cannot read '" + path + "': it is a folder, not a file");
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw ConfigError("cannot parse '" + path + "': line " + std::to_string(e.mark.line + 1) +
                      ": " + e.msg);
  } catch (const std::ios_base::failure& e) {
    throw ConfigError("cannot read '" + path + "': " + e.what());
  }
}

YamlMap::YamlMap(const YAML::Node& node, std::string file, std::string where)
    : node_(node), file_(std::move(file)), where_(std::move(where)) {
  if (!node_.IsMap())
    throw ConfigError(file_ + ": " + (where_.empty() ? "the document" : where_) +
                      " must be a mapping of keys to values");
}

std::string YamlMap::at(const std::string& key) const {
  return file_ + ": " + (where_.empty() ? key : where_ + "." + key);
}

void YamlMap::fail(const std::string& key, const std::string& problem) const {
  throw ConfigError(at(key) + ": " + problem);
}

bool YamlMap::has(const std::string& key) const { return bool(node_[key]); }

std::optional<YAML::Node> YamlMap::opt_node(const std::string& key) {
  used_.insert(key);
  const YAML::Node n = node_[key];
  if (!n || n.IsNull()) return std::nullopt;
  return n;
}

YAML::Node YamlMap::node(const std::string& key) {
  auto n = opt_node(key);
  if (!n) fail(key, "missing (required)");
  return *n;
}

std::optional<std::string> YamlMap::opt_str(const std::string& key) {
  auto n = opt_node(key);
  if (!n) return std::nullopt;
  if (!n->IsScalar()) fail(key, "expected a text value");
  return n->as<std::string>();
}

std::string YamlMap::str(const std::string& key) {
  auto s = opt_str(key);
  if (!s) fail(key, "missing (required)");
  return *s;
}

std::optional<double> YamlMap::opt_num(const std::string& key) {
  auto n = opt_node(key);
  if (!n) return std::nullopt;
  try {
    return n->as<double>();
  } catch (const YAML::Exception&) {
    fail(key, "expected a number, got '" + (n->IsScalar() ? n->as<std::string>() : "?") + "'");
  }
}

double YamlMap::num(const std::string& key) {
  auto v = opt_num(key);
  if (!v) fail(key, "missing (required)");
  return *v;
}

std::optional<int> YamlMap::opt_int(const std::string& key) {
  auto n = opt_node(key);
  if (!n) return std::nullopt;
  try {
    return n->as<int>();
  } catch (const YAML::Exception&) {
    fail(key, "expected a whole number");
  }
}

std::optional<bool> YamlMap::opt_bool(const std::string& key) {
  auto n = opt_node(key);
  if (!n) return std::nullopt;
  try {
    return n->as<bool>();
  } catch (const YAML::Exception&) {
    fail(key, "expected true or false");
  }
}

void YamlMap::finish() const {
  for (const auto& kv : node_) {
    const std::string key = kv.first.as<std::string>();
    if (!used_.count(key)) {
      std::string known;
      for (const auto& k : used_) known += (known.empty() ? "" : ", ") + k;
      throw ConfigError(at(key) + ": unknown key (known here: " + known + ")");
    }
  }
}

}  // namespace farmwatch::pipeline
