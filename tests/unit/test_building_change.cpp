// New buildings between two VHR RGB images: found where one was built, not where a house
// stands in both dates under another colour balance and a shift, not on nodata.
#include <gtest/gtest.h>

#include <algorithm>

#include "farmwatch/core/building_change.h"
#include "test_support.h"

using namespace farmwatch;

namespace {

RgbImage image_of(const test::VhrPair& p, const std::vector<std::vector<double>>& bands) {
  RgbImage im;
  im.width = p.width;
  im.height = p.height;
  im.red.assign(bands[0].begin(), bands[0].end());
  im.green.assign(bands[1].begin(), bands[1].end());
  im.blue.assign(bands[2].begin(), bands[2].end());
  return im;
}

/// Share of the roof's pixels labelled, and how many labelled pixels lie outside the roof
/// (grown by `margin`: its shadow and the tests' window reach a few pixels beyond it).
struct Overlap {
  double covered = 0;
  std::int64_t outside = 0;
};
Overlap overlap(const BuildingChange& c, int width, const std::array<int, 4>& roof, int margin) {
  Overlap o;
  std::int64_t in = 0;
  for (std::size_t i = 0; i < c.labels.size(); ++i) {
    const int col = int(i % std::size_t(width)), row = int(i / std::size_t(width));
    const bool on_roof =
        col >= roof[0] && col < roof[0] + roof[2] && row >= roof[1] && row < roof[1] + roof[3];
    const bool near = col >= roof[0] - margin && col < roof[0] + roof[2] + margin &&
                      row >= roof[1] - margin && row < roof[1] + roof[3] + margin;
    if (c.labels[i] && on_roof) ++in;
    if (c.labels[i] && !near) ++o.outside;
  }
  o.covered = double(in) / (roof[2] * roof[3]);
  return o;
}

}  // namespace

TEST(BuildingChange, FindsTheHouseBuiltAndNotTheOneStandingInBothDates) {
  const auto p = test::make_vhr_pair(1);
  const auto c = detect_building_change(image_of(p, p.before), image_of(p, p.after));
  ASSERT_EQ(c.objects.size(), 1u);
  const auto o = overlap(c, p.width, {p.built[0] + 1, p.built[1], p.built[2], p.built[3]}, 10);
  EXPECT_GT(o.covered, 0.8);
  EXPECT_EQ(o.outside, 0) << "changes outside the new house (the old one, grass)";
  const auto& obj = c.objects[0];
  EXPECT_EQ(obj.id, 1);
  EXPECT_NEAR(obj.centroid_col, p.built[0] + 1 + p.built[2] / 2.0, 4);
  EXPECT_NEAR(obj.centroid_row, p.built[1] + p.built[3] / 2.0, 4);
  EXPECT_LT(obj.edge_support, 1.0);
}

TEST(BuildingChange, NothingBetweenTwoLooksAtTheSamePlace) {
  auto p = test::make_vhr_pair(0);
  // The later date without the new house: the earlier one under another sun, moved 2 px.
  p.after = p.before;
  for (auto& band : p.after) {
    for (auto& v : band) v = std::min(255.0, 0.7 * v + 40);
    std::rotate(band.begin(), band.begin() + 2, band.end());
  }
  EXPECT_TRUE(detect_building_change(image_of(p, p.before), image_of(p, p.after)).objects.empty());
}

TEST(BuildingChange, SmallerThanTheMinimumAreaIsNotABuilding) {
  const auto p = test::make_vhr_pair(0);
  BuildingChangeParams params;
  params.min_area_m2 = 400;  // the new roof is 15 m x 12 m = 180 m²
  EXPECT_TRUE(
      detect_building_change(image_of(p, p.before), image_of(p, p.after), params).objects.empty());
  params.min_area_m2 = 100;
  EXPECT_EQ(
      detect_building_change(image_of(p, p.before), image_of(p, p.after), params).objects.size(),
      1u);
}

TEST(BuildingChange, NoDataHidesWhatItCovers) {
  const auto p = test::make_vhr_pair(0);
  auto after = image_of(p, p.after);
  after.valid.assign(after.red.size(), 1);
  for (int row = 0; row < p.height; ++row)
    for (int col = p.built[0] - 10; col < p.width; ++col)
      after.valid[std::size_t(row) * p.width + col] = 0;
  const auto c = detect_building_change(image_of(p, p.before), after);
  EXPECT_TRUE(c.objects.empty());
}

TEST(BuildingChange, RefusesImagesOfDifferentSizes) {
  const auto p = test::make_vhr_pair(0);
  auto small = image_of(p, p.after);
  small.width -= 1;
  EXPECT_THROW(detect_building_change(image_of(p, p.before), small), std::invalid_argument);
}
