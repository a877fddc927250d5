#include <gtest/gtest.h>

#include <cmath>

#include "farmwatch/core/quality_mask.h"

using namespace farmwatch;

TEST(QualityState, ProductLayersSeparateFillFromCloud) {
  EXPECT_EQ(quality_state(QualityKind::sentinel2_scl, 0), PixelState::nodata);
  EXPECT_EQ(quality_state(QualityKind::sentinel2_scl, 9), PixelState::cloud);
  EXPECT_EQ(quality_state(QualityKind::sentinel2_scl, 3), PixelState::cloud);  // shadow
  EXPECT_EQ(quality_state(QualityKind::sentinel2_scl, 5), PixelState::clear);  // bare soil
  EXPECT_EQ(quality_state(QualityKind::landsat_qa_pixel, 1), PixelState::nodata);
  EXPECT_EQ(quality_state(QualityKind::landsat_qa_pixel, 1u << 3), PixelState::cloud);
  EXPECT_EQ(quality_state(QualityKind::landsat_qa_pixel, 1u << 6), PixelState::clear);
  EXPECT_EQ(quality_state(QualityKind::cloud_mask, 1), PixelState::cloud);
  EXPECT_EQ(quality_state(QualityKind::cloud_mask, 0), PixelState::clear);
  EXPECT_EQ(detect_quality("cloudmask_clm_68dates.tif"), QualityKind::cloud_mask);
  EXPECT_EQ(parse_quality_kind("qa_pixel"), QualityKind::landsat_qa_pixel);
  EXPECT_FALSE(parse_quality_kind("fmask"));
}

namespace {

/// A 20 x 20 block of vegetation with a bright white cloud of 4 x 4 in the middle, and a
/// bright but coloured (reddish soil) patch that is no cloud.
ReflectanceBlock scene(int w, int h) {
  ReflectanceBlock b;
  b.window = {0, 0, w, h};
  const std::size_t n = static_cast<std::size_t>(w * h);
  for (BandRole r : {BandRole::blue, BandRole::green, BandRole::red, BandRole::nir})
    b.plane(r).assign(n, 0);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const std::size_t i = static_cast<std::size_t>(y * w + x);
      float bl = 0.03f, g = 0.06f, r = 0.04f, nir = 0.35f;  // vegetation
      if (x >= 8 && x < 12 && y >= 8 && y < 12) bl = 0.45f, g = 0.46f, r = 0.47f, nir = 0.5f;
      if (x < 3 && y < 3) bl = 0.12f, g = 0.2f, r = 0.3f, nir = 0.35f;  // soil
      b.plane(BandRole::blue)[i] = bl;
      b.plane(BandRole::green)[i] = g;
      b.plane(BandRole::red)[i] = r;
      b.plane(BandRole::nir)[i] = nir;
    }
  return b;
}

}  // namespace

TEST(SpectralCloudTest, FindsWhiteCloudGrowsItAndLeavesSoilAndVegetation) {
  const int w = 20, h = 20;
  const auto b = scene(w, h);
  std::vector<PixelState> st(static_cast<std::size_t>(w * h), PixelState::clear);
  st[static_cast<std::size_t>(19 * w + 19)] = PixelState::nodata;
  spectral_cloud_test(b, w, h, 0, st);
  auto at = [&](int x, int y) { return st[static_cast<std::size_t>(y * w + x)]; };
  EXPECT_EQ(at(9, 9), PixelState::cloud);
  EXPECT_EQ(at(7, 9), PixelState::clear);  // not grown
  EXPECT_EQ(at(1, 1), PixelState::clear);  // soil: not white enough
  EXPECT_EQ(at(0, 19), PixelState::clear);
  EXPECT_EQ(at(19, 19), PixelState::nodata);  // stays nodata

  std::fill(st.begin(), st.end(), PixelState::clear);
  spectral_cloud_test(b, w, h, 3, st);
  EXPECT_EQ(at(5, 9), PixelState::cloud);  // 3 pixels out
  EXPECT_EQ(at(4, 9), PixelState::clear);  // 4 pixels out
  EXPECT_EQ(at(6, 6), PixelState::clear);  // diagonal steps count twice (4-neighbour growth)
}

// The temporal test of a changed pixel: ratios between the dates, so relative brightness works.
TEST(TemporalCloudTest, TheGroundsPatternShowsThroughAShadowNotThroughWater) {
  // 3 x 3 planes: the earlier date's pattern, dimmed to 40 % in the later one (a shadow), or
  // replaced by nearly even water.
  const float ground[9] = {0.10f, 0.14f, 0.08f, 0.12f, 0.09f, 0.15f, 0.11f, 0.13f, 0.10f};
  float shadow[9], water[9];
  for (int i = 0; i < 9; ++i) shadow[i] = 0.4f * ground[i] + (i % 2 ? 0.002f : 0.0f);
  const float even[9] = {0.031f, 0.030f, 0.032f, 0.029f, 0.031f, 0.030f, 0.030f, 0.032f, 0.031f};
  for (int i = 0; i < 9; ++i) water[i] = even[i];
  EXPECT_TRUE(ground_pattern_kept(ground, shadow, 3, 3, 1, 1));
  EXPECT_FALSE(ground_pattern_kept(ground, water, 3, 3, 1, 1));
  EXPECT_FALSE(ground_pattern_kept(ground, shadow, 3, 3, 5, 5)) << "no pixel of it inside";
}

TEST(TemporalCloudTest, CloudAndShadowInEitherDateNotSoilOrDarkRoofs) {
  const std::array<float, 4> city{0.10f, 0.09f, 0.08f, 0.12f};
  const std::array<float, 4> cloud{0.34f, 0.33f, 0.32f, 0.35f};  // white, bright
  EXPECT_EQ(temporal_cloud_flags(city, cloud), kCloudLater);
  EXPECT_EQ(temporal_cloud_flags(cloud, city), kCloudEarlier);
  // The same scaled by 1/10 (relative units): the same answer.
  auto scaled = [](std::array<float, 4> v) {
    for (auto& x : v) x /= 10;
    return v;
  };
  EXPECT_EQ(temporal_cloud_flags(scaled(city), scaled(cloud)), kCloudLater);
  // Ploughed or dried soil brightens mostly in red: not cloud. (Seen backwards it is a
  // darkening that spares blue, as a shadow in the earlier date: pixels are ambiguous, which
  // is why a region needs a soft-edged cloud in that date, screen_change_regions.)
  EXPECT_EQ(temporal_cloud_flags(city, {0.14f, 0.16f, 0.20f, 0.22f}) & kCloudLater, 0);
  // A coloured roof (red gaining over twice what blue gains): not white light, not cloud.
  EXPECT_EQ(temporal_cloud_flags(city, {0.20f, 0.26f, 0.34f, 0.36f}) & kCloudLater, 0);
  // A thin cloud over green crops: white light added, the crops' colour still showing.
  EXPECT_EQ(temporal_cloud_flags({0.04f, 0.07f, 0.04f, 0.30f}, {0.12f, 0.15f, 0.12f, 0.33f}),
            kCloudLater);
  // Shadow: green, red and nir well down, blue least (skylight).
  const std::array<float, 4> shadow{0.085f, 0.06f, 0.045f, 0.05f};
  EXPECT_EQ(temporal_cloud_flags(city, shadow), kShadowLater);
  EXPECT_EQ(temporal_cloud_flags(shadow, city), kShadowEarlier);
  // A new dark roof darkens every band alike: not shadow.
  EXPECT_EQ(temporal_cloud_flags(city, {0.05f, 0.045f, 0.04f, 0.06f}) & kShadowLater, 0);
  // Missing values.
  EXPECT_EQ(temporal_cloud_flags(city, {std::nanf(""), 0.3f, 0.3f, 0.3f}), 0);
  EXPECT_EQ(temporal_cloud_flags(city, {0.34f, 0.33f, 0.32f, std::nanf("")}), kCloudLater);
}

namespace {
/// A region of `n` pixels centred on (`row`, `col`), `share` of them with `bit`, brightened by
/// 0.1 over ground that did not change, whose boundary gradient is `edge` times that contrast.
ChangeRegionSky region(int n, int bit_index, double share, double edge, double row = 0,
                       double col = 0) {
  ChangeRegionSky g;
  g.pixels = n;
  g.flagged[static_cast<std::size_t>(bit_index)] = static_cast<std::int64_t>(share * n);
  g.boundary = n / 5;
  g.brightening = 0.1 * n;
  g.outside = 0;
  g.outside_pixels = n / 5;
  g.boundary_gradient = edge * 0.1 * (n / 5);
  g.row_sum = row * n;
  g.col_sum = col * n;
  g.pattern_kept = n;
  return g;
}
}  // namespace

TEST(TemporalCloudTest, ARegionIsCloudOnlyWithASoftEdgeAndShadowOnlyNearACloud) {
  // index 1: cloud in the later date, 3: shadow in the later date. The cloud is at (0, 0);
  // shadows may lie up to 300 pixels from it.
  const auto v = screen_change_regions({region(500, 1, 0.8, 0.12),           // soft: cloud
                                        region(500, 1, 0.8, 0.50, 0, 900),   // sharp: a roof
                                        region(50, 1, 0.9, 0.10, 0, 1800),   // too small
                                        region(400, 3, 0.7, 0.90, 150, 0),   // its shadow
                                        region(400, 3, 0.7, 0.50, 0, 400),   // too far: a pond
                                        region(1200, 3, 0.7, 0.30, 100, 0),  // over twice it
                                        region(400, 2, 0.7, 0.30, 100, 0)},  // in the earlier
                                       100, 300);
  ASSERT_EQ(v.size(), 7u);
  EXPECT_EQ(v[0].kind, RegionSkyVerdict::cloud);
  EXPECT_EQ(v[0].date, 1);
  EXPECT_EQ(v[1].kind, RegionSkyVerdict::ground);
  EXPECT_EQ(v[2].kind, RegionSkyVerdict::ground);
  EXPECT_EQ(v[3].kind, RegionSkyVerdict::shadow);
  EXPECT_EQ(v[3].date, 1);
  EXPECT_EQ(v[4].kind, RegionSkyVerdict::ground);
  EXPECT_EQ(v[5].kind, RegionSkyVerdict::ground);
  EXPECT_EQ(v[6].kind, RegionSkyVerdict::ground);  // no cloud in the earlier date
  // The shadow's place, but the ground's pattern gone (water dug, tarmac laid): not a shadow.
  auto pond = region(400, 3, 0.7, 0.90, 150, 0);
  pond.pattern_kept = 100;
  EXPECT_EQ(screen_change_regions({region(500, 1, 0.8, 0.12), pond}, 100, 300)[1].kind,
            RegionSkyVerdict::ground);
  // With no soft cloud at all, no shadow either: a demolition darkens too.
  const auto w =
      screen_change_regions({region(500, 1, 0.8, 0.50), region(400, 3, 0.7, 0.3)}, 100, 300);
  EXPECT_EQ(w[0].kind, RegionSkyVerdict::ground);
  EXPECT_EQ(w[1].kind, RegionSkyVerdict::ground);
}

TEST(TemporalCloudTest, TheEdgeIsMeasuredAgainstTheSurroundings) {
  // A roof brightened by 0.3 under a haze that brightened everything around it by 0.25: the
  // contrast is 0.05 and its sharp edge (gradient 0.025) measures 0.5, not 0.08.
  ChangeRegionSky g;
  g.pixels = 400;
  g.brightening = 0.3 * 400;
  g.boundary = 80;
  g.outside = 0.25 * 80;
  g.outside_pixels = 80;
  g.boundary_gradient = 0.025 * 80;
  EXPECT_NEAR(g.edge(), 0.5, 1e-9);
  g.boundary = 0;  // nothing observed around it: cannot be told
  EXPECT_TRUE(std::isnan(g.edge()));
}
