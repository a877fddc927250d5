#include <gtest/gtest.h>

#include "farmwatch/core/features.h"

using namespace farmwatch;

TEST(Indices, NdviOfVegetationIsHighAndUndefinedIsNaN) {
  EXPECT_NEAR(ndvi(0.4f, 0.05f), 0.7778f, 1e-4);
  EXPECT_TRUE(std::isnan(ndvi(0.0f, 0.0f)));  // never 0 for undefined
  EXPECT_TRUE(std::isnan(ndvi(kNaN, 0.1f)));
}

TEST(Features, AbsentBandGivesNaNNotZero) {
  ReflectanceBlock b;
  b.window = {0, 0, 1, 1};
  b.plane(BandRole::red) = {0.1f};
  b.plane(BandRole::nir) = {0.3f};
  EXPECT_NEAR(feature_value(b, Feature::ndvi, 0), 0.5f, 1e-6);
  EXPECT_TRUE(std::isnan(feature_value(b, Feature::ndbi, 0)));  // no swir1
  EXPECT_TRUE(std::isnan(feature_value(b, Feature::blue, 0)));
}

TEST(Features, NamesRoundTrip) {
  for (std::size_t i = 0; i < kFeatureCount; ++i) {
    const auto f = static_cast<Feature>(i);
    EXPECT_EQ(parse_feature(feature_name(f)), f);
  }
  EXPECT_FALSE(parse_feature("ndvix"));
  EXPECT_EQ(parse_role("swir2"), BandRole::swir2);
}

TEST(Features, RequiredRolesOfIndices) {
  const auto r = required_roles(Feature::bsi);
  EXPECT_EQ(r.size(), 4u);
  EXPECT_EQ(required_roles(Feature::ndvi), (std::vector<BandRole>{BandRole::nir, BandRole::red}));
}

TEST(Features, RgbVegetationIndices) {
  ReflectanceBlock b;
  b.window = {0, 0, 2, 1};
  b.plane(BandRole::red) = {0.2f, 0.0f};
  b.plane(BandRole::green) = {0.4f, 0.0f};
  b.plane(BandRole::blue) = {0.2f, 0.0f};
  EXPECT_NEAR(feature_value(b, Feature::exg, 0), 0.5f, 1e-6);   // (0.8 - 0.4) / 0.8
  EXPECT_NEAR(feature_value(b, Feature::vari, 0), 0.5f, 1e-6);  // 0.2 / 0.4
  EXPECT_TRUE(std::isnan(feature_value(b, Feature::exg, 1)));   // black: undefined
  EXPECT_TRUE(std::isnan(feature_value(b, Feature::vari, 1)));
}
