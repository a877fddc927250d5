#include "farmwatch/core/quality_mask.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace farmwatch {

const char* quality_name(QualityKind k) {
  switch (k) {
    case QualityKind::sentinel2_scl:
      return "Sentinel-2 SCL";
    case QualityKind::landsat_qa_pixel:
      return "Landsat QA_PIXEL";
    case QualityKind::cloud_mask:
      return "cloud mask";
    case QualityKind::spectral:
      return "spectral cloud test";
    case QualityKind::none:
      return "none";
  }
  return "?";
}

namespace {
std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}
}  // namespace

std::optional<QualityKind> parse_quality_kind(const std::string& s) {
  const std::string u = upper(s);
  if (u == "SCL" || u == "SENTINEL-2 SCL") return QualityKind::sentinel2_scl;
  if (u == "QA_PIXEL" || u == "LANDSAT QA_PIXEL") return QualityKind::landsat_qa_pixel;
  if (u == "CLOUD_MASK" || u == "CLOUD MASK") return QualityKind::cloud_mask;
  if (u == "SPECTRAL" || u == "SPECTRAL CLOUD TEST") return QualityKind::spectral;
  if (u == "NONE") return QualityKind::none;
  return std::nullopt;
}

std::optional<QualityKind> detect_quality(const std::string& text) {
  const std::string up = upper(text);
  if (up.find("QA_PIXEL") != std::string::npos) return QualityKind::landsat_qa_pixel;
  if (up.find("SCL") != std::string::npos) return QualityKind::sentinel2_scl;
  for (const char* word : {"CLOUDMASK", "CLOUD_MASK", "CLOUD MASK", "CLM"})
    if (up.find(word) != std::string::npos) return QualityKind::cloud_mask;
  return std::nullopt;
}

void spectral_cloud_test(const ReflectanceBlock& b, int width, int height, int grow_px,
                         std::vector<PixelState>& state) {
  const auto& blue = b.plane(BandRole::blue);
  const auto& green = b.plane(BandRole::green);
  const auto& red = b.plane(BandRole::red);
  const auto* nir = b.has(BandRole::nir) ? &b.plane(BandRole::nir) : nullptr;
  const auto* swir1 = b.has(BandRole::swir1) ? &b.plane(BandRole::swir1) : nullptr;
  const auto* swir2 = b.has(BandRole::swir2) ? &b.plane(BandRole::swir2) : nullptr;
  const std::size_t n = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
  cv::Mat cloud(height, width, CV_8U, cv::Scalar(0));
  for (std::size_t i = 0; i < n; ++i) {
    if (state[i] != PixelState::clear) continue;
    const float bl = blue[i], g = green[i], r = red[i];
    if (!(std::isfinite(bl) && std::isfinite(g) && std::isfinite(r))) continue;
    const float mean = (bl + g + r) / 3.0f;
    if (!(mean > 0)) continue;
    const float white = (std::fabs(bl - mean) + std::fabs(g - mean) + std::fabs(r - mean)) / mean;
    bool is_cloud = bl - 0.5f * r - 0.08f > 0 && white < 0.7f;
    if (nir && is_cloud) {
      const float v = ndvi((*nir)[i], r);
      is_cloud = !(v >= 0.8f);
      if (swir1) {
        const float s1 = (*swir1)[i];
        is_cloud = is_cloud && !(normalized_difference(g, s1) >= 0.8f) &&
                   !(s1 > 0 && (*nir)[i] / s1 <= 0.75f);
      }
    }
    if (swir2 && is_cloud) is_cloud = !((*swir2)[i] <= 0.03f);
    if (is_cloud) cloud.data[i] = 1;
  }
  if (grow_px > 0) {
    const cv::Mat cross = cv::getStructuringElement(cv::MORPH_CROSS, {3, 3});
    cv::dilate(cloud, cloud, cross, {-1, -1}, grow_px, cv::BORDER_CONSTANT, cv::Scalar(0));
  }
  for (std::size_t i = 0; i < n; ++i)
    if (cloud.data[i] && state[i] == PixelState::clear) state[i] = PixelState::cloud;
}

}  // namespace farmwatch
