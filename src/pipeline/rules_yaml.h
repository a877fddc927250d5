#pragma once
// Rule parsing from a YAML node, for rules given in their own file or inline in a pipeline.
#include <yaml-cpp/yaml.h>

#include "farmwatch/pipeline/rules_file.h"

namespace farmwatch::pipeline {

std::shared_ptr<const RuleClassifier> parse_classifier(const YAML::Node& node,
                                                       const std::string& file,
                                                       const std::string& where);
ChangeConfig parse_change_rules(const YAML::Node& node, const ClassTable& classes,
                                const std::string& file, const std::string& where,
                                bool skip_absent_classes = false);
/// Reads {non_agricultural: m2, non_grain: m2, other_change: m2} into `rules`.
void parse_min_areas(const YAML::Node& node, ChangeRules& rules, const std::string& file,
                     const std::string& where);

}  // namespace farmwatch::pipeline
