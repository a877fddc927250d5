#include "farmwatch/core/classifier.h"

#include <stdexcept>

namespace farmwatch {

RuleClassifier::RuleClassifier(ClassTable classes, std::vector<ClassRule> rules,
                               std::uint8_t default_class)
    : classes_(std::move(classes)), rules_(std::move(rules)), default_class_(default_class) {
  if (!classes_.find(default_class_))
    throw std::invalid_argument("default class code " + std::to_string(default_class_) +
                                " is not in the class table");
  for (const auto& r : rules_)
    if (!classes_.find(r.class_code))
      throw std::invalid_argument("rule class code " + std::to_string(r.class_code) +
                                  " is not in the class table");
  const auto roles = required_roles();
  roles_.assign(roles.begin(), roles.end());
}

std::set<BandRole> RuleClassifier::required_roles() const {
  // The bands the rules read decide whether a pixel was observed; red at least.
  std::set<BandRole> roles{BandRole::red};
  for (const auto& r : rules_)
    for (const auto& c : r.conditions)
      for (BandRole role : farmwatch::required_roles(c.feature)) roles.insert(role);
  return roles;
}

void RuleClassifier::classify(const ReflectanceBlock& block, std::vector<std::uint8_t>& out) const {
  const std::size_t n = static_cast<std::size_t>(block.window.pixels());
  out.assign(n, kNodataCode);
  for (std::size_t i = 0; i < n; ++i) {
    bool valid = true;
    for (BandRole r : roles_)
      if (std::isnan(block.plane(r)[i])) {
        valid = false;
        break;
      }
    if (!valid) continue;
    std::uint8_t code = default_class_;
    for (const auto& rule : rules_) {
      bool all = true;
      for (const auto& c : rule.conditions)
        if (!c.holds(feature_value(block, c.feature, i))) {
          all = false;
          break;
        }
      if (all) {
        code = rule.class_code;
        break;
      }
    }
    out[i] = code;
  }
}

}  // namespace farmwatch
