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

std::uint8_t temporal_cloud_flags(const std::array<float, 4>& earlier,
                                  const std::array<float, 4>& later) {
  constexpr float kMinBrightening = 1.3f, kMaxWhiteness = 1.5f;
  constexpr float kMaxDarkening = 0.85f, kSkylightBlue = 0.1f;
  for (int k = 0; k < 3; ++k)
    if (!(earlier[k] > 0 && later[k] > 0)) return 0;  // also NaN
  const bool nir = earlier[3] > 0 && later[3] > 0;
  std::uint8_t flags = 0;
  for (int d = 0; d < 2; ++d) {
    const auto& x = d ? later : earlier;  // the date looked at
    const auto& y = d ? earlier : later;
    std::array<float, 4> r{};
    for (int k = 0; k < 4; ++k) r[k] = x[k] / y[k];
    // The light the date gained, band by band: a cloud adds white light over whatever ground
    // shows through it.
    const float gain_min = std::min({x[0] - y[0], x[1] - y[1], x[2] - y[2]});
    const float gain_max = std::max({x[0] - y[0], x[1] - y[1], x[2] - y[2]});
    if (std::min({r[0], r[1], r[2]}) >= kMinBrightening && gain_min > 0 &&
        gain_max <= kMaxWhiteness * gain_min)
      flags |= d ? kCloudLater : kCloudEarlier;
    // Blue keeps the skylight: darker than before, but not by as much as the rest.
    const float darkest = std::max({r[1], r[2], nir ? r[3] : 0.0f});
    if (darkest <= kMaxDarkening && r[0] <= 1.0f && r[0] >= r[2] + kSkylightBlue)
      flags |= d ? kShadowLater : kShadowEarlier;
  }
  return flags;
}

std::uint8_t temporal_cloud_flags(const ReflectanceBlock& earlier, const ReflectanceBlock& later,
                                  std::size_t i) {
  std::array<float, 4> e{}, l{};
  const BandRole roles[4] = {BandRole::blue, BandRole::green, BandRole::red, BandRole::nir};
  for (int k = 0; k < 4; ++k) {
    if (!earlier.has(roles[k]) || !later.has(roles[k])) {
      if (k < 3) return 0;
      e[k] = l[k] = std::nanf("");
      continue;
    }
    e[k] = earlier.plane(roles[k])[i];
    l[k] = later.plane(roles[k])[i];
  }
  return temporal_cloud_flags(e, l);
}

void ChangeRegionSky::add(const ChangeRegionSky& o) {
  pixels += o.pixels;
  for (std::size_t k = 0; k < flagged.size(); ++k) flagged[k] += o.flagged[k];
  boundary += o.boundary;
  boundary_gradient += o.boundary_gradient;
  brightening += o.brightening;
  outside += o.outside;
  outside_pixels += o.outside_pixels;
  row_sum += o.row_sum;
  col_sum += o.col_sum;
  pattern_kept += o.pattern_kept;
}

bool ground_pattern_kept(const float* earlier, const float* later, int width, int height,
                         int col, int row) {
  double n = 0, sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (int r = std::max(0, row - 1); r <= std::min(height - 1, row + 1); ++r)
    for (int c = std::max(0, col - 1); c <= std::min(width - 1, col + 1); ++c) {
      const std::size_t i = static_cast<std::size_t>(r) * width + c;
      const double a = earlier[i], b = later[i];
      if (!std::isfinite(a) || !std::isfinite(b)) continue;
      ++n, sa += a, sb += b, saa += a * a, sbb += b * b, sab += a * b;
    }
  if (n < 5) return false;
  const double cov = sab - sa * sb / n, va = saa - sa * sa / n, vb = sbb - sb * sb / n;
  return va > 0 && vb > 0 && cov >= 0.5 * std::sqrt(va * vb);
}

double ChangeRegionSky::edge() const {
  if (boundary == 0 || pixels == 0) return std::nan("");
  const double around = outside_pixels ? outside / static_cast<double>(outside_pixels) : 0.0;
  const double contrast = std::fabs(brightening / static_cast<double>(pixels) - around);
  if (!(contrast > 0)) return std::nan("");
  return boundary_gradient / static_cast<double>(boundary) / contrast;
}

std::vector<RegionSkyVerdict> screen_change_regions(const std::vector<ChangeRegionSky>& regions,
                                                    std::int64_t min_cloud_pixels,
                                                    double max_shadow_distance_px) {
  constexpr double kMaxCloudEdge = 0.3, kMinShare = 0.5, kMinCloudOverShadow = 0.5;
  std::vector<RegionSkyVerdict> out(regions.size());
  std::vector<std::size_t> clouds;
  const auto share = [](const ChangeRegionSky& g, std::size_t bit) {
    return static_cast<double>(g.flagged[bit]) >= kMinShare * static_cast<double>(g.pixels);
  };
  for (std::size_t i = 0; i < regions.size(); ++i) {
    const auto& g = regions[i];
    if (g.pixels < min_cloud_pixels || !(g.edge() <= kMaxCloudEdge)) continue;
    for (std::size_t d = 0; d < 2; ++d)
      if (share(g, d)) {
        out[i] = {RegionSkyVerdict::cloud, static_cast<int>(d)};
        clouds.push_back(i);
        break;
      }
  }
  const auto casts = [&](const ChangeRegionSky& cloud, const ChangeRegionSky& g) {
    const auto n = [](const ChangeRegionSky& r) { return static_cast<double>(r.pixels); };
    return n(cloud) >= kMinCloudOverShadow * n(g) &&
           std::hypot(cloud.row_sum / n(cloud) - g.row_sum / n(g),
                      cloud.col_sum / n(cloud) - g.col_sum / n(g)) <= max_shadow_distance_px;
  };
  for (std::size_t i = 0; i < regions.size(); ++i) {
    const auto& g = regions[i];
    if (out[i].kind != RegionSkyVerdict::ground || g.pixels == 0) continue;
    for (std::size_t c : clouds) {
      const int d = out[c].date;
      if (share(g, 2 + static_cast<std::size_t>(d)) &&
          static_cast<double>(g.pattern_kept) >= kMinShare * static_cast<double>(g.pixels) &&
          casts(regions[c], g)) {
        out[i] = {RegionSkyVerdict::shadow, d};
        break;
      }
    }
  }
  return out;
}

}  // namespace farmwatch
