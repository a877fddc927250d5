#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <utility>

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

TEST(Coregistration, ShiftsOfSeveralPixelsOnAFieldPatternAreMeasured) {
  // The pattern's field borders repeat every 23 and 17 pixels: the edges also correlate, less,
  // near no shift. A shift of several pixels is the far, stronger peak and is kept.
  for (const auto& [dx, dy] : {std::pair{5.0, -2.0}, {8.0, 4.0}, {3.0, 0.0}}) {
    const auto a = scene(256, 256, 0, 0), b = scene(256, 256, dx, dy);
    const auto s = phase_shift(a, b, 256, 256);
    ASSERT_TRUE(s);
    EXPECT_NEAR(s->dx, dx, 0.2) << dx << "," << dy;
    EXPECT_NEAR(s->dy, dy, 0.2) << dx << "," << dy;
  }
}

TEST(Coregistration, RegularBlocksMostlyBuiltUpAreNotTakenForAShiftOfABlock) {
  // Near-infrared of 30 m blocks of 10 x 10 pixels (crops, forest, built-up, bare land, each
  // block its own shade), 60 % of all blocks built up by the later date, no misregistration.
  // The edges of the changed layout correlate at a shift of one or more blocks about as well
  // as at none (0.86-0.98 of it in the generated scenes of issue 15): the peak near no shift,
  // with its own steep sides, is the one taken. Without that, 3 of these 30 scenes were moved
  // by 10 pixels.
  const double nir[4] = {0.35, 0.28, 0.20, 0.25};
  int far = 0;
  for (unsigned seed = 1; seed <= 30; ++seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    std::normal_distribution<double> spread(0, 0.045), noise(0, 0.006);
    constexpr int n = 200, blocks = n / 10;
    std::vector<int> before(blocks * blocks), after(blocks * blocks);
    std::vector<double> shade(blocks * blocks);
    for (int k = 0; k < blocks * blocks; ++k) {
      const double r = u(rng);
      before[k] = r < 0.45 ? 0 : r < 0.65 ? 1 : r < 0.85 ? 2 : 3;
      after[k] = before[k] != 2 && u(rng) < 0.75 ? 2 : before[k];
      shade[k] = 1 + spread(rng);
    }
    std::vector<float> a(n * n), b(n * n);
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) {
        const int k = r / 10 * blocks + c / 10;
        a[r * n + c] = static_cast<float>(nir[before[k]] * shade[k] + noise(rng));
        b[r * n + c] = static_cast<float>(0.92 * (nir[after[k]] * shade[k] + noise(rng)) + 0.02);
      }
    const auto s = phase_shift(a, b, n, n);
    ASSERT_TRUE(s) << "seed " << seed;
    // Peaks beyond 10 pixels are left out when the windows' shifts are combined.
    // (One of the 30, seed 14, is moved by 1.1 pixels, with or without the near peak.)
    if (const auto c = combine_shifts({*s}, 0, 10); c && std::hypot(c->dx, c->dy) > 2) {
      ++far;
      ADD_FAILURE() << "seed " << seed << ": shifted by " << c->dx << ", " << c->dy;
    }
  }
  EXPECT_EQ(far, 0);
}

TEST(Coregistration, SmallWindowsOfNoiseGiveAShiftWithoutFailing) {
  // Whatever the peak of noise, a window of the smallest sizes is measured (or not) without an
  // exception: the near peak is weighed only where both fit inside the far shift's margin.
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0, 1);
  for (int size : {kMinShiftWindowPx, 20, 24, 40}) {
    for (int k = 0; k < 20; ++k) {
      std::vector<float> a(static_cast<std::size_t>(size) * size), b(a.size());
      for (auto& v : a) v = u(rng);
      for (auto& v : b) v = u(rng);
      EXPECT_NO_THROW(phase_shift(a, b, size, size)) << size;
    }
  }
}
