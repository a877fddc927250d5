#include "farmwatch/core/spectral_change.h"

#include <algorithm>
#include <cmath>

namespace farmwatch {

double SpectralChangeTest::threshold() const { return chi_square_quantile(1 - false_alarm, mad.p); }

void spectral_change_test(const SpectralChangeTest& test, const ReflectanceBlock& a,
                          const ReflectanceBlock& b, int width, int height,
                          std::vector<std::uint8_t>& out) {
  const std::size_t n = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
  const std::size_t p = test.roles.size();
  std::vector<float> chi(n, kNaN);
  std::vector<float> x(p), y(p);
  for (std::size_t i = 0; i < n; ++i) {
    bool valid = true;
    for (std::size_t j = 0; j < p && valid; ++j) {
      x[j] = a.plane(test.roles[j])[i];
      y[j] = b.plane(test.roles[j])[i];
      valid = !std::isnan(x[j]) && !std::isnan(y[j]);
    }
    if (valid) chi[i] = static_cast<float>(test.mad.chi_square(x.data(), y.data()));
  }
  const bool veg =
      a.has(BandRole::red) && a.has(BandRole::nir) && b.has(BandRole::red) && b.has(BandRole::nir);
  const double threshold = test.threshold();
  out.assign(n, 255);
  // Each valid pixel: 1 above the threshold, 0 at or below it, 255 invalid.
  std::vector<std::uint8_t> above(n, 255);
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isnan(chi[i])) above[i] = chi[i] > threshold ? 1 : 0;
  for (int r = 0; r < height; ++r)
    for (int c = 0; c < width; ++c) {
      const std::size_t i = static_cast<std::size_t>(r) * width + c;
      if (above[i] == 255) continue;
      // Median of the valid 3 x 3 neighbours (fewer at the edges of the block and of the data)
      // above the threshold: the (m/2)-th smallest of m values exceeds it exactly when at most
      // m/2 of them do not.
      int m = 0, at_or_below = 0;
      for (int dr = -1; dr <= 1; ++dr)
        for (int dc = -1; dc <= 1; ++dc) {
          const int rr = r + dr, cc = c + dc;
          if (rr < 0 || cc < 0 || rr >= height || cc >= width) continue;
          const std::uint8_t v = above[static_cast<std::size_t>(rr) * width + cc];
          if (v == 255) continue;
          ++m;
          at_or_below += v == 0;
        }
      std::uint8_t v = at_or_below <= m / 2 ? 1 : 0;
      if (v && veg) {
        const float na = feature_value(a, Feature::ndvi, i),
                    nb = feature_value(b, Feature::ndvi, i);
        if (na > test.vegetation_ndvi && nb > test.vegetation_ndvi) v = 2;
      }
      out[i] = v;
    }
}

}  // namespace farmwatch
