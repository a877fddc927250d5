#pragma once
// Ordered threshold rules over features: the first rule whose conditions all hold gives the class.
#include <cstdint>
#include <set>
#include <vector>

#include "farmwatch/core/class_table.h"
#include "farmwatch/core/features.h"

namespace farmwatch {

/// min <= feature < max; NaN bounds are open. A NaN feature value never satisfies a condition.
struct Condition {
  Feature feature = Feature::ndvi;
  float min = kNaN;
  float max = kNaN;
  bool holds(float v) const {
    if (std::isnan(v)) return false;
    if (!std::isnan(min) && v < min) return false;
    if (!std::isnan(max) && v >= max) return false;
    return true;
  }
};

struct ClassRule {
  std::uint8_t class_code = 0;
  std::vector<Condition> conditions;
};

class RuleClassifier {
 public:
  RuleClassifier(ClassTable classes, std::vector<ClassRule> rules, std::uint8_t default_class);

  const ClassTable& classes() const { return classes_; }
  /// Band roles the rules read; an image must provide all of them.
  std::set<BandRole> required_roles() const;
  /// Class codes (nodata where any required band is NaN) for every pixel of the block.
  void classify(const ReflectanceBlock& block, std::vector<std::uint8_t>& out) const;

 private:
  ClassTable classes_;
  std::vector<ClassRule> rules_;
  std::uint8_t default_class_;
  std::vector<BandRole> roles_;  // cached required_roles()
};

}  // namespace farmwatch
