// The spectral change test: IR-MAD's chi-square statistic, its 3 x 3 median and the vegetation
// rule, on generated reflectance.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
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
  // The building is far beyond the seed level too; unchanged land is not.
  std::vector<std::uint8_t> seeds;
  spectral_change_test(test, a, b, n, n, out, &seeds);
  EXPECT_EQ(seeds[50 * n + 50], 1);
  EXPECT_EQ(seeds[10 * n + 10], 0);
  EXPECT_GT(test.seed_threshold(), test.threshold());
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

TEST(SpectralChange, AShiftOfOnePixelIsToleratedWhereANewObjectIsNot) {
  // A dense city, each pixel roof or street at random (sharp edges everywhere), seen again
  // one pixel to the east with other noise: without a tolerance, half of the pixels differ
  // from the earlier pixel in place and flag; with a shift of one pixel allowed, only the new
  // 8 x 8 roof does.
  const int n = 96;
  ReflectanceBlock a, b, registered;  // `registered`: the later date in place, for the fit
  const BandRole roles[] = {BandRole::blue, BandRole::green, BandRole::red, BandRole::nir};
  std::mt19937 rng(5);
  std::normal_distribution<float> noise(0, 0.003f);
  std::vector<char> roofs(n * n);
  std::bernoulli_distribution coin(0.5);
  for (auto& v : roofs) v = coin(rng);
  auto roof = [&](int r, int c) { return roofs[static_cast<std::size_t>(r * n + c)] != 0; };
  auto value = [](bool is_roof, int k) {
    const float roof_v[] = {0.20f, 0.22f, 0.25f, 0.28f}, street_v[] = {0.06f, 0.07f, 0.08f, 0.10f};
    return is_roof ? roof_v[k] : street_v[k];
  };
  auto is_new = [](int r, int c) { return r >= 40 && r < 48 && c >= 40 && c < 48; };
  for (int k = 0; k < 4; ++k) {
    a.plane(roles[k]).resize(n * n);
    b.plane(roles[k]).resize(n * n);
    registered.plane(roles[k]).resize(n * n);
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) {
        a.plane(roles[k])[r * n + c] = value(roof(r, c), k) + noise(rng);
        // The later date one pixel east: its pixel (r, c) shows the ground of (r, c - 1).
        const bool later_roof = is_new(r, c) ? true : roof(r, std::max(0, c - 1));
        b.plane(roles[k])[r * n + c] = value(later_roof, k) + 0.5f * noise(rng);
        registered.plane(roles[k])[r * n + c] = value(roof(r, c), k) + 0.5f * noise(rng);
      }
  }
  // The new roof covers what was street and roof alike: make it a colour neither had.
  for (int r = 40; r < 48; ++r)
    for (int c = 40; c < 48; ++c) {
      b.plane(BandRole::blue)[r * n + c] = 0.30f;
      b.plane(BandRole::nir)[r * n + c] = 0.12f;
    }
  // The transform as the sample windows of a well registered pair would give it.
  SpectralChangeTest test = fit(a, registered);
  auto flagged_outside = [&](int shift) {
    test.shift_px = shift;
    std::vector<std::uint8_t> out;
    spectral_change_test(test, a, b, n, n, out);
    int outside = 0, inside = 0;
    for (int r = 3; r < n - 3; ++r)
      for (int c = 3; c < n - 3; ++c) {
        const std::uint8_t v = out[static_cast<std::size_t>(r * n + c)];
        if (r >= 41 && r < 47 && c >= 41 && c < 47) inside += v == 1;
        else if (!(r >= 38 && r < 50 && c >= 38 && c < 50)) outside += v == 1;
      }
    EXPECT_EQ(inside, 36) << "shift " << shift;
    return outside;
  };
  const int strict = flagged_outside(0), tolerant = flagged_outside(1);
  EXPECT_GT(strict, 2000);  // about half of the 90 x 90 pixels
  EXPECT_EQ(tolerant, 0);
  EXPECT_EQ(misregistration_shift_px(10.0), 1);
  EXPECT_EQ(misregistration_shift_px(30.0), 0);
  EXPECT_EQ(misregistration_shift_px(0.5), 2);
}

TEST(SpectralChange, TheSeasonsSoilsAreSeasonalRoofsGreenhousesGravelAndWaterAreNot) {
  // Calibration samples of a pair in two seasons: green crops and hills in July, ploughed
  // fields, dried hills and woods bare of leaves in January (blue, green, red, NIR, each
  // sample's tone varied 10 % and noise added), and unchanged town and water.
  const BandRole roles[] = {BandRole::blue, BandRole::green, BandRole::red, BandRole::nir};
  const std::vector<std::array<std::array<float, 4>, 2>> kinds = {
      {{{0.03f, 0.06f, 0.04f, 0.42f}, {0.07f, 0.10f, 0.14f, 0.21f}}},  // crop, ploughed
      {{{0.04f, 0.07f, 0.05f, 0.28f}, {0.08f, 0.11f, 0.15f, 0.20f}}},  // green hill, dried
      {{{0.02f, 0.05f, 0.03f, 0.32f}, {0.05f, 0.06f, 0.07f, 0.12f}}},  // wood, bare of leaves
      {{{0.10f, 0.09f, 0.08f, 0.12f}, {0.10f, 0.09f, 0.08f, 0.12f}}},  // town
      {{{0.06f, 0.05f, 0.03f, 0.02f}, {0.06f, 0.05f, 0.03f, 0.02f}}},  // water
  };
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> tone(0.9f, 1.1f);
  std::normal_distribution<float> noise(0, 0.003f);
  std::vector<std::vector<float>> x(4), y(4);
  for (int i = 0; i < 5000; ++i) {
    const auto& kind = kinds[static_cast<std::size_t>(i) % kinds.size()];
    const float t = tone(rng);
    for (std::size_t b = 0; b < 4; ++b) {
      x[b].push_back(kind[0][b] * t + noise(rng));
      y[b].push_back(kind[1][b] * t + noise(rng));
    }
  }
  SpectralChangeTest test;
  test.soil = fit_seasonal_soil(test, {std::begin(roles), std::end(roles)}, x, y);
  EXPECT_GT(test.soil.pixels, 2500);  // of the 3000 ploughed, dried and bare samples
  ASSERT_FALSE(test.soil.modes.empty());
  // One pixel per case: earlier, later.
  struct Case {
    float before[4], after[4];
    bool seasonal;
    const char* what;
  };
  const Case cases[] = {
      {{0.03f, 0.06f, 0.04f, 0.40f}, {0.07f, 0.10f, 0.14f, 0.21f}, true, "crop to ploughed soil"},
      {{0.07f, 0.10f, 0.14f, 0.21f}, {0.03f, 0.06f, 0.04f, 0.40f}, true, "soil sown green"},
      {{0.04f, 0.07f, 0.05f, 0.28f}, {0.08f, 0.11f, 0.15f, 0.20f}, true, "a hill dried"},
      {{0.02f, 0.05f, 0.03f, 0.32f}, {0.05f, 0.06f, 0.07f, 0.12f}, true, "trees bare of leaves"},
      {{0.03f, 0.06f, 0.04f, 0.40f}, {0.18f, 0.18f, 0.19f, 0.22f}, false, "crop to concrete"},
      {{0.03f, 0.06f, 0.04f, 0.40f}, {0.07f, 0.09f, 0.20f, 0.27f}, false, "crop to red tiles"},
      {{0.03f, 0.06f, 0.04f, 0.40f}, {0.15f, 0.17f, 0.18f, 0.28f}, false, "crop to greenhouse"},
      {{0.03f, 0.06f, 0.04f, 0.40f}, {0.12f, 0.14f, 0.17f, 0.22f}, false, "crop to gravel yard"},
      {{0.03f, 0.06f, 0.04f, 0.40f}, {0.06f, 0.05f, 0.03f, 0.02f}, false, "crop to pond"},
      {{0.03f, 0.06f, 0.04f, 0.40f}, {0.03f, 0.07f, 0.05f, 0.30f}, false, "green both dates"},
      {{0.03f, 0.06f, 0.04f, 0.40f}, {0.07f, 0.10f, kNaN, 0.21f}, false, "red missing"},
  };
  ReflectanceBlock a, b;
  for (const Case& c : cases)
    for (int k = 0; k < 4; ++k) {
      a.plane(roles[k]).push_back(c.before[k]);
      b.plane(roles[k]).push_back(c.after[k]);
    }
  for (std::size_t i = 0; i < std::size(cases); ++i)
    EXPECT_EQ(seasonal_transition(test, a, b, i), cases[i].seasonal) << cases[i].what;
  // No model (no samples passed the tests): nothing is seasonal.
  EXPECT_FALSE(seasonal_transition(SpectralChangeTest{}, a, b, 0));
  // The same samples, the same modes, whatever state the thread's OpenCV RNG was in (k-means++
  // draws from it), which it gets back.
  cv::theRNG() = cv::RNG(1);
  const SeasonalSoil again = fit_seasonal_soil(test, {std::begin(roles), std::end(roles)}, x, y);
  EXPECT_EQ(cv::theRNG().state, cv::RNG(1).state);
  ASSERT_EQ(again.modes.size(), test.soil.modes.size());
  for (std::size_t m = 0; m < again.modes.size(); ++m)
    EXPECT_EQ(again.modes[m].median, test.soil.modes[m].median);
  // Without NIR nothing is seasonal (RGB pairs: the building method's).
  ReflectanceBlock rgb_a, rgb_b;
  for (int k = 0; k < 3; ++k) {
    rgb_a.plane(roles[k]) = a.plane(roles[k]);
    rgb_b.plane(roles[k]) = b.plane(roles[k]);
  }
  EXPECT_FALSE(seasonal_transition(test, rgb_a, rgb_b, 0));
}

namespace {

/// Paired samples of four bands: `turned` of `n` are crops in the earlier date and ploughed soil
/// in the later, the rest a mix of covers unchanged but for the later date's gain of 1.1.
void season_samples(int n, int turned, std::vector<std::vector<float>>& x,
                    std::vector<std::vector<float>>& y) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> cover(0, 1);
  std::normal_distribution<float> noise(0, 0.003f);
  x.assign(4, std::vector<float>(static_cast<std::size_t>(n)));
  y = x;
  for (int i = 0; i < n; ++i) {
    const float veg = cover(rng);
    const float crop[] = {0.03f, 0.06f, 0.04f, 0.42f}, soil[] = {0.07f, 0.10f, 0.14f, 0.21f};
    const float mixed[] = {0.08f - 0.04f * veg, 0.10f - 0.03f * veg, 0.14f - 0.10f * veg,
                           0.20f + 0.30f * veg};
    for (std::size_t k = 0; k < 4; ++k) {
      const auto s = static_cast<std::size_t>(i);
      x[k][s] = (i < turned ? crop[k] : mixed[k]) + noise(rng);
      y[k][s] = 1.1f * (i < turned ? soil[k] : mixed[k]) + noise(rng);
    }
  }
}

const std::vector<BandRole> kRoles = {BandRole::blue, BandRole::green, BandRole::red,
                                      BandRole::nir};

}  // namespace

TEST(NoChangeFit, TurnedSamplesAreVegetationInOneDateOnly) {
  std::vector<std::vector<float>> x, y;
  season_samples(1000, 300, x, y);
  const auto turned = vegetation_turned_samples(SpectralChangeTest{}, kRoles, x, y);
  ASSERT_EQ(turned.size(), 1000u);
  for (std::size_t i = 0; i < 300; ++i) EXPECT_EQ(turned[i], 1) << i;
  // A sample with red or NIR not positive in a date is not judged.
  x[2][0] = 0;
  EXPECT_EQ(vegetation_turned_samples(SpectralChangeTest{}, kRoles, x, y)[0], 0);
  // Without NIR nothing is judged.
  const std::vector<BandRole> rgb(kRoles.begin(), kRoles.begin() + 3);
  const std::vector<std::vector<float>> x3(x.begin(), x.begin() + 3), y3(y.begin(), y.begin() + 3);
  const auto none = vegetation_turned_samples(SpectralChangeTest{}, rgb, x3, y3);
  EXPECT_EQ(std::count(none.begin(), none.end(), 1), 0);
}

TEST(NoChangeFit, LeavesTheTurnedSamplesOutOfTheNormalisationAndFindsTheGain) {
  std::vector<std::vector<float>> x, y;
  season_samples(20000, 12000, x, y);  // 60 % ploughed
  const NoChangeFit all =
      fit_no_change(SpectralChangeTest{}, kRoles, x, y, TurnedSamples::left_out);
  ASSERT_TRUE(all.fit.has_value());
  EXPECT_TRUE(all.refitted);
  // The ploughed ones, and a few mixed covers whose noise crosses NDVI 0.3.
  EXPECT_NEAR(static_cast<double>(all.turned), 12000, 200);
  for (const auto& band : all.fit->bands) EXPECT_NEAR(band.gain, 1.1, 0.03);
  // Too few others for a fit without them: the fit on every sample, not refitted.
  std::vector<std::vector<float>> xs, ys;
  season_samples(12100, 12000, xs, ys);
  const NoChangeFit few =
      fit_no_change(SpectralChangeTest{}, kRoles, xs, ys, TurnedSamples::left_out);
  EXPECT_FALSE(few.refitted);
  EXPECT_NEAR(static_cast<double>(few.turned), 12000, 10);
  // Sample vectors that do not match the roles are refused.
  EXPECT_THROW(fit_no_change(SpectralChangeTest{}, kRoles, {x[0]}, {y[0]}, TurnedSamples::left_out),
               std::invalid_argument);
}

TEST(NoChangeFit, TheChangeTestKeepsTheSeasonUnlessItBentTheFit) {
  // A fifth turned: the fit on every sample calls the others unchanged, and stands.
  std::vector<std::vector<float>> x, y;
  season_samples(20000, 4000, x, y);
  const NoChangeFit some =
      fit_no_change(SpectralChangeTest{}, kRoles, x, y, TurnedSamples::left_out_if_absorbed);
  ASSERT_TRUE(some.fit.has_value());
  EXPECT_FALSE(some.refitted);
  EXPECT_GE(some.other_unchanged, kMinOtherUnchangedShare);
  // Most of it turned: the fit on every sample took the ploughing for no change and calls
  // most of the others changed; fitted again without the turned samples.
  season_samples(20000, 14000, x, y);
  const NoChangeFit most =
      fit_no_change(SpectralChangeTest{}, kRoles, x, y, TurnedSamples::left_out_if_absorbed);
  ASSERT_TRUE(most.fit.has_value());
  EXPECT_LT(most.other_unchanged, kMinOtherUnchangedShare);
  EXPECT_TRUE(most.refitted);
}
