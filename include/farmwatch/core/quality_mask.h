#pragma once
// Per-pixel quality layers delivered with products: which pixels are no observation of the
// ground (cloud, cloud shadow, cirrus, snow, fill).
#include <cstdint>
#include <optional>
#include <string>

namespace farmwatch {

enum class QualityKind {
  none,
  sentinel2_scl,     ///< L2A scene classification: 0 nodata, 1 defective, 3 shadow, 8/9 cloud, 10
                     ///< cirrus
  landsat_qa_pixel,  ///< Collection 2 QA_PIXEL bits: 0 fill, 1 dilated cloud, 2 cirrus, 3 cloud,
                     ///< 4 cloud shadow, 5 snow
};
const char* quality_name(QualityKind k);
/// From a band description or file name: "SCL" or "QA_PIXEL" anywhere in it.
std::optional<QualityKind> detect_quality(const std::string& text);

/// Whether a pixel with this quality value is not a clear observation of the ground.
inline bool quality_invalid(QualityKind k, std::uint16_t v) {
  switch (k) {
    case QualityKind::sentinel2_scl:
      return v == 0 || v == 1 || v == 3 || v == 8 || v == 9 || v == 10;
    case QualityKind::landsat_qa_pixel:
      return (v & 0b111111u) != 0;  // any of bits 0-5
    case QualityKind::none:
      return false;
  }
  return false;
}

}  // namespace farmwatch
