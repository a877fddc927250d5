// Which scene each pixel of a date's composite comes from, on plain blocks.
#include <gtest/gtest.h>

#include <cmath>

#include "farmwatch/core/calendar.h"
#include "farmwatch/core/mosaic_priority.h"

using namespace farmwatch;

TEST(MosaicPriority, NearestAcquisitionFirstTiesAsListed) {
  EXPECT_EQ(scene_priority("2024-08-20", {"2024-08-10", "2024-08-22", "2024-08-18", "2024-08-30"}),
            (std::vector<std::size_t>{1, 2, 0, 3}));
  EXPECT_EQ(scene_priority("2024-03-01", {"2024-02-28", "2024-03-03"}),  // leap year: 2 days each
            (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(days_between("2023-12-31", "2024-03-01"), 61);
  EXPECT_FALSE(valid_date("2023-02-29"));
}

TEST(Calendar, DaysApartInTheYearWhateverTheYears) {
  EXPECT_EQ(days_apart_in_year("2020-06-01", "2023-06-01"), 0);  // an anniversary pair
  EXPECT_EQ(days_apart_in_year("2023-06-01", "2020-06-01"), 0);
  EXPECT_EQ(days_apart_in_year("2015-07-04", "2018-02-11"), 143);  // summer and winter
  EXPECT_EQ(days_apart_in_year("2016-12-20", "2018-01-10"), 21);   // across the new year
  EXPECT_EQ(days_apart_in_year("2021-01-01", "2021-07-02"), 182);  // to 2021-07-02
  EXPECT_EQ(days_apart_in_year("2001-03-01", "2021-03-01"), 0);    // 20 years, 5 leap days
  EXPECT_EQ(days_apart_in_year("2021-02-28", "2020-02-29"), 0);    // the 28th in 2021
  EXPECT_EQ(days_apart_in_year("2021-03-01", "2020-02-29"), 1);
}

TEST(MosaicPriority, FirstClearViewWinsCloudIsKeptWhereNothingSawTheGround) {
  using S = PixelState;
  std::array<bool, kRoleCount> roles{};
  roles[static_cast<std::size_t>(BandRole::red)] = true;
  auto block = [](std::vector<float> red) {
    ReflectanceBlock b;
    b.plane(BandRole::red) = std::move(red);
    return b;
  };
  ReflectanceBlock composite = block(std::vector<float>(4, NAN));
  std::vector<S> state(4, S::nodata);
  std::vector<std::uint8_t> sources(4, 0);
  // Scene 1: clear, cloud, nodata, cloud.
  EXPECT_EQ(add_to_composite(block({0.1f, 0.2f, 0.3f, 0.4f}), {S::clear, S::cloud, S::nodata, S::cloud},
                             roles, 1, composite, state, &sources),
            1u);
  // Scene 2: clear everywhere but the last pixel (nodata): fills pixels 1 and 2 only.
  EXPECT_EQ(add_to_composite(block({0.5f, 0.6f, 0.7f, 0.8f}), {S::clear, S::clear, S::clear, S::nodata},
                             roles, 2, composite, state, &sources),
            2u);
  EXPECT_EQ(composite.plane(BandRole::red)[0], 0.1f);
  EXPECT_EQ(composite.plane(BandRole::red)[1], 0.6f);
  EXPECT_EQ(composite.plane(BandRole::red)[2], 0.7f);
  EXPECT_TRUE(std::isnan(composite.plane(BandRole::red)[3]));
  EXPECT_EQ(state, (std::vector<S>{S::clear, S::clear, S::clear, S::cloud}));
  EXPECT_EQ(sources, (std::vector<std::uint8_t>{1, 2, 2, 0}));
}
