// The spectral change test: IR-MAD's chi-square statistic, its 3 x 3 median and the vegetation
// rule, on generated reflectance.
#include <gtest/gtest.h>

#include <random>

#include "farmwatch/core/radiometry.h"
#include "farmwatch/core/spectral_change.h"

using namespace farmwatch;

namespace {

/// Four bands of varied land cover on an n x n block; the later date reads 1.1 x + 0.01 with
/// noise; inside `changed` (a predicate on row, col) the later date is something else.
template <typename Changed>
void make_pair(int n, ReflectanceBlock& a, ReflectanceBlock& b, Changed changed,
               float nir_later = -1) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> cover(0, 1);
  std::normal_distribution<float> noise(0, 0.003f);
  const BandRole roles[] = {BandRole::blue, BandRole::green, BandRole::red, BandRole::nir};
  for (BandRole r : roles) {
    a.plane(r).resize(static_cast<std::size_t>(n * n));
    b.plane(r).resize(static_cast<std::size_t>(n * n));
  }
  for (int i = 0; i < n * n; ++i) {
    const float veg = cover(rng);  // 0 bare .. 1 dense vegetation
    const float vals[] = {0.08f - 0.04f * veg, 0.10f - 0.03f * veg, 0.14f - 0.10f * veg,
                          0.20f + 0.30f * veg};
    for (int k = 0; k < 4; ++k) {
      a.plane(roles[k])[i] = vals[k] + noise(rng);
      b.plane(roles[k])[i] = 1.1f * vals[k] + 0.01f + noise(rng);
    }
    if (changed(i / n, i % n)) {  // built: bright and flat
      for (int k = 0; k < 3; ++k) b.plane(roles[k])[i] = 0.25f + noise(rng);
      b.plane(BandRole::nir)[i] = nir_later > 0 ? nir_later : 0.27f + noise(rng);
    }
  }
}

SpectralChangeTest fit(const ReflectanceBlock& a, const ReflectanceBlock& b) {
  SpectralChangeTest t;
  t.roles = {BandRole::blue, BandRole::green, BandRole::red, BandRole::nir};
  std::vector<std::vector<float>> x, y;
  for (BandRole r : t.roles) {
    x.push_back(a.plane(r));
    y.push_back(b.plane(r));
  }
  const auto n = irmad_normalise(x, y);
  if (n) t.mad = n->mad;
  EXPECT_TRUE(n);
  return t;
}

}  // namespace

TEST(ChiSquare, QuantileInvertsTheCdf) {
  EXPECT_NEAR(chi_square_quantile(0.95, 4), 9.4877, 1e-3);
  EXPECT_NEAR(chi_square_quantile(0.9999, 6), 27.856, 1e-2);
}

TEST(SpectralChange, ChangedAreasPassUnchangedLandAndSinglePixelsDoNot) {
  const int n = 120;
  ReflectanceBlock a, b;
  // A 20 x 20 new building, and one lone pixel that changed.
  make_pair(n, a, b, [](int r, int c) {
    return (r >= 40 && r < 60 && c >= 40 && c < 60) || (r == 100 && c == 100);
  });
  const SpectralChangeTest test = fit(a, b);
  // Unchanged pixels follow chi-square(4): the statistic's median is near its median (3.36).
  std::vector<float> z;
  for (int i = 0; i < n * n; i += 7) {
    if (i / n >= 40 && i / n < 60) continue;
    const float x[] = {a.plane(BandRole::blue)[i], a.plane(BandRole::green)[i],
                       a.plane(BandRole::red)[i], a.plane(BandRole::nir)[i]};
    const float y[] = {b.plane(BandRole::blue)[i], b.plane(BandRole::green)[i],
                       b.plane(BandRole::red)[i], b.plane(BandRole::nir)[i]};
    z.push_back(static_cast<float>(test.mad.chi_square(x, y)));
  }
  std::nth_element(z.begin(), z.begin() + z.size() / 2, z.end());
  EXPECT_NEAR(z[z.size() / 2], 3.36, 0.5);

  std::vector<std::uint8_t> out;
  spectral_change_test(test, a, b, n, n, out);
  int inside = 0, outside = 0;
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      const bool in = r >= 41 && r < 59 && c >= 41 && c < 59;
      (in ? inside : outside) += out[static_cast<std::size_t>(r * n + c)] == 1;
    }
  EXPECT_EQ(inside, 18 * 18);
  EXPECT_LE(outside, 2 * 20 + 2 * 18);  // at most the building's rim
  EXPECT_EQ(out[100 * n + 100], 0);     // the 3 x 3 median ignores a lone pixel
}

TEST(SpectralChange, VegetationOnBothDatesIsSetApartAndMissingBandsAreUnknown) {
  const int n = 60;
  ReflectanceBlock a, b;
  // Dense vegetation turned into other, still dense, vegetation (an orchard, a rotation).
  make_pair(
      n, a, b, [](int r, int c) { return r >= 10 && r < 30 && c >= 10 && c < 30; }, 0.9f);
  for (int r = 10; r < 30; ++r)
    for (int c = 10; c < 30; ++c) {
      const auto i = static_cast<std::size_t>(r * n + c);
      a.plane(BandRole::red)[i] = 0.03f;
      a.plane(BandRole::nir)[i] = 0.45f;
      b.plane(BandRole::red)[i] = 0.05f;
    }
  const SpectralChangeTest test = fit(a, b);
  b.plane(BandRole::red)[0] = kNaN;
  std::vector<std::uint8_t> out;
  spectral_change_test(test, a, b, n, n, out);
  EXPECT_EQ(out[20 * n + 20], 2);
  EXPECT_EQ(out[0], 255);
}
