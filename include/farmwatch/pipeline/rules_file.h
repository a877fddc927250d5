#pragma once
// Classification rules and change rules are data (files under pipelines/rules/), not code.
#include <memory>
#include <string>

#include "farmwatch/core/change_rules.h"
#include "farmwatch/core/classifier.h"

namespace farmwatch::pipeline {

/// Land-use classes and the ordered threshold rules that assign them.
std::shared_ptr<const RuleClassifier> load_classifier_file(const std::string& path);

/// A classifier holding only a class table (no rules): for land-use maps made elsewhere.
std::shared_ptr<const RuleClassifier> classes_only(const ClassTable& classes);
/// The class table of a learned model (farmwatch train), as classes_only.
std::shared_ptr<const RuleClassifier> model_class_source(const std::string& model_path);

struct ChangeConfig {
  ChangeRules rules;
  float spectral_scale = 0.15f;  ///< see ChangeKernel
};

/// Transition table, minimum patch areas and spectral scale, against a class table.
/// With `skip_absent_classes`, class keys the table lacks are left out of the transitions
/// instead of being errors: a learned map's classes need not include every class the rules
/// file names.
ChangeConfig load_change_rules_file(const std::string& path, const ClassTable& classes,
                                    bool skip_absent_classes = false);

/// The rules shipped with farmwatch (pipelines/rules/ of the source tree, or installed copy).
std::string default_rules_dir();

}  // namespace farmwatch::pipeline
