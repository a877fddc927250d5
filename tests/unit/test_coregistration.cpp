#include <gtest/gtest.h>

#include <cmath>

#include "farmwatch/core/coregistration.h"

using namespace farmwatch;

namespace {
/// A field pattern of smooth blobs and field borders, as a sensor sees it: each pixel averages
/// the scene over its area (5 x 5 samples), the scene moved by (dx, dy) pixels.
std::vector<float> scene(int w, int h, double dx, double dy) {
  auto at = [](double x, double y) {
    double f = 0.2 + 0.05 * std::sin(x / 7.0) * std::cos(y / 11.0);
    if (std::fmod(x + 1000, 23.0) < 2 || std::fmod(y + 1000, 17.0) < 2) f += 0.15;
    return f;
  };
  std::vector<float> v(static_cast<std::size_t>(w) * h);
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      double sum = 0;
      for (int j = 0; j < 5; ++j)
        for (int i = 0; i < 5; ++i) sum += at(c + (i + 0.5) / 5 - dx, r + (j + 0.5) / 5 - dy);
      v[static_cast<std::size_t>(r) * w + c] = static_cast<float>(sum / 25);
    }
  return v;
}
}  // namespace

TEST(Coregistration, FindsASubPixelShift) {
  const auto a = scene(200, 160, 0, 0), b = scene(200, 160, 1.5, -0.7);
  const auto s = phase_shift(a, b, 200, 160);
  ASSERT_TRUE(s);
  EXPECT_NEAR(s->dx, 1.5, 0.15);
  EXPECT_NEAR(s->dy, -0.7, 0.15);
  EXPECT_GT(s->response, 0.05);
}

TEST(Coregistration, NoShiftGivesNearZero) {
  const auto a = scene(128, 128, 0, 0);
  const auto s = phase_shift(a, a, 128, 128);
  ASSERT_TRUE(s);
  EXPECT_NEAR(s->dx, 0, 0.05);
  EXPECT_NEAR(s->dy, 0, 0.05);
}

TEST(Coregistration, MostlyEmptyWindowsAreNotMeasured) {
  auto a = scene(64, 64, 0, 0);
  for (std::size_t i = 0; i < a.size() / 2; ++i) a[i] = std::nanf("");
  EXPECT_FALSE(phase_shift(a, a, 64, 64));
}

TEST(Coregistration, CombinedShiftIsTheMedianOfReliableWindows) {
  const std::vector<Shift> s = {{1.0, 0.5, 0.3},
                                {1.2, 0.4, 0.4},
                                {1.1, 0.6, 0.3},
                                {40, -30, 0.5},  // implausible
                                {5, 5, 0.01}};   // unreliable
  const auto c = combine_shifts(s, 0.05, 10);
  ASSERT_TRUE(c);
  EXPECT_DOUBLE_EQ(c->dx, 1.1);
  EXPECT_DOUBLE_EQ(c->dy, 0.5);
  EXPECT_FALSE(combine_shifts({{1, 1, 0.01}}, 0.05, 10));
}
