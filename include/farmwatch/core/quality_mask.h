#pragma once
// Which pixels are no observation of the ground (cloud, cloud shadow, cirrus, fill): from the
// quality layers delivered with products, from a cloud mask made elsewhere, or, for products
// without either (Sentinel-2 L1C, Landsat Level-1, Gaofen), from a spectral cloud test.
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

/// Pixels the spectral test grows clouds by (and the halo a reader needs around a block).
inline constexpr int kCloudGrowPx = 3;

}  // namespace farmwatch
