#include "farmwatch/pipeline/params.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "farmwatch/core/error.h"
#include "farmwatch/pipeline/spec.h"

namespace farmwatch::pipeline {

std::string ParamSource::at(const std::string& key) const {
  if (file.empty()) return "--" + key_to_flag(key);
  return file + ": " + (where.empty() ? key : where + "." + key);
}

void ParamSource::fail(const std::string& key, const std::string& problem) const {
  throw ConfigError(at(key) + ": " + problem);
}

ParamSource ParamSource::nested(const std::string& key) const {
  return {file, where.empty() ? key : where + "." + key, base};
}

std::string key_to_flag(const std::string& key) {
  std::string f = key;
  for (auto& c : f)
    if (c == '_') c = '-';
  return f;
}

std::string resolve_path(const std::string& base, const std::string& p) {
  const std::filesystem::path path(p);
  if (base.empty() || path.is_absolute()) return p;
  return (std::filesystem::path(base) / path).lexically_normal().string();
}

const Param* ParamSet::find(const std::string& key) const {
  for (const auto& p : params_)
    if (p.key == key) return &p;
  return nullptr;
}

Param& ParamSet::add(Param p) {
  params_.push_back(std::move(p));
  return params_.back();
}

void ParamSet::read(void* target, const YAML::Node& map, const ParamSource& src) const {
  if (!map.IsMap())
    throw ConfigError(src.file + ": " + (src.where.empty() ? "the document" : src.where) +
                      " must be a mapping of keys to values");
  for (const auto& kv : map) {
    if (!kv.first.IsScalar())
      throw ConfigError(src.file + ": " + (src.where.empty() ? "the document" : src.where) +
                        " has a key that is not text");
    const std::string key = kv.first.as<std::string>();
    const Param* p = find(key);
    if (!p || !p->file) {
      std::string known;
      for (const auto& q : params_)
        if (q.file) known += (known.empty() ? "" : ", ") + q.key;
      src.fail(key, "unknown key (known here: " + known + ")");
    }
    // `key:` with nothing after it is no value, not "use the default": a farmland layer
    // silently dropped would watch nothing. (JSON Schema agrees: null is not a value here.)
    if (kv.second.IsNull())
      src.fail(key, p->required ? "missing (required)" : "has no value: give one or remove the key");
    p->set(target, kv.second, src);
  }
  for (const auto& p : params_)
    if (p.required && p.file && (!map[p.key] || map[p.key].IsNull()))
      src.fail(p.key, "missing (required)");
}

nlohmann::json ParamSet::schema() const {
  nlohmann::json props = nlohmann::json::object(), required = nlohmann::json::array();
  for (const auto& p : params_) {
    if (!p.file) continue;
    props[p.key] = p.schema;
    if (p.required) required.push_back(p.key);
  }
  nlohmann::json s = {{"type", "object"}, {"properties", props}, {"additionalProperties", false}};
  if (!required.empty()) s["required"] = required;
  return s;
}

namespace param_detail {

std::string scalar_text(const YAML::Node& v, const std::string& key, const ParamSource& src) {
  if (!v.IsScalar()) src.fail(key, "expected a text value");
  return v.as<std::string>();
}

double number_value(const YAML::Node& v, const std::string& key, const ParamSource& src,
                    bool integral) {
  const std::string what = integral ? "a whole number" : "a number";
  // A quoted scalar in a file is text (as in JSON), not a number.
  if (!v.IsScalar() || v.Tag() == "!") src.fail(key, "expected " + what);
  const std::string text = v.as<std::string>();
  double x = 0;
  try {
    // yaml-cpp reads "true" or "1e3" leniently for some types; read as double and check.
    x = v.as<double>();
  } catch (const YAML::Exception&) {
    src.fail(key, "expected " + what + ", got '" + text + "'");
  }
  if (!std::isfinite(x)) src.fail(key, "expected " + what + ", got '" + text + "'");
  if (integral && (x != std::floor(x) || std::fabs(x) > 2e9))
    src.fail(key, "expected " + what + ", got '" + text + "'");
  return x;
}

void check_range(double x, const std::string& key, const ParamSource& src,
                 std::optional<double> min, std::optional<double> max, bool exclusive_min,
                 std::optional<int> multiple_of) {
  // Six decimals at most (0.05, 100), or the shortest text that reads back as the value
  // where those lose it (1e-09 was "0").
  auto fmt = [](double d) {
    std::string s = std::to_string(d);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    if ((s.size() <= 12 && std::strtod(s.c_str(), nullptr) == d) || !std::isfinite(d)) return s;
    char buf[32];
    for (int digits = 1; digits <= 17; ++digits) {
      std::snprintf(buf, sizeof buf, "%.*g", digits, d);
      if (std::strtod(buf, nullptr) == d) break;
    }
    return std::string(buf);
  };
  std::string range;
  if (min && max)
    range = fmt(*min) + (exclusive_min ? " < value <= " : "..") + fmt(*max);
  else if (min)
    range = exclusive_min ? "more than " + fmt(*min) : fmt(*min) + " or more";
  else if (max)
    range = fmt(*max) + " or less";
  if ((min && (exclusive_min ? !(x > *min) : !(x >= *min))) || (max && !(x <= *max)))
    src.fail(key, "must be " + range + ", got " + fmt(x));
  if (multiple_of && std::fmod(x, *multiple_of) != 0)
    src.fail(key, "must be a multiple of " + std::to_string(*multiple_of) +
                      (range.empty() ? "" : " in " + range) + ", got " + fmt(x));
}

bool bool_value(const YAML::Node& v, const std::string& key, const ParamSource& src) {
  if (!v.IsScalar() || v.Tag() == "!") src.fail(key, "expected true or false");
  const std::string t = v.as<std::string>();
  // JSON Schema's boolean is true/false only; YAML 1.2 core schema agrees.
  if (t == "true" || t == "True" || t == "TRUE") return true;
  if (t == "false" || t == "False" || t == "FALSE") return false;
  src.fail(key, "expected true or false, got '" + t + "'" +
                    (t == "yes" || t == "no" || t == "on" || t == "off"
                         ? " (YAML 1.2, as editors and JSON read it, has no yes/no: write true "
                           "or false)"
                         : ""));
}

std::string choice_value(const YAML::Node& v, const std::string& key, const ParamSource& src,
                         const std::vector<std::string>& choices) {
  const std::string t = scalar_text(v, key, src);
  for (const auto& c : choices)
    if (t == c) return t;
  std::string known;
  for (const auto& c : choices) known += (known.empty() ? "" : ", ") + c;
  src.fail(key, "unknown value '" + t + "' (known: " + known + ")");
}

std::string date_value(const YAML::Node& v, const std::string& key, const ParamSource& src) {
  const std::string t = scalar_text(v, key, src);
  if (!valid_date(t)) src.fail(key, "'" + t + "' is not a date written YYYY-MM-DD");
  return t;
}

std::string path_value(const YAML::Node& v, const std::string& key, const ParamSource& src) {
  const std::string t = scalar_text(v, key, src);
  if (t.empty()) src.fail(key, "expected a path, got an empty text");
  return resolve_path(src.base, t);
}

std::vector<std::string> list_value(const YAML::Node& v, const std::string& key,
                                    const ParamSource& src) {
  std::vector<std::string> out;
  if (v.IsSequence() && v.size() > 0) {
    for (const auto& e : v) {
      if (!e.IsScalar()) src.fail(key, "expected a list of text values");
      out.push_back(e.as<std::string>());
    }
  } else {
    src.fail(key, "expected a list of text values");
  }
  return out;
}

}  // namespace param_detail
}  // namespace farmwatch::pipeline
