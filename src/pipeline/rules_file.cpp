#include "farmwatch/pipeline/rules_file.h"

#include <cmath>
#include <filesystem>

#include "farmwatch/core/error.h"
#include "farmwatch/engine/model_classify.h"
#include "rules_yaml.h"
#include "yaml_util.h"

#ifndef FARMWATCH_SOURCE_DIR
#define FARMWATCH_SOURCE_DIR "."
#endif

namespace farmwatch::pipeline {
namespace {

float bound(const YAML::Node& n, const YamlMap& m, const std::string& key) {
  if (!n || n.IsNull()) return kNaN;
  try {
    return n.as<float>();
  } catch (const YAML::Exception&) {
    m.fail(key, "bounds must be numbers or null");
  }
}

std::vector<std::uint8_t> class_list(const YAML::Node& n, const ClassTable& classes,
                                     const YamlMap& m, const std::string& key,
                                     bool skip_absent = false) {
  std::vector<std::uint8_t> out;
  auto one = [&](const std::string& k) {
    const LandClass* c = classes.find(k);
    if (!c && skip_absent) return;
    if (!c) m.fail(key, "unknown class '" + k + "'");
    out.push_back(c->code);
  };
  if (n.IsScalar())
    one(n.as<std::string>());
  else if (n.IsSequence())
    for (const auto& x : n) one(x.as<std::string>());
  else
    m.fail(key, "expected a class key or a list of class keys");
  return out;
}

}  // namespace

std::shared_ptr<const RuleClassifier> parse_classifier(const YAML::Node& node,
                                                       const std::string& file,
                                                       const std::string& where) {
  YamlMap top(node, file, where);
  ClassTable table;
  const YAML::Node classes = top.node("classes");
  if (!classes.IsSequence()) top.fail("classes", "expected a list of classes");
  for (std::size_t i = 0; i < classes.size(); ++i) {
    YamlMap c(classes[i], file,
              (where.empty() ? "" : where + ".") + "classes[" + std::to_string(i) + "]");
    LandClass lc;
    const int code = static_cast<int>(c.num("code"));
    if (code < 1 || code > 254) c.fail("code", "must be 1..254 (0 and 255 are reserved)");
    lc.code = static_cast<std::uint8_t>(code);
    lc.key = c.str("key");
    lc.name = c.str("name");
    lc.gbt_code = c.str("gbt21010");
    lc.gbt_name = c.str("gbt21010_name");
    const std::string color = c.str("color");
    const auto rgba = Rgba::parse(color);
    if (!rgba) c.fail("color", "expected #rrggbb or #rrggbbaa, got '" + color + "'");
    lc.color = *rgba;
    lc.observed = c.opt_bool("observed").value_or(true);
    c.finish();
    try {
      table.add(lc);
    } catch (const std::invalid_argument& e) {
      c.fail("code", e.what());
    }
  }
  std::vector<ClassRule> rules;
  const YAML::Node rl = top.node("rules");
  if (!rl.IsSequence()) top.fail("rules", "expected a list of rules");
  for (std::size_t i = 0; i < rl.size(); ++i) {
    YamlMap r(rl[i], file, (where.empty() ? "" : where + ".") + "rules[" + std::to_string(i) + "]");
    ClassRule rule;
    const std::string cls = r.str("class");
    const LandClass* lc = table.find(cls);
    if (!lc) r.fail("class", "unknown class '" + cls + "'");
    rule.class_code = lc->code;
    const YAML::Node when = r.node("when");
    if (!when.IsMap()) r.fail("when", "expected feature: [min, max] pairs");
    for (const auto& kv : when) {
      const std::string fname = kv.first.as<std::string>();
      const auto f = parse_feature(fname);
      if (!f)
        r.fail("when", "unknown feature '" + fname +
                           "' (known: blue, green, red, nir, swir1, swir2, ndvi, ndwi, mndwi, "
                           "ndbi, bsi, brightness, blue_red, exg, vari)");
      if (!kv.second.IsSequence() || kv.second.size() != 2)
        r.fail("when." + fname, "expected [min, max] (null for no bound)");
      Condition cond{*f, bound(kv.second[0], r, "when." + fname),
                     bound(kv.second[1], r, "when." + fname)};
      rule.conditions.push_back(cond);
    }
    r.finish();
    rules.push_back(std::move(rule));
  }
  const std::string def = top.str("default_class");
  const LandClass* dc = table.find(def);
  if (!dc) top.fail("default_class", "unknown class '" + def + "'");
  top.finish();
  return std::make_shared<const RuleClassifier>(table, std::move(rules), dc->code);
}

void parse_min_areas(const YAML::Node& node, ChangeRules& rules, const std::string& file,
                     const std::string& where) {
  YamlMap m(node, file, where);
  for (auto cat :
       {ChangeCategory::non_agricultural, ChangeCategory::non_grain, ChangeCategory::other}) {
    if (auto v = m.opt_num(category_key(cat))) {
      if (*v < 0) m.fail(category_key(cat), "must not be negative");
      rules.set_min_area_m2(cat, *v);
    }
  }
  m.finish();
}

ChangeConfig parse_change_rules(const YAML::Node& node, const ClassTable& classes,
                                const std::string& file, const std::string& where,
                                bool skip_absent_classes) {
  YamlMap top(node, file, where);
  ChangeConfig cfg;
  const YAML::Node tr = top.node("transitions");
  if (!tr.IsSequence()) top.fail("transitions", "expected a list");
  for (std::size_t i = 0; i < tr.size(); ++i) {
    YamlMap t(tr[i], file,
              (where.empty() ? "" : where + ".") + "transitions[" + std::to_string(i) + "]");
    const auto from = class_list(t.node("from"), classes, t, "from", skip_absent_classes);
    const auto to = class_list(t.node("to"), classes, t, "to", skip_absent_classes);
    const std::string kind = t.str("category");
    const auto k = parse_transition(kind);
    if (!k)
      t.fail("category", "unknown category '" + kind +
                             "' (known: non_agricultural/非农化, non_grain/非粮化, other_change, "
                             "allowed)");
    t.finish();
    for (auto f : from)
      for (auto d : to) cfg.rules.set(f, d, *k);
  }
  if (auto o = top.opt_str("outside_farmland")) {
    if (*o != "report" && *o != "ignore")
      top.fail("outside_farmland", "expected 'report' (as other change) or 'ignore'");
    cfg.rules.set_report_outside_farmland(*o == "report");
  }
  if (auto n = top.opt_node("min_patch_area_m2"))
    parse_min_areas(*n, cfg.rules, file, (where.empty() ? "" : where + ".") + "min_patch_area_m2");
  if (auto s = top.opt_num("spectral_scale")) {
    if (!(*s > 0)) top.fail("spectral_scale", "must be positive");
    cfg.spectral_scale = static_cast<float>(*s);
  }
  top.finish();
  return cfg;
}

std::shared_ptr<const RuleClassifier> load_classifier_file(const std::string& path) {
  return parse_classifier(load_yaml_file(path), path, "");
}

ChangeConfig load_change_rules_file(const std::string& path, const ClassTable& classes,
                                    bool skip_absent_classes) {
  return parse_change_rules(load_yaml_file(path), classes, path, "", skip_absent_classes);
}

std::string default_rules_dir() {
  if (const char* env = std::getenv("FARMWATCH_RULES_DIR")) return env;
  // Installed: <prefix>/bin/farmwatch and <prefix>/share/farmwatch/rules.
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = exe.parent_path().parent_path() / "share" / "farmwatch" / "rules";
    if (std::filesystem::exists(installed / "landuse_rules.yaml")) return installed.string();
  }
  return std::string(FARMWATCH_SOURCE_DIR) + "/pipelines/rules";
}

std::shared_ptr<const RuleClassifier> classes_only(const ClassTable& classes) {
  if (classes.classes().empty()) throw InputError("a class table without classes");
  return std::make_shared<RuleClassifier>(classes, std::vector<ClassRule>{},
                                          classes.classes().front().code);
}

std::shared_ptr<const RuleClassifier> model_class_source(const std::string& model_path) {
  return classes_only(model_class_table(engine::load_model(model_path).info().classes));
}

}  // namespace farmwatch::pipeline
