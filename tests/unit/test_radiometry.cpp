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

TEST(Irmad, SeparatesChangeThatCoversTwoFifthsOfTheScene) {
  // Rapid urban growth: crops, forest and bare land, a fifth of the scene already built up; 40 %
  // of the pixels become built-up land, and the later date reads each band with its own gain
  // and offset. Started from every pixel, the canonical correlations absorbed the change and no
  // pixel passed the test.
  std::mt19937 rng(11);
  std::normal_distribution<float> noise(0, 0.006f), spread(0, 0.045f);
  std::uniform_real_distribution<float> u(0, 1);
  const int n = 20000;
  std::vector<std::vector<float>> x(4, std::vector<float>(n)), y = x;
  const float cover[4][4] = {{0.04f, 0.07f, 0.05f, 0.35f},   // crops
                             {0.03f, 0.05f, 0.03f, 0.28f},   // forest
                             {0.10f, 0.12f, 0.13f, 0.20f},   // built-up
                             {0.12f, 0.15f, 0.18f, 0.25f}};  // bare
  const float gain[4] = {1.1f, 1.05f, 1.08f, 0.92f}, offset[4] = {0.01f, 0.005f, 0, 0.02f};
  std::vector<char> changed(n, 0);
  for (int i = 0; i < n; ++i) {
    const float r = u(rng);
    const int c = r < 0.45f ? 0 : r < 0.65f ? 1 : r < 0.85f ? 2 : 3;
    changed[i] = c != 2 && u(rng) < 0.4f / 0.8f;
    const float before = 1 + spread(rng), after = changed[i] ? 1 + spread(rng) : before;
    for (int b = 0; b < 4; ++b) {
      x[b][i] = cover[c][b] * before + noise(rng);
      y[b][i] = gain[b] * (changed[i] ? cover[2][b] : cover[c][b]) * after + offset[b] +
                noise(rng);
    }
  }
  const auto r = irmad_normalise(x, y);
  ASSERT_TRUE(r);
  const double critical = chi_square_quantile(1 - 1e-3, 4);
  std::size_t found = 0, false_alarms = 0, changes = 0;
  for (int i = 0; i < n; ++i) {
    const float xi[4] = {x[0][i], x[1][i], x[2][i], x[3][i]};
    const float yi[4] = {y[0][i], y[1][i], y[2][i], y[3][i]};
    const bool flagged = r->mad.chi_square(xi, yi) > critical;
    changes += changed[i];
    found += flagged && changed[i];
    false_alarms += flagged && !changed[i];
  }
  EXPECT_GT(double(found) / double(changes), 0.9);
  EXPECT_LT(double(false_alarms) / double(n - changes), 0.01);
}
