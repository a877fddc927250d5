#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "farmwatch/core/change_fragments.h"

using namespace farmwatch;

namespace {

/// Minimum areas in pixels as at 30 m with the default rules (非农化 200 m², 非粮化 666.67 m²,
/// other change 1000 m²), then at 10 m.
constexpr std::array<double, 4> k30m{0, 200.0 / 900, 666.67 / 900, 1000.0 / 900};
constexpr std::array<double, 4> k10m{0, 2, 6.6667, 10};

std::vector<std::uint8_t> adopted(const std::vector<std::uint8_t>& r, int width,
                                  const std::array<double, 4>& below) {
  const int rows = static_cast<int>(r.size()) / width;
  std::vector<std::uint8_t> out = r;
  adopt_change_fragments(r.data(), width, rows, 0, rows, true, true, below, out.data());
  return out;
}

}  // namespace

TEST(ChangeFragments, SpecksOfOtherChangeInsideADevelopmentJoinIt) {
  // A 20 x 20 development of 非农化 at 10 m with specks of other change (1, 2 and 9 pixels,
  // under its 10) and one of 12 pixels (reportable by itself), in unchanged land.
  const int w = 30, h = 30;
  std::vector<std::uint8_t> r(w * h, 0);
  for (int y = 5; y < 25; ++y)
    for (int x = 5; x < 25; ++x) r[y * w + x] = 1;
  r[8 * w + 8] = 3;                     // 1 pixel
  r[12 * w + 10] = r[12 * w + 11] = 3;  // 2 pixels
  for (int y = 15; y < 18; ++y)         // 9 pixels
    for (int x = 8; x < 11; ++x) r[y * w + x] = 3;
  for (int y = 15; y < 18; ++y)  // 12 pixels
    for (int x = 16; x < 20; ++x) r[y * w + x] = 3;
  const auto out = adopted(r, w, k10m);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const bool twelve = y >= 15 && y < 18 && x >= 16 && x < 20;
      const std::uint8_t want = twelve ? 3 : r[y * w + x] ? 1 : 0;
      EXPECT_EQ(out[y * w + x], want) << "row " << y << " column " << x;
    }
}

TEST(ChangeFragments, NonAgriculturalSpecksAndSpecksOnTheirOwnStay) {
  // A 非农化 speck inside other change stays 非农化 (the more serious category is never taken
  // away); a speck of other change touching no other category stays; a 非粮化 speck inside
  // 非农化 joins it, a speck of other change inside 非粮化 joins that.
  const int w = 20, h = 20;
  std::vector<std::uint8_t> r(w * h, 0);
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x) r[y * w + x] = 3;
  r[3 * w + 3] = 1;
  r[15 * w + 15] = 3;
  for (int y = 10; y < 18; ++y)
    for (int x = 0; x < 8; ++x) r[y * w + x] = y < 14 ? 1 : 2;
  r[12 * w + 3] = 2;  // 非粮化 speck in 非农化
  r[16 * w + 3] = 3;  // other change in 非粮化
  const auto out = adopted(r, w, k10m);
  EXPECT_EQ(out[3 * w + 3], 1);
  EXPECT_EQ(out[15 * w + 15], 3);
  EXPECT_EQ(out[12 * w + 3], 1);
  EXPECT_EQ(out[16 * w + 3], 2);
  // The boundary between the 非农化 and 非粮化 halves (both reportable) does not move.
  for (int x = 0; x < 8; ++x) {
    EXPECT_EQ(out[13 * w + x], 1);
    EXPECT_EQ(out[14 * w + x], 2);
  }
}

TEST(ChangeFragments, SinglePixelsOfOtherChangeInAFlickeringDevelopmentJoinIt) {
  // At 30 m a pixel of other change is under its 1000 m²: in a development whose pixels flicker
  // between 非农化 and other change (half each, at random), each piece of other change of one
  // pixel joins the 非农化 around it, where it was dropped before, leaving a hole.
  const int w = 40, h = 40;
  std::mt19937 rng(3);
  std::vector<std::uint8_t> r(w * h, 0);
  for (int y = 10; y < 30; ++y)
    for (int x = 10; x < 30; ++x) r[y * w + x] = (rng() & 1) ? 1 : 3;
  const auto out = adopted(r, w, k30m);
  int other = 0;
  for (int y = 10; y < 30; ++y)
    for (int x = 10; x < 30; ++x) other += out[y * w + x] == 3;
  // Single pixels of other change all touch 非农化; larger pieces (2 pixels or more, 1800 m²)
  // are reportable and stay.
  int singles = 0;
  for (int y = 10; y < 30; ++y)
    for (int x = 10; x < 30; ++x) {
      if (r[y * w + x] != 3) continue;
      bool alone = true;
      for (auto [dy, dx] : {std::pair{-1, 0}, {1, 0}, {0, -1}, {0, 1}})
        alone = alone && r[(y + dy) * w + x + dx] != 3;
      if (alone) {
        ++singles;
        EXPECT_EQ(out[y * w + x], 1) << "row " << y << " column " << x;
      }
    }
  int before = 0;
  for (auto v : r) before += v == 3;
  EXPECT_GT(singles, 10);
  EXPECT_EQ(other, before - singles);
}

TEST(ChangeFragments, BandsGiveTheSameResultAsOneWindow) {
  // Random categories over a 60-row raster at 10 m, cut into bands of 7 rows with the margins
  // the function asks for (the largest minimum area, 10 pixels), against one window.
  const int w = 50, h = 60;
  std::mt19937 rng(11);
  std::vector<std::uint8_t> r(w * h);
  for (auto& v : r) {
    const auto k = rng() % 10;
    v = static_cast<std::uint8_t>(k < 4 ? 0 : k < 6 ? 1 : k < 8 ? 2 : 3);
  }
  const auto whole = adopted(r, w, k10m);
  const int margin = 11;
  std::vector<std::uint8_t> banded(r.size());
  for (int r0 = 0; r0 < h; r0 += 7) {
    const int rows = std::min(7, h - r0);
    const int top = std::max(0, r0 - margin), bottom = std::min(h, r0 + rows + margin);
    std::vector<std::uint8_t> core(r.begin() + r0 * w, r.begin() + (r0 + rows) * w);
    adopt_change_fragments(r.data() + top * w, w, bottom - top, r0 - top, r0 - top + rows, top == 0,
                           bottom == h, k10m, core.data());
    std::copy(core.begin(), core.end(), banded.begin() + r0 * w);
  }
  EXPECT_EQ(banded, whole);
  EXPECT_NE(whole, r) << "nothing was taken in: the comparison proves nothing";
}

TEST(ChangeFragments, RowsOutsideTheWindowAreRefused) {
  std::vector<std::uint8_t> r(10 * 10, 1), out(r.size());
  EXPECT_THROW(adopt_change_fragments(r.data(), 10, 10, 5, 11, true, true, k10m, out.data()),
               std::invalid_argument);
  EXPECT_THROW(adopt_change_fragments(r.data(), 10, 10, 6, 5, true, true, k10m, out.data()),
               std::invalid_argument);
}
