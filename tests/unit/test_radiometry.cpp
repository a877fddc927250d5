#include <gtest/gtest.h>

#include <random>

#include "farmwatch/core/radiometry.h"

using namespace farmwatch;

TEST(ChiSquare, KnownQuantiles) {
  EXPECT_NEAR(chi_square_cdf(9.4877, 4), 0.95, 1e-4);  // 95 % critical value, 4 dof
  EXPECT_NEAR(chi_square_cdf(3.8415, 1), 0.95, 1e-4);
  EXPECT_NEAR(chi_square_cdf(1.0, 2), 1 - std::exp(-0.5), 1e-10);
  EXPECT_EQ(chi_square_cdf(0, 3), 0);
}

TEST(Irmad, RecoversAGainAndOffsetDespiteChangedPixels) {
  // Four correlated bands of varied land cover; the later date reads 1.1 x + 0.01, with 20 % of
  // the pixels changed to something else entirely.
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0, 0.004f);
  std::uniform_real_distribution<float> u(0, 1);
  const int n = 20000;
  std::vector<std::vector<float>> x(4, std::vector<float>(n)), y = x;
  const float base[4] = {0.05f, 0.08f, 0.07f, 0.30f};
  for (int i = 0; i < n; ++i) {
    const float veg = u(rng), bright = u(rng);
    for (int b = 0; b < 4; ++b) {
      const float v = base[b] * (0.5f + bright) + (b == 3 ? 0.2f * veg : -0.02f * veg);
      x[b][i] = v + noise(rng);
      y[b][i] = 1.1f * v + 0.01f + noise(rng);
    }
    if (i % 5 == 0)  // changed: unrelated surface in the later date
      for (int b = 0; b < 4; ++b) y[b][i] = 0.15f + 0.2f * u(rng);
  }
  const auto r = irmad_normalise(x, y);
  ASSERT_TRUE(r);
  EXPECT_GT(r->invariant, static_cast<std::size_t>(n / 4));      // about half the unchanged pixels
  EXPECT_LT(r->invariant, static_cast<std::size_t>(n * 4 / 5));  // none of the changed ones
  for (int b = 0; b < 4; ++b) {
    EXPECT_NEAR(r->bands[b].gain, 1.1, 0.03) << b;
    EXPECT_NEAR(r->bands[b].offset, 0.01, 0.005) << b;
  }
}

TEST(Irmad, TooFewSamplesGiveNothing) {
  std::vector<std::vector<float>> x(2, std::vector<float>(50, 0.1f));
  EXPECT_FALSE(irmad_normalise(x, x));
}
