#include <gtest/gtest.h>

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
