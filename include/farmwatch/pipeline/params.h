#pragma once
// Parameters declared once: key, type, default, range or choices, help. One declaration gives a
// step's command-line options, its keys in a pipeline file, --help, the validation messages and
// the JSON Schema of the pipeline file (farmwatch schema). See GDAL's `gdal` algorithms and
// PDAL's stage options for the same idea.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace farmwatch::pipeline {

/// `p` taken from folder `base` unless absolute or `base` is empty (the command line).
std::string resolve_path(const std::string& base, const std::string& p);

/// "block_size" -> "block-size": the command-line spelling of a key.
std::string key_to_flag(const std::string& key);

/// Where a value came from, for messages: "file.yaml: dates[0].scale" or "--scale".
struct ParamSource {
  std::string file;   ///< pipeline file; empty for the command line
  std::string where;  ///< the enclosing mapping in the file, e.g. "dates[0]"; "" at the top
  std::string base;   ///< folder that relative paths are taken from; empty: as given
  std::string at(const std::string& key) const;
  [[noreturn]] void fail(const std::string& key, const std::string& problem) const;
  ParamSource nested(const std::string& key) const;  ///< the source of a mapping under `key`
};

/// One declared parameter of a struct (type-erased). `set` converts a YAML value (a command-line
/// value arrives as a YAML scalar), checks it against the declared type, range and choices, and
/// stores it; it throws ConfigError through `ParamSource::fail`.
struct Param {
  std::string key;          ///< snake_case; --kebab-case on the command line
  std::string help;         ///< one line, shown by --help and as the schema's description
  nlohmann::json schema;    ///< JSON Schema of the value (type, range, enum, default)
  bool required = false;
  bool cli = true;          ///< offered on the command line
  bool file = true;         ///< accepted in a pipeline file
  bool cli_switch = false;  ///< a flag without a value on the command line (booleans)
  bool cli_repeat = false;  ///< repeated on the command line to give a list
  std::string cli_name;     ///< overrides --kebab(key)
  std::string value_name;   ///< for --help, e.g. "FILE"
  std::function<void(void* target, const YAML::Node& value, const ParamSource& src)> set;
};

/// A list of declared parameters of the struct `T`, built once (static) by its `params()`.
class ParamSet {
 public:
  explicit ParamSet(std::string name) : name_(std::move(name)) {}
  const std::string& name() const { return name_; }
  const std::vector<Param>& params() const { return params_; }
  const Param* find(const std::string& key) const;
  Param& add(Param p);

  /// Reads a mapping of a pipeline file into `target`: every key must be declared (else
  /// "unknown key"), every required key present. ConfigError naming file and key.
  void read(void* target, const YAML::Node& map, const ParamSource& src) const;
  /// The JSON Schema of a mapping with these keys (additionalProperties false).
  nlohmann::json schema() const;

 private:
  std::string name_;
  std::vector<Param> params_;
};

/// Range of a number: inclusive bounds unless `exclusive_min`.
struct ParamRange {
  ParamRange(std::optional<double> lo = {}, std::optional<double> hi = {}, bool excl = false,
             std::optional<int> multiple = {})
      : min(lo), max(hi), exclusive_min(excl), multiple_of(multiple) {}
  std::optional<double> min, max;
  bool exclusive_min = false;
  std::optional<int> multiple_of;
};

namespace param_detail {
std::string scalar_text(const YAML::Node& v, const std::string& key, const ParamSource& src);
double number_value(const YAML::Node& v, const std::string& key, const ParamSource& src,
                    bool integral);
void check_range(double x, const std::string& key, const ParamSource& src,
                 std::optional<double> min, std::optional<double> max, bool exclusive_min,
                 std::optional<int> multiple_of);
bool bool_value(const YAML::Node& v, const std::string& key, const ParamSource& src);
std::string choice_value(const YAML::Node& v, const std::string& key, const ParamSource& src,
                         const std::vector<std::string>& choices);
std::string date_value(const YAML::Node& v, const std::string& key, const ParamSource& src);
std::string path_value(const YAML::Node& v, const std::string& key, const ParamSource& src);
std::vector<std::string> list_value(const YAML::Node& v, const std::string& key,
                                    const ParamSource& src);
}  // namespace param_detail

/// Declares the parameters of struct `T` against its members.
/// Usage: `static const ParamSet set = Params<T>("warp").text("crs", &T::crs, "...").set();`
template <class T>
class Params {
 public:
  explicit Params(std::string name) : set_(std::move(name)) {}

  using Range = ParamRange;

  Params& text(const std::string& key, std::string T::*m, const std::string& help,
               bool required = false) {
    return add_scalar(key, m, help, required, {{"type", "string"}});
  }
  Params& text(const std::string& key, std::optional<std::string> T::*m, const std::string& help) {
    return add_scalar(key, m, help, false, {{"type", "string"}});
  }
  /// A file or folder path; relative paths in a pipeline file are taken from its folder.
  Params& path(const std::string& key, std::string T::*m, const std::string& help,
               bool required = false) {
    Param p = base(key, help, required, {{"type", "string"}, {"minLength", 1}});
    p.value_name = "PATH";
    p.set = [m, key](void* t, const YAML::Node& v, const ParamSource& src) {
      static_cast<T*>(t)->*m = param_detail::path_value(v, key, src);
    };
    set_.add(std::move(p));
    return *this;
  }
  /// A date written YYYY-MM-DD (a real calendar date).
  Params& date(const std::string& key, std::string T::*m, const std::string& help,
               bool required = false);
  Params& choice(const std::string& key, std::string T::*m, std::vector<std::string> choices,
                 const std::string& help);
  Params& integer(const std::string& key, int T::*m, const std::string& help, Range r = {},
                  bool required = false) {
    return add_number<int>(key, m, help, r, required, "integer");
  }
  Params& integer(const std::string& key, std::optional<int> T::*m, const std::string& help,
                  Range r = {}) {
    return add_number<int>(key, m, help, r, false, "integer");
  }
  Params& number(const std::string& key, double T::*m, const std::string& help, Range r = {},
                 bool required = false) {
    return add_number<double>(key, m, help, r, required, "number");
  }
  Params& number(const std::string& key, std::optional<double> T::*m, const std::string& help,
                 Range r = {}) {
    return add_number<double>(key, m, help, r, false, "number");
  }
  Params& flag(const std::string& key, bool T::*m, const std::string& help);
  /// A list of texts; on the command line the option is repeated.
  Params& list(const std::string& key, std::vector<std::string> T::*m, const std::string& help,
               bool required = false);
  /// A value with its own reader and schema (a nested mapping, a union of forms...).
  Params& custom(const std::string& key, const std::string& help, nlohmann::json schema,
                 std::function<void(T&, const YAML::Node&, const ParamSource&)> read,
                 bool required = false);
  /// A nested mapping read with the parameters of `U`.
  template <class U>
  Params& object(const std::string& key, std::optional<U> T::*m, const std::string& help) {
    const ParamSet& inner = U::params();
    Param p = base(key, help, false, inner.schema());
    p.cli = false;
    p.set = [m, &inner, key](void* t, const YAML::Node& v, const ParamSource& src) {
      U u;
      inner.read(&u, v, src.nested(key));
      static_cast<T*>(t)->*m = std::move(u);
    };
    set_.add(std::move(p));
    return *this;
  }

  /// A list of nested mappings, each read with the parameters of `U`.
  template <class U>
  Params& objects(const std::string& key, std::vector<U> T::*m, const std::string& help,
                  int min_items, int max_items, bool required = false) {
    const ParamSet& inner = U::params();
    Param p = base(key, help, required,
                   {{"type", "array"},
                    {"items", inner.schema()},
                    {"minItems", min_items},
                    {"maxItems", max_items}});
    p.cli = false;
    p.set = [m, &inner, key, min_items, max_items](void* t, const YAML::Node& v,
                                                   const ParamSource& src) {
      if (!v.IsSequence() || v.size() < std::size_t(min_items) || v.size() > std::size_t(max_items))
        src.fail(key, "expected a list of " + std::to_string(min_items) + " to " +
                          std::to_string(max_items) + " entries");
      auto& out = static_cast<T*>(t)->*m;
      out.clear();
      for (std::size_t i = 0; i < v.size(); ++i) {
        U u;
        ParamSource s = src.nested(key);
        s.where += "[" + std::to_string(i) + "]";
        inner.read(&u, v[i], s);
        out.push_back(std::move(u));
      }
    };
    set_.add(std::move(p));
    return *this;
  }

  /// Every parameter of struct `U`, stored in the member `m` (shared groups such as the image
  /// keys of classify, change and a pipeline file's dates).
  template <class U>
  Params& embed(U T::*m, const std::vector<std::string>& except = {}) {
    for (Param p : U::params().params()) {
      if (std::find(except.begin(), except.end(), p.key) != except.end()) continue;
      auto inner = p.set;
      p.set = [m, inner](void* t, const YAML::Node& v, const ParamSource& src) {
        inner(&(static_cast<T*>(t)->*m), v, src);
      };
      set_.add(std::move(p));
    }
    return *this;
  }

  /// Modifiers of the last parameter added.
  Params& required() { return last([](Param& p) { p.required = true; }); }
  Params& cli_only() { return last([](Param& p) { p.file = false; }); }
  Params& file_only() { return last([](Param& p) { p.cli = false; }); }
  Params& cli_name(const std::string& n) { return last([&](Param& p) { p.cli_name = n; }); }
  Params& value_name(const std::string& n) { return last([&](Param& p) { p.value_name = n; }); }
  Params& default_value(nlohmann::json d) {
    return last([&](Param& p) { p.schema["default"] = d; });
  }

  ParamSet set() const { return set_; }

 private:
  static Param base(const std::string& key, const std::string& help, bool required,
                    nlohmann::json schema) {
    Param p;
    p.key = key;
    p.help = help;
    p.required = required;
    schema["description"] = help;
    p.schema = std::move(schema);
    return p;
  }
  template <class F>
  Params& last(F f) {
    f(const_cast<Param&>(set_.params().back()));
    return *this;
  }
  template <class M>
  Params& add_scalar(const std::string& key, M m, const std::string& help, bool required,
                     nlohmann::json schema) {
    Param p = base(key, help, required, std::move(schema));
    p.set = [m, key](void* t, const YAML::Node& v, const ParamSource& src) {
      static_cast<T*>(t)->*m = param_detail::scalar_text(v, key, src);
    };
    set_.add(std::move(p));
    return *this;
  }
  template <class V, class M>
  Params& add_number(const std::string& key, M m, const std::string& help, Range r, bool required,
                     const char* type) {
    nlohmann::json s = {{"type", type}};
    if (r.min) s[r.exclusive_min ? "exclusiveMinimum" : "minimum"] = *r.min;
    if (r.max) s["maximum"] = *r.max;
    if (r.multiple_of) s["multipleOf"] = *r.multiple_of;
    Param p = base(key, help, required, std::move(s));
    p.set = [m, key, r](void* t, const YAML::Node& v, const ParamSource& src) {
      const double x = param_detail::number_value(v, key, src, std::is_integral_v<V>);
      param_detail::check_range(x, key, src, r.min, r.max, r.exclusive_min, r.multiple_of);
      static_cast<T*>(t)->*m = static_cast<V>(x);
    };
    set_.add(std::move(p));
    return *this;
  }

 private:
  ParamSet set_;
};


template <class T>
Params<T>& Params<T>::date(const std::string& key, std::string T::*m, const std::string& help,
                           bool required) {
  Param p = base(key, help, required,
                 {{"type", "string"}, {"pattern", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}});
  p.set = [m, key](void* t, const YAML::Node& v, const ParamSource& src) {
    static_cast<T*>(t)->*m = param_detail::date_value(v, key, src);
  };
  set_.add(std::move(p));
  return *this;
}

template <class T>
Params<T>& Params<T>::choice(const std::string& key, std::string T::*m,
                             std::vector<std::string> choices, const std::string& help) {
  std::string h = help + " (";
  for (std::size_t i = 0; i < choices.size(); ++i) h += (i ? ", " : "") + choices[i];
  Param p = base(key, h + ")", false, {{"type", "string"}, {"enum", choices}});
  p.set = [m, key, choices](void* t, const YAML::Node& v, const ParamSource& src) {
    static_cast<T*>(t)->*m = param_detail::choice_value(v, key, src, choices);
  };
  set_.add(std::move(p));
  return *this;
}

template <class T>
Params<T>& Params<T>::flag(const std::string& key, bool T::*m, const std::string& help) {
  Param p = base(key, help, false, {{"type", "boolean"}});
  p.cli_switch = true;
  p.set = [m, key](void* t, const YAML::Node& v, const ParamSource& src) {
    static_cast<T*>(t)->*m = param_detail::bool_value(v, key, src);
  };
  set_.add(std::move(p));
  return *this;
}

template <class T>
Params<T>& Params<T>::list(const std::string& key, std::vector<std::string> T::*m,
                           const std::string& help, bool required) {
  Param p = base(key, help, required,
                 {{"type", "array"}, {"items", {{"type", "string"}}}, {"minItems", 1}});
  p.cli_repeat = true;
  p.set = [m, key](void* t, const YAML::Node& v, const ParamSource& src) {
    static_cast<T*>(t)->*m = param_detail::list_value(v, key, src);
  };
  set_.add(std::move(p));
  return *this;
}

template <class T>
Params<T>& Params<T>::custom(const std::string& key, const std::string& help,
                             nlohmann::json schema,
                             std::function<void(T&, const YAML::Node&, const ParamSource&)> read,
                             bool required) {
  Param p = base(key, help, required, std::move(schema));
  p.set = [read](void* t, const YAML::Node& v, const ParamSource& src) {
    read(*static_cast<T*>(t), v, src);
  };
  set_.add(std::move(p));
  return *this;
}

}  // namespace farmwatch::pipeline
