#pragma once
// Classification rules and change rules are data (files under pipelines/rules/), not code.
#include <memory>
#include <string>

#include "farmwatch/core/change_rules.h"
#include "farmwatch/core/classifier.h"

namespace farmwatch::pipeline {

/// Land-use classes and the ordered threshold rules that assign them.
std::shared_ptr<const RuleClassifier> load_classifier_file(const std::string& path);

struct ChangeConfig {
  ChangeRules rules;
  float spectral_scale = 0.15f;  ///< see ChangeKernel
};

/// Transition table, minimum patch areas and spectral scale, against a class table.
ChangeConfig load_change_rules_file(const std::string& path, const ClassTable& classes);

/// The rules shipped with farmwatch (pipelines/rules/ of the source tree, or installed copy).
std::string default_rules_dir();

}  // namespace farmwatch::pipeline
