#include <gtest/gtest.h>

#include <fstream>

#include "farmwatch/core/error.h"
#include "farmwatch/pipeline/rules_file.h"
#include "test_support.h"

using namespace farmwatch;

namespace {
void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

const char* kClasses = R"(
classes:
  - {code: 1, key: crop, name: 耕地, gbt21010: "0103", gbt21010_name: 旱地, color: "#f2d16b"}
  - {code: 7, key: built, name: 建设用地, gbt21010: "05-10", gbt21010_name: 建设用地, color: "#d9403a"}
)";

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(RulesFile, TheShippedRulesLoad) {
  const auto c =
      pipeline::load_classifier_file(test::source_dir() + "/pipelines/rules/landuse_rules.yaml");
  EXPECT_TRUE(c->classes().find("cropland"));
  EXPECT_FALSE(c->classes().observed(c->classes().find("cloud")->code));
  const auto ch = pipeline::load_change_rules_file(
      test::source_dir() + "/pipelines/rules/change_rules.yaml", c->classes());
  EXPECT_DOUBLE_EQ(ch.rules.min_area_m2(ChangeCategory::non_agricultural), 200);
  const auto crop = c->classes().find("cropland")->code;
  const auto built = c->classes().find("built_up")->code;
  const auto bare = c->classes().find("bare_soil")->code;
  EXPECT_EQ(ch.rules.categorize(crop, built, true), ChangeCategory::non_agricultural);
  EXPECT_EQ(ch.rules.categorize(bare, crop, true), ChangeCategory::none);
}

TEST(RulesFile, UnknownKeyIsNamedWithItsPlace) {
  test::TempDir d;
  write(d / "r.yaml", std::string(kClasses) +
                          "rules:\n  - {class: built, when: {ndvi: [null, 0.2]}, colour: red}\n"
                          "default_class: crop\n");
  const std::string m = error_of([&] { pipeline::load_classifier_file(d / "r.yaml"); });
  EXPECT_NE(m.find("rules[0].colour"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown key"), std::string::npos) << m;
  EXPECT_NE(m.find("r.yaml"), std::string::npos) << m;
}

TEST(RulesFile, UnknownFeatureClassAndBadColourAreErrors) {
  test::TempDir d;
  write(d / "a.yaml",
        std::string(kClasses) +
            "rules:\n  - {class: built, when: {ndxi: [null, 0.2]}}\ndefault_class: crop\n");
  EXPECT_NE(error_of([&] { pipeline::load_classifier_file(d / "a.yaml"); }).find("ndxi"),
            std::string::npos);
  write(d / "b.yaml",
        std::string(kClasses) +
            "rules:\n  - {class: road, when: {ndvi: [null, 0.2]}}\ndefault_class: crop\n");
  EXPECT_NE(error_of([&] { pipeline::load_classifier_file(d / "b.yaml"); }).find("'road'"),
            std::string::npos);
  write(d / "c.yaml",
        "classes:\n  - {code: 1, key: a, name: a, gbt21010: '1', gbt21010_name: a, color: red}\n"
        "rules: []\ndefault_class: a\n");
  EXPECT_NE(error_of([&] { pipeline::load_classifier_file(d / "c.yaml"); }).find("color"),
            std::string::npos);
}

TEST(RulesFile, ChangeRulesRejectUnknownCategoryAndClass) {
  test::TempDir d;
  write(d / "c.yaml", std::string(kClasses) + "rules: []\ndefault_class: crop\n");
  const auto c = pipeline::load_classifier_file(d / "c.yaml");
  write(d / "x.yaml",
        "transitions:\n  - {from: crop, to: built, category: 非农化}\n"
        "min_patch_area_m2: {non_agricultural: 150}\n");
  const auto ok = pipeline::load_change_rules_file(d / "x.yaml", c->classes());
  EXPECT_EQ(ok.rules.categorize(1, 7, true), ChangeCategory::non_agricultural);
  EXPECT_DOUBLE_EQ(ok.rules.min_area_m2(ChangeCategory::non_agricultural), 150);
  write(d / "y.yaml", "transitions:\n  - {from: crop, to: built, category: bad}\n");
  EXPECT_NE(
      error_of([&] { pipeline::load_change_rules_file(d / "y.yaml", c->classes()); }).find("'bad'"),
      std::string::npos);
  write(d / "z.yaml", "transitions:\n  - {from: crop, to: pond, category: non_grain}\n");
  EXPECT_NE(error_of([&] {
              pipeline::load_change_rules_file(d / "z.yaml", c->classes());
            }).find("'pond'"),
            std::string::npos);
}

TEST(RulesFile, SyntaxErrorGivesTheLine) {
  test::TempDir d;
  write(d / "s.yaml", "classes:\n  - {code: 1\n");
  const std::string m = error_of([&] { pipeline::load_classifier_file(d / "s.yaml"); });
  EXPECT_NE(m.find("line"), std::string::npos) << m;
}
