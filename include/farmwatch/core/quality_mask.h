#pragma once
// Which pixels are no observation of the ground (cloud, cloud shadow, cirrus, fill): from the
// quality layers delivered with products, from a cloud mask made elsewhere, or, for products
// without either (Sentinel-2 L1C, Landsat Level-1, Gaofen), from a spectral cloud test.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "farmwatch/core/features.h"

namespace farmwatch {

enum class QualityKind {
  none,
  sentinel2_scl,     ///< L2A scene classification: 0 nodata, 1 defective, 3 shadow, 8/9 cloud, 10
                     ///< cirrus
  landsat_qa_pixel,  ///< Collection 2 QA_PIXEL bits: 0 fill, 1 dilated cloud, 2 cirrus, 3 cloud,
                     ///< 4 cloud shadow, 5 snow
  cloud_mask,        ///< any binary mask, e.g. s2cloudless CLM: 0 clear, non-zero cloud
  spectral,          ///< no layer: the spectral cloud test below, on the image's own bands
};
const char* quality_name(QualityKind k);
/// "scl", "qa_pixel", "cloud_mask", "spectral" (the pipeline file's words) or the names above.
std::optional<QualityKind> parse_quality_kind(const std::string& s);
/// From a band description or file name: "SCL", "QA_PIXEL", or a cloud mask ("CLM",
/// "cloudmask", "cloud_mask") anywhere in it.
std::optional<QualityKind> detect_quality(const std::string& text);

/// What a pixel of one scene is, for compositing and for cloud statistics.
enum class PixelState : std::uint8_t {
  clear = 0,   ///< an observation of the ground
  nodata = 1,  ///< fill, outside the scene, defective
  cloud = 2,   ///< cloud, cloud shadow or cirrus
};

/// The state a quality value stands for.
inline PixelState quality_state(QualityKind k, std::uint16_t v) {
  switch (k) {
    case QualityKind::sentinel2_scl:
      if (v == 0 || v == 1) return PixelState::nodata;
      return v == 3 || v == 8 || v == 9 || v == 10 ? PixelState::cloud : PixelState::clear;
    case QualityKind::landsat_qa_pixel:
      if (v & 1u) return PixelState::nodata;
      return (v & 0b111110u) != 0 ? PixelState::cloud : PixelState::clear;  // bits 1-5
    case QualityKind::cloud_mask:
      return v != 0 ? PixelState::cloud : PixelState::clear;
    case QualityKind::none:
    case QualityKind::spectral:
      return PixelState::clear;
  }
  return PixelState::clear;
}

/// Whether a pixel with this quality value is not a clear observation of the ground.
inline bool quality_invalid(QualityKind k, std::uint16_t v) {
  return quality_state(k, v) != PixelState::clear;
}

/// The spectral cloud test, after the potential-cloud-pixel tests of Fmask (Zhu & Woodcock
/// 2012) that need no thermal band: haze-optimised transform blue - 0.5 red > 0.08, whiteness
/// (mean absolute deviation of blue, green, red over their mean) < 0.7, and where the bands
/// exist, swir2 > 0.03, NDVI and NDSI < 0.8 and nir/swir1 > 0.75. The found pixels are then
/// grown by `grow_px` pixels (4-neighbour steps), as Fmask dilates its mask, because cloud
/// edges and thin cloud pass the tests only in part.
/// Needs blue, green and red. Marks `state[i] = cloud` for cloudy pixels that are clear;
/// pixels already nodata stay so. `width` x `height` is the block's size.
void spectral_cloud_test(const ReflectanceBlock& b, int width, int height, int grow_px,
                         std::vector<PixelState>& state);

// The temporal cloud and shadow screening of change: a cloud or its shadow in one date is a
// change region of the spectral change test, and these tell it from change on the ground. It
// runs wherever the spectral change test ran on blue, green and red (not on very-high-
// resolution RGB, which the building method compares); it matters where no quality layer took the
// clouds out first, above all on relative brightness (no DN-to-reflectance rule), where the
// spectral cloud test above has no reflectance level to hold on to. After the multi-temporal
// tests of Tmask/MAJA (Zhu & Woodcock 2014; Hagolle et al. 2010), which look for a sudden
// brightening of the blue band against the other date: here ratios between the dates and
// between bands, never a reflectance level. The band comparisons (white light gained, blue
// against red) take the bands' units as comparable: with raw counts whose bands have very
// different gains, clouds may stay change, or a coloured brightening look white (then only
// the soft-edge test stands between it and a wrong screen).

/// Bits of temporal_cloud_flags: which date a pixel looks like cloud or cloud shadow in.
enum TemporalSkyBit : std::uint8_t {
  kCloudEarlier = 1,
  kCloudLater = 2,
  kShadowEarlier = 4,
  kShadowLater = 8,
};

/// One pixel of two dates in the same units (the later normalised to the earlier), bands blue,
/// green, red, nir (nir NaN if absent). Cloud in date d: every visible band at least 1.3 times
/// the other date's, and the light gained white: each visible band gained, the largest gain at
/// most 1.5 times the smallest (a cloud adds about the same to every visible band, over
/// whatever ground shows through its thin parts; soil that dries or is ploughed, or a coloured
/// roof, gains mostly in red). Shadow in date d: green, red and nir
/// at most 0.85 of the other date's, blue no brighter and darkened less than red (its ratio at
/// least red's + 0.1: in shadow only the blue skylight is left; 94 % of the pixels of the
/// shadow in the later Paris date). Returns TemporalSkyBit bits; 0 where a visible value is
/// missing or not positive. A pixel alone is ambiguous (a field that reddens looks, seen
/// backwards, like a shadow in the earlier date; water dug in soil like a shadow):
/// screen_change_regions decides on regions.
std::uint8_t temporal_cloud_flags(const std::array<float, 4>& earlier,
                                  const std::array<float, 4>& later);

/// temporal_cloud_flags of pixel `i` of two blocks of the same window (blue, green, red and,
/// where both have it, nir); 0 where either lacks a visible band.
std::uint8_t temporal_cloud_flags(const ReflectanceBlock& earlier, const ReflectanceBlock& later,
                                  std::size_t i);

/// Whether the ground's pattern shows through in both dates at pixel (`col`, `row`) of two
/// `width` x `height` planes of the same place (each date's mean visible brightness, NaN where
/// missing): the Pearson correlation of the two dates over the 3 x 3 window (the pixels of it
/// inside the planes, at least 5 with both values) is at least 0.5. A cloud's shadow dims the
/// ground and keeps its pattern (70 % of the Paris shadow's pixels); water dug, a new roof or
/// tarmac replace it.
bool ground_pattern_kept(const float* earlier, const float* later, int width, int height,
                         int col, int row);

/// What the pixels of one change region (8-connected changed pixels) say about the sky. The
/// brightening is the mean over blue, green and red of later minus earlier.
struct ChangeRegionSky {
  std::int64_t pixels = 0;
  std::array<std::int64_t, 4> flagged{};  ///< pixels with each TemporalSkyBit, in bit order
  /// Pixels flagged shadow in either date where ground_pattern_kept holds (only those are
  /// tested).
  std::int64_t pattern_kept = 0;
  /// Pixels with a 4-neighbour observed on both dates and unchanged (not no data, not off the
  /// grid), and the sum of the brightening's gradient magnitude (3 x 3 Sobel / 8) over them.
  std::int64_t boundary = 0;
  double boundary_gradient = 0;
  double brightening = 0;  ///< sum over the region's pixels
  /// Sum of the brightening of those unchanged 4-neighbours, once per boundary pixel they touch,
  /// and how many were summed: the surroundings the region stands out from.
  double outside = 0;
  std::int64_t outside_pixels = 0;
  double row_sum = 0, col_sum = 0;  ///< of the pixels' rows and columns: the centroid
  void add(const ChangeRegionSky& o);
  /// How soft the region's edge is: the mean boundary gradient over the contrast, the mean
  /// brightening inside less the mean outside (absolute). A step edge measures about 0.5, an
  /// edge that fades over several pixels much less. NaN when it cannot be told.
  double edge() const;
};

/// The verdict on a change region: change on the ground, or no observation in `date` (0 the
/// earlier, 1 the later) because of a cloud or its shadow.
struct RegionSkyVerdict {
  enum Kind : std::uint8_t { ground, cloud, shadow } kind = ground;
  int date = 0;
};

/// Cloud in date d: at least `min_cloud_pixels`, half of them cloud in d, and a soft edge
/// (ChangeRegionSky::edge at most 0.3: cloud thins out over several pixels; a new roof or a
/// bright field ends within one or two, even under haze that brightened its surroundings too).
/// Measured on the change regions of the seven OSCD Sentinel-2 cities: the two clouds of the
/// later Paris date 0.19 and 0.20, every region of change on the ground 0.53 or more. Shadow
/// in d: half of its pixels shadow in d and half keeping the ground's pattern, and a cloud in d
/// of at least half its pixels (a shadow is about as large as the cloud that casts it) whose
/// centroid is at most `max_shadow_distance_px` from its own. (A shadow's edge is where the
/// ground under it changes and tells nothing: the Paris shadow measures 0.98.) A whole region
/// gets one verdict: a roof that touches a cloud goes with it. One verdict per region, in
/// order.
std::vector<RegionSkyVerdict> screen_change_regions(const std::vector<ChangeRegionSky>& regions,
                                                    std::int64_t min_cloud_pixels,
                                                    double max_shadow_distance_px);

/// Pixels the spectral test grows clouds by (and the halo a reader needs around a block).
inline constexpr int kCloudGrowPx = 3;

}  // namespace farmwatch
