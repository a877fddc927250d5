#include "farmwatch/core/quality_mask.h"

#include <algorithm>
#include <cctype>

namespace farmwatch {

const char* quality_name(QualityKind k) {
  switch (k) {
    case QualityKind::sentinel2_scl:
      return "Sentinel-2 SCL";
    case QualityKind::landsat_qa_pixel:
      return "Landsat QA_PIXEL";
    case QualityKind::none:
      return "none";
  }
  return "?";
}

std::optional<QualityKind> detect_quality(const std::string& text) {
  std::string up = text;
  std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return std::toupper(c); });
  if (up.find("QA_PIXEL") != std::string::npos) return QualityKind::landsat_qa_pixel;
  if (up.find("SCL") != std::string::npos) return QualityKind::sentinel2_scl;
  return std::nullopt;
}

}  // namespace farmwatch
