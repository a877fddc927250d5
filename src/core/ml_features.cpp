#include "farmwatch/core/ml_features.h"

#include <algorithm>
#include <cmath>

namespace farmwatch {
namespace {

struct Index {
  const char* name;
  BandRole a, b, c, d;  ///< (a + c) - (b + d) over the sum; c, d unused when equal to a, b
  bool four;
};

// NDVI (nir, red); NDWI (green, nir) McFeeters; MNDWI (green, swir1) Xu; NDBI (swir1, nir)
// Zha; BSI ((swir1 + red) - (nir + blue)) / sum, Rikimaru.
constexpr Index kIndices[] = {
    {"ndvi", BandRole::nir, BandRole::red, BandRole::nir, BandRole::red, false},
    {"ndwi", BandRole::green, BandRole::nir, BandRole::green, BandRole::nir, false},
    {"mndwi", BandRole::green, BandRole::swir1, BandRole::green, BandRole::swir1, false},
    {"ndbi", BandRole::swir1, BandRole::nir, BandRole::swir1, BandRole::nir, false},
    {"bsi", BandRole::swir1, BandRole::nir, BandRole::red, BandRole::blue, true},
};

bool has(const std::array<int, kRoleCount>& roles, BandRole r) {
  return roles[static_cast<std::size_t>(r)] != 0;
}

bool available(const Index& x, const std::array<int, kRoleCount>& roles) {
  return has(roles, x.a) && has(roles, x.b) && (!x.four || (has(roles, x.c) && has(roles, x.d)));
}

float index_value(const Index& x, const DateBands& d, std::size_t i) {
  float p = d.role(x.a, i), q = d.role(x.b, i);
  if (x.four) {
    p += d.role(x.c, i);
    q += d.role(x.d, i);
  }
  const float s = p + q;
  return std::isnan(s) || s == 0 ? kNaN : (p - q) / s;
}

bool has_context(const std::array<int, kRoleCount>& roles) {
  return has(roles, BandRole::red) && has(roles, BandRole::nir);
}

/// Mean and standard deviation of the valid values in the (2r+1)^2 window around each pixel.
void local_stats(const std::vector<float>& v, int w, int h, int r, std::vector<float>& mean,
                 std::vector<float>* sd) {
  const std::size_t n = v.size();
  mean.assign(n, kNaN);
  if (sd) sd->assign(n, kNaN);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double s = 0, s2 = 0;
      int k = 0;
      for (int yy = std::max(0, y - r); yy <= std::min(h - 1, y + r); ++yy)
        for (int xx = std::max(0, x - r); xx <= std::min(w - 1, x + r); ++xx) {
          const float q = v[static_cast<std::size_t>(yy) * w + xx];
          if (std::isnan(q)) continue;
          s += q;
          s2 += static_cast<double>(q) * q;
          ++k;
        }
      if (!k) continue;
      const std::size_t i = static_cast<std::size_t>(y) * w + x;
      const double m = s / k;
      mean[i] = static_cast<float>(m);
      if (sd) (*sd)[i] = static_cast<float>(std::sqrt(std::max(0.0, s2 / k - m * m)));
    }
}

}  // namespace

void add_context(DateBands& d, int width, int height) {
  d.ndvi_mean.clear();
  d.ndvi_std.clear();
  d.nir_std.clear();
  if (!has_context(d.role_band)) return;
  const std::size_t n = static_cast<std::size_t>(width) * height;
  std::vector<float> ndvi(n), nir(n), unused;
  for (std::size_t i = 0; i < n; ++i) {
    const float r = d.role(BandRole::red, i), q = d.role(BandRole::nir, i);
    ndvi[i] = r + q != 0 ? (q - r) / (q + r) : kNaN;
    nir[i] = q;
  }
  local_stats(ndvi, width, height, kContextHalo, d.ndvi_mean, &d.ndvi_std);
  local_stats(nir, width, height, kContextHalo, unused, &d.nir_std);
}

namespace {

const char* const kContext[] = {"ndvi_mean5", "ndvi_std5", "nir_std5"};

}  // namespace

std::vector<std::string> FeatureLayout::names() const {
  std::vector<std::string> n;
  for (std::size_t d = 0; d < bands_per_date.size(); ++d) {
    const std::string p = "d" + std::to_string(d + 1) + "_";
    for (int b = 1; b <= bands_per_date[d]; ++b) n.push_back(p + "b" + std::to_string(b));
    for (const auto& x : kIndices)
      if (available(x, roles_per_date[d])) n.push_back(p + x.name);
    if (has_context(roles_per_date[d]))
      for (const char* c : kContext) n.push_back(p + c);
  }
  if (!bands_per_date.empty())
    for (const char* s : {"ndvi_max", "ndvi_min", "ndvi_amplitude", "ndvi_mean", "valid_count"})
      n.push_back(s);
  return n;
}

void pixel_features(const FeatureLayout& layout, const std::vector<DateBands>& dates, std::size_t i,
                    float* out) {
  float vmax = -2, vmin = 2, vsum = 0;
  int nv = 0, valid = 0;
  auto put = [&](float v) { *out++ = std::isnan(v) ? kMissingFeature : v; };
  for (std::size_t d = 0; d < dates.size(); ++d) {
    bool ok = true;
    for (const auto& band : dates[d].bands) {
      put(band[i]);
      ok = ok && !std::isnan(band[i]);
    }
    valid += ok;
    for (const auto& x : kIndices) {
      if (!available(x, layout.roles_per_date[d])) continue;
      const float v = index_value(x, dates[d], i);
      put(v);
      if (x.name[0] == 'n' && x.name[1] == 'd' && x.name[2] == 'v' && !std::isnan(v)) {
        vmax = std::max(vmax, v);
        vmin = std::min(vmin, v);
        vsum += v;
        ++nv;
      }
    }
    if (has_context(layout.roles_per_date[d])) {
      const bool ctx = !dates[d].ndvi_mean.empty();
      put(ctx ? dates[d].ndvi_mean[i] : kNaN);
      put(ctx ? dates[d].ndvi_std[i] : kNaN);
      put(ctx ? dates[d].nir_std[i] : kNaN);
    }
  }
  put(nv ? vmax : kNaN);
  put(nv ? vmin : kNaN);
  put(nv ? vmax - vmin : kNaN);
  put(nv ? vsum / static_cast<float>(nv) : kNaN);
  put(static_cast<float>(valid));
}

}  // namespace farmwatch
