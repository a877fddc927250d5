// Accuracy measures on a confusion matrix worked by hand (two classes; map 800 pixels of
// class 1 and 200 of class 2; 50 reference pixels on each).
#include <gtest/gtest.h>

#include <cmath>

#include "farmwatch/core/accuracy.h"

using namespace farmwatch;

TEST(Accuracy, HandWorkedMatrixGivesKappaF1AndOlofssonAreas) {
  AccuracyCounter c;
  for (int i = 0; i < 800; ++i) c.add_map_pixel(1);
  for (int i = 0; i < 200; ++i) c.add_map_pixel(2);
  auto add = [&](int n, std::uint8_t map, std::uint8_t ref) {
    for (int i = 0; i < n; ++i) c.add_sample(map, ref);
  };
  add(40, 1, 1);
  add(10, 1, 2);
  add(5, 2, 1);
  add(45, 2, 2);
  const AccuracyReport r = c.report();
  ASSERT_EQ(r.codes, (std::vector<std::uint8_t>{1, 2}));
  EXPECT_EQ(r.matrix, (std::vector<std::vector<std::int64_t>>{{40, 10}, {5, 45}}));
  EXPECT_DOUBLE_EQ(r.overall, 0.85);
  // Chance agreement (50*45 + 50*55) / 100^2 = 0.5, so kappa = (0.85 - 0.5) / 0.5.
  EXPECT_NEAR(r.kappa, 0.7, 1e-12);
  const auto& one = r.classes[0];
  EXPECT_DOUBLE_EQ(one.precision, 0.8);
  EXPECT_NEAR(one.recall, 40.0 / 45, 1e-12);
  EXPECT_NEAR(one.f1, 2 * 0.8 * (40.0 / 45) / (0.8 + 40.0 / 45), 1e-12);
  // Olofsson: W = (0.8, 0.2); p.1 = 0.8 * 0.8 + 0.2 * 0.1 = 0.66;
  // SE^2 = 0.64 * 0.8 * 0.2 / 49 + 0.04 * 0.1 * 0.9 / 49 = 0.106 / 49.
  EXPECT_NEAR(one.area_share, 0.66, 1e-12);
  EXPECT_NEAR(one.area_share_se, std::sqrt(0.106 / 49), 1e-12);
  EXPECT_NEAR(r.classes[1].area_share, 0.34, 1e-12);
  EXPECT_NEAR(one.producers_weighted, 0.64 / 0.66, 1e-12);
  EXPECT_NEAR(r.overall_weighted, 0.82, 1e-12);
  EXPECT_NEAR(r.overall_weighted_se, std::sqrt(0.106 / 49), 1e-12);
}

TEST(Accuracy, NoSamplesIsAnError) {
  AccuracyCounter c;
  c.add_map_pixel(3);
  EXPECT_THROW(c.report(), std::invalid_argument);
}
