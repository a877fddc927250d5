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

// The temporal cloud and shadow screening of change: for pairs with no quality layer and no
// absolute reflectance (relative brightness, where the spectral cloud test above has nothing to
// hold on to), a cloud or its shadow in one date is a change region of the spectral change
// test, and these tell it from change on the ground. After the multi-temporal tests of
// Tmask/MAJA (Zhu & Woodcock 2014; Hagolle et al. 2010), which look for a sudden brightening
// of the blue band against the other date, made scale-free: ratios between the dates and
// between bands, never a reflectance level.

/// Bits of temporal_cloud_flags: which date a pixel looks like cloud or cloud shadow in.
enum TemporalSkyBit : std::uint8_t {
  kCloudEarlier = 1,
  kCloudLater = 2,
  kShadowEarlier = 4,
  kShadowLater = 8,
};

/// One pixel of two dates in the same units (the later normalised to the earlier), bands blue,
/// green, red, nir (nir NaN if absent). Cloud in date d: every visible band at least 1.3 times
/// the other date's, d's visible bands within 1.35 of each other (white), and the blue band
/// gaining at least 0.7 of what red gains (cloud adds about the same to every visible band;
/// soil that dries or is ploughed gains mostly in red). Shadow in date d: green, red and nir
/// at most 0.85 of the other date's, blue no brighter and darkened least (its ratio at least
/// red's + 0.1: in shadow only the blue skylight is left; measured on the shadow in the later
/// Paris date, 94 % of its pixels). Returns TemporalSkyBit bits; 0
/// where a visible value is missing or not positive. A pixel alone is ambiguous (a field that
/// reddens looks, seen backwards, like a shadow in the earlier date): screen_change_regions
/// decides on regions.
std::uint8_t temporal_cloud_flags(const std::array<float, 4>& earlier,
                                  const std::array<float, 4>& later);

/// What the pixels of one change region (8-connected changed pixels) say about the sky.
struct ChangeRegionSky {
  std::int64_t pixels = 0;
  std::array<std::int64_t, 4> flagged{};  ///< pixels with each TemporalSkyBit, in bit order
  std::int64_t boundary = 0;  ///< pixels with a 4-neighbour on the grid outside the region
  /// Sums of the brightening's gradient magnitude (3 x 3 Sobel / 8) over the boundary pixels
  /// and of the brightening's magnitude over all pixels; the brightening is the mean over blue,
  /// green and red of later minus earlier.
  double boundary_gradient = 0, brightening = 0;
  void add(const ChangeRegionSky& o);
};

/// The verdict on a change region: change on the ground, or no observation in `date` (0 the
/// earlier, 1 the later) because of a cloud or its shadow.
struct RegionSkyVerdict {
  enum Kind : std::uint8_t { ground, cloud, shadow } kind = ground;
  int date = 0;
};

/// Cloud in date d: at least `min_cloud_pixels`, half of them cloud in d, and a soft edge: the
/// mean gradient along the boundary at most 0.2 of the mean brightening inside (cloud thins
/// out over several pixels; a new roof or a bright field ends within one or two). Measured on
/// the change regions of the seven OSCD Sentinel-2 cities: the two clouds of the later Paris
/// date 0.15 and 0.16, every region of change on the ground 0.26 or more. Shadow in d: half
/// of its pixels shadow in d, in a date with a cloud, at most twice that date's cloud pixels
/// (a shadow is never larger than the clouds that cast it). One verdict per region, in order.
std::vector<RegionSkyVerdict> screen_change_regions(const std::vector<ChangeRegionSky>& regions,
                                                    std::int64_t min_cloud_pixels);

/// Pixels the spectral test grows clouds by (and the halo a reader needs around a block).
inline constexpr int kCloudGrowPx = 3;

}  // namespace farmwatch
