#include <gtest/gtest.h>

#include "farmwatch/core/classifier.h"

using namespace farmwatch;

namespace {
ClassTable table() {
  ClassTable t;
  t.add({1, "crop", "耕地", "0103", "旱地", {}, true});
  t.add({6, "water", "水", "1104", "坑塘水面", {}, true});
  t.add({5, "grass", "草地", "0404", "其他草地", {}, true});
  t.add({254, "cloud", "云", "", "", {}, false});
  return t;
}

ReflectanceBlock block(std::vector<float> red, std::vector<float> nir) {
  ReflectanceBlock b;
  b.window = {0, 0, static_cast<int>(red.size()), 1};
  b.plane(BandRole::red) = std::move(red);
  b.plane(BandRole::nir) = std::move(nir);
  return b;
}
}  // namespace

TEST(RuleClassifier, FirstMatchingRuleWinsElseDefault) {
  std::vector<ClassRule> rules = {
      {6, {{Feature::nir, kNaN, 0.05f}}},
      {1, {{Feature::ndvi, 0.5f, kNaN}}},
  };
  const RuleClassifier c(table(), rules, 5);
  std::vector<std::uint8_t> out;
  c.classify(block({0.05f, 0.02f, 0.1f}, {0.4f, 0.01f, 0.15f}), out);
  EXPECT_EQ(out, (std::vector<std::uint8_t>{1, 6, 5}));
}

TEST(RuleClassifier, BoundsAreHalfOpen) {
  const RuleClassifier c(table(), {{1, {{Feature::nir, 0.2f, 0.3f}}}}, 5);
  std::vector<std::uint8_t> out;
  c.classify(block({0.1f, 0.1f, 0.1f}, {0.2f, 0.3f, 0.25f}), out);
  EXPECT_EQ(out, (std::vector<std::uint8_t>{1, 5, 1}));
}

TEST(RuleClassifier, InvalidPixelsAreNodataNotAClass) {
  const RuleClassifier c(table(), {{1, {{Feature::ndvi, 0.5f, kNaN}}}}, 5);
  std::vector<std::uint8_t> out;
  c.classify(block({kNaN, 0.0f}, {0.4f, 0.0f}), out);
  // NaN red: nodata. Zero red and NIR: NDVI undefined, so no rule matches: the default.
  EXPECT_EQ(out, (std::vector<std::uint8_t>{kNodataCode, 5}));
}

TEST(RuleClassifier, RejectsRulesForUnknownClasses) {
  EXPECT_THROW(RuleClassifier(table(), {{9, {}}}, 5), std::invalid_argument);
  EXPECT_THROW(RuleClassifier(table(), {}, 9), std::invalid_argument);
}

TEST(RuleClassifier, RequiredRolesFollowTheRules) {
  const RuleClassifier c(table(), {{1, {{Feature::ndwi, 0.1f, kNaN}}}}, 5);
  const auto roles = c.required_roles();
  EXPECT_TRUE(roles.count(BandRole::green));
  EXPECT_TRUE(roles.count(BandRole::nir));
  EXPECT_FALSE(roles.count(BandRole::swir1));
}

TEST(ClassTable, RejectsReservedAndDuplicateCodes) {
  ClassTable t = table();
  EXPECT_THROW(t.add({255, "x", "", "", "", {}, true}), std::invalid_argument);
  EXPECT_THROW(t.add({0, "x", "", "", "", {}, true}), std::invalid_argument);
  EXPECT_THROW(t.add({1, "y", "", "", "", {}, true}), std::invalid_argument);
  EXPECT_THROW(t.add({2, "crop", "", "", "", {}, true}), std::invalid_argument);
  EXPECT_FALSE(t.observed(254));
  EXPECT_TRUE(t.observed(1));
  EXPECT_FALSE(t.observed(kNodataCode));
}

TEST(Rgba, ParsesHexColours) {
  const auto c = Rgba::parse("#ff8000");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->r, 255);
  EXPECT_EQ(c->g, 128);
  EXPECT_EQ(c->a, 255);
  EXPECT_EQ(Rgba::parse("#00000080")->a, 128);
  EXPECT_FALSE(Rgba::parse("red"));
  EXPECT_FALSE(Rgba::parse("#12345g"));
}
