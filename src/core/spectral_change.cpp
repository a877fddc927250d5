#include "farmwatch/core/spectral_change.h"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <stdexcept>
#include <utility>

namespace farmwatch {

double SpectralChangeTest::threshold() const { return chi_square_quantile(1 - false_alarm, mad.p); }

double SpectralChangeTest::seed_threshold() const {
  return chi_square_quantile(1 - seed_false_alarm, mad.p);
}

int misregistration_shift_px(double pixel_m) {
  if (!(pixel_m > 0)) return 0;
  // The pixel size to 0.1 m first: a 20 m grid measures 19.98-20.01 m on the ellipsoid
  // depending on where it lies, and should get one shift everywhere.
  const double rounded = std::max(0.1, std::round(pixel_m * 10) / 10);
  return std::clamp(static_cast<int>(std::lround(kMisregistrationToleranceM / rounded)), 0, 2);
}

namespace {

/// Whether pixel `i` (red and NIR present, positive in both dates) is vegetation (NDVI above
/// `ndvi`) in exactly one of `a` and `b`.
bool vegetation_turned(const ReflectanceBlock& a, const ReflectanceBlock& b, std::size_t i,
                       float ndvi) {
  for (const ReflectanceBlock* x : {&a, &b})
    if (!(x->plane(BandRole::red)[i] > 0) || !(x->plane(BandRole::nir)[i] > 0)) return false;
  const float na = feature_value(a, Feature::ndvi, i), nb = feature_value(b, Feature::ndvi, i);
  return std::max(na, nb) > ndvi && std::min(na, nb) <= ndvi;
}

/// The pixel's date that is not vegetation, if the pair passes the vegetation and soil tests
/// there (null otherwise).
const ReflectanceBlock* soil_date(const SpectralChangeTest& test, const ReflectanceBlock& a,
                                  const ReflectanceBlock& b, std::size_t i) {
  for (const ReflectanceBlock* x : {&a, &b})
    if (!x->has(BandRole::red) || !x->has(BandRole::nir)) return nullptr;
  if (!vegetation_turned(a, b, i, test.vegetation_ndvi)) return nullptr;
  const float na = feature_value(a, Feature::ndvi, i), nb = feature_value(b, Feature::ndvi, i);
  const ReflectanceBlock& other = na < nb ? a : b;
  const float red = other.plane(BandRole::red)[i], nir = other.plane(BandRole::nir)[i];
  return red > 0 && nir >= test.soil_nir_red * red ? &other : nullptr;
}

constexpr BandRole kSoilRoles[3] = {BandRole::blue, BandRole::green, BandRole::nir};

/// SeasonalSoil's features at pixel `i` of the date `d`: ln of blue, green and NIR over red,
/// and ln red (NaN: band absent or not positive).
std::array<float, 4> soil_features(const ReflectanceBlock& d, std::size_t i) {
  std::array<float, 4> f{kNaN, kNaN, kNaN, kNaN};
  const float red = d.plane(BandRole::red)[i];
  if (!(red > 0)) return f;
  for (std::size_t k = 0; k < 3; ++k)
    if (d.has(kSoilRoles[k]) && d.plane(kSoilRoles[k])[i] > 0)
      f[k] = std::log(d.plane(kSoilRoles[k])[i] / red);
  f[3] = std::log(red);
  return f;
}

float median_of(std::vector<float> v) {
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

}  // namespace

bool seasonal_transition(const SpectralChangeTest& test, const ReflectanceBlock& a,
                         const ReflectanceBlock& b, std::size_t i) {
  if (test.soil.modes.empty()) return false;
  const ReflectanceBlock* d = soil_date(test, a, b, i);
  if (!d) return false;
  const auto f = soil_features(*d, i);
  for (const auto& mode : test.soil.modes) {
    bool inside = true;
    for (std::size_t k = 0; k < 4 && inside; ++k)
      if (test.soil.features[k])
        inside = std::fabs(f[k] - mode.median[k]) <= kSeasonalSoilSpreads * mode.spread[k];
    if (inside) return true;
  }
  return false;
}

namespace {
/// The paired samples as two ReflectanceBlocks (one "pixel" per sample).
std::pair<ReflectanceBlock, ReflectanceBlock> sample_blocks(
    const std::vector<BandRole>& roles, const std::vector<std::vector<float>>& earlier,
    const std::vector<std::vector<float>>& later) {
  std::pair<ReflectanceBlock, ReflectanceBlock> ab;
  for (std::size_t j = 0; j < roles.size(); ++j) {
    ab.first.plane(roles[j]) = earlier[j];
    ab.second.plane(roles[j]) = later[j];
  }
  return ab;
}
}  // namespace

std::vector<std::uint8_t> vegetation_turned_samples(const SpectralChangeTest& test,
                                                    const std::vector<BandRole>& roles,
                                                    const std::vector<std::vector<float>>& earlier,
                                                    const std::vector<std::vector<float>>& later) {
  const auto [a, b] = sample_blocks(roles, earlier, later);
  const std::size_t n = earlier.empty() ? 0 : earlier[0].size();
  std::vector<std::uint8_t> out(n, 0);
  for (const ReflectanceBlock* x : {&a, &b})
    if (!x->has(BandRole::red) || !x->has(BandRole::nir)) return out;
  for (std::size_t i = 0; i < n; ++i) out[i] = vegetation_turned(a, b, i, test.vegetation_ndvi);
  return out;
}

namespace {
/// The samples (`values[band][sample]`) whose `drop` is 0.
std::vector<std::vector<float>> kept_samples(const std::vector<std::vector<float>>& values,
                                             const std::vector<std::uint8_t>& drop) {
  std::vector<std::vector<float>> out(values.size());
  for (std::size_t b = 0; b < values.size(); ++b)
    for (std::size_t i = 0; i < drop.size(); ++i)
      if (!drop[i]) out[b].push_back(values[b][i]);
  return out;
}
}  // namespace

NoChangeFit fit_no_change(const SpectralChangeTest& test, const std::vector<BandRole>& roles,
                          const std::vector<std::vector<float>>& earlier,
                          const std::vector<std::vector<float>>& later,
                          TurnedSamples turned_samples) {
  NoChangeFit out;
  if (roles.empty()) return out;
  if (earlier.size() != roles.size() || later.size() != roles.size())
    throw std::invalid_argument("fit_no_change: one sample band per role in each date");
  const auto turned = vegetation_turned_samples(test, roles, earlier, later);
  const auto n = std::ssize(turned);
  out.turned = std::count(turned.begin(), turned.end(), std::uint8_t{1});
  const bool others_enough = out.turned > 0 && n - out.turned >= kMinNoChangeFitSamples;
  // Without the turned samples; where that fit fails (too few of the others invariant), the fit
  // on every sample stands.
  auto without_turned = [&] {
    if (auto fit = irmad_normalise(kept_samples(earlier, turned), kept_samples(later, turned))) {
      out.fit = std::move(fit);
      out.refitted = true;
    }
  };
  if (turned_samples == TurnedSamples::left_out && others_enough) {
    without_turned();
    if (out.refitted) return out;
  }
  out.fit = irmad_normalise(earlier, later);
  if (turned_samples == TurnedSamples::left_out || !others_enough) return out;
  if (out.fit) {
    // The share of the other samples the fit on every sample calls unchanged, at the change
    // test's false-alarm rate.
    const double critical = chi_square_quantile(1 - test.false_alarm, out.fit->mad.p);
    std::vector<float> a(roles.size()), b(roles.size());
    std::int64_t unchanged = 0;
    for (std::size_t i = 0; i < turned.size(); ++i) {
      if (turned[i]) continue;
      for (std::size_t j = 0; j < roles.size(); ++j) {
        a[j] = earlier[j][i];
        b[j] = later[j][i];
      }
      unchanged += out.fit->mad.chi_square(a.data(), b.data()) <= critical;
    }
    out.other_unchanged = static_cast<double>(unchanged) / static_cast<double>(n - out.turned);
    if (out.other_unchanged >= kMinOtherUnchangedShare) return out;
  }
  without_turned();
  return out;
}

SeasonalSoil fit_seasonal_soil(const SpectralChangeTest& test, const std::vector<BandRole>& roles,
                               const std::vector<std::vector<float>>& earlier,
                               const std::vector<std::vector<float>>& later) {
  const auto [a, b] = sample_blocks(roles, earlier, later);
  SeasonalSoil soil;
  if (!a.has(BandRole::red) || !a.has(BandRole::nir) || !b.has(BandRole::red) ||
      !b.has(BandRole::nir))
    return soil;
  for (std::size_t k = 0; k < 2; ++k)
    soil.features[k] = a.has(kSoilRoles[k]) && b.has(kSoilRoles[k]);
  std::vector<int> used;
  for (int k = 0; k < 4; ++k)
    if (soil.features[static_cast<std::size_t>(k)]) used.push_back(k);
  // The samples that pass the tests, one row of features each.
  std::vector<float> rows;
  for (std::size_t i = 0; i < a.plane(BandRole::red).size(); ++i) {
    const ReflectanceBlock* d = soil_date(test, a, b, i);
    if (!d) continue;
    const auto f = soil_features(*d, i);
    if (std::any_of(used.begin(), used.end(), [&](int k) { return std::isnan(f[k]); })) continue;
    for (int k : used) rows.push_back(f[static_cast<std::size_t>(k)]);
  }
  const int dims = static_cast<int>(used.size());
  const int n = static_cast<int>(rows.size()) / dims;
  soil.pixels = n;
  if (n < kMinSeasonalSoilPixels) return soil;
  const cv::Mat samples(n, dims, CV_32F, rows.data());
  // No more modes than the samples can fill with kMinSeasonalSoilPixels each.
  const int clusters =
      std::clamp(n / static_cast<int>(kMinSeasonalSoilPixels), 1, kSeasonalSoilModes);
  cv::Mat labels, centres;
  {
    // The same modes from the same samples: k-means++ draws from this thread's cv::theRNG,
    // seeded here and given back as it was, even if k-means throws.
    struct SeededRng {
      cv::RNG caller = cv::theRNG();
      SeededRng() { cv::theRNG() = cv::RNG(20261201); }
      ~SeededRng() { cv::theRNG() = caller; }
    } seeded;
    cv::kmeans(samples, clusters, labels,
               cv::TermCriteria(cv::TermCriteria::EPS + cv::TermCriteria::COUNT, 50, 1e-4), 3,
               cv::KMEANS_PP_CENTERS, centres);
  }
  // A mode holds a tenth of these samples and a scene-wide share of all of them: the season
  // turns land across the scene, one development does not (a red-tile estate in a scene of
  // green winter wheat was its only soil-like change, and became a mode).
  const auto all = static_cast<std::int64_t>(a.plane(BandRole::red).size());
  const std::int64_t least =
      std::max({kMinSeasonalSoilPixels, std::int64_t(n / 10),
                std::int64_t(std::ceil(kMinSeasonalSoilShare * double(all)))});
  for (int c = 0; c < clusters; ++c) {
    std::vector<std::vector<float>> values(used.size());
    for (int i = 0; i < n; ++i)
      if (labels.at<int>(i) == c)
        for (std::size_t u = 0; u < used.size(); ++u)
          values[u].push_back(rows[static_cast<std::size_t>(i) * used.size() + u]);
    if (static_cast<std::int64_t>(values[0].size()) < least) continue;
    SeasonalSoil::Mode mode;
    mode.pixels = static_cast<std::int64_t>(values[0].size());
    for (std::size_t u = 0; u < used.size(); ++u) {
      const auto k = static_cast<std::size_t>(used[u]);
      mode.median[k] = median_of(values[u]);
      std::vector<float> dev(values[u].size());
      for (std::size_t i = 0; i < dev.size(); ++i)
        dev[i] = std::fabs(values[u][i] - mode.median[k]);
      mode.spread[k] = std::max(kMinSeasonalSoilSpread, 1.4826f * median_of(std::move(dev)));
    }
    soil.modes.push_back(mode);
  }
  // In the order of their medians, whatever order k-means found them in.
  std::sort(soil.modes.begin(), soil.modes.end(),
            [](const auto& x, const auto& y) { return x.median < y.median; });
  return soil;
}

namespace {

/// The canonical variates (MadTransform::a or b applied to the centred bands) of every pixel:
/// `p` planes one after the other, NaN where a band is (NaN propagates through the sums).
/// Band-major loops over the pixels, which the compiler vectorises.
std::vector<float> canonical_variates(const SpectralChangeTest& test, const ReflectanceBlock& im,
                                      const std::vector<double>& mean,
                                      const std::vector<double>& vectors, std::size_t n) {
  const std::size_t p = test.roles.size();
  std::vector<float> out(p * n, 0.0f);
  for (std::size_t k = 0; k < p; ++k) {
    float* o = out.data() + k * n;
    for (std::size_t j = 0; j < p; ++j) {
      const float* x = im.plane(test.roles[j]).data();
      const auto m = static_cast<float>(mean[j]), v = static_cast<float>(vectors[j * p + k]);
      for (std::size_t i = 0; i < n; ++i) o[i] += (x[i] - m) * v;
    }
  }
  return out;
}

}  // namespace

void spectral_change_test(const SpectralChangeTest& test, const ReflectanceBlock& a,
                          const ReflectanceBlock& b, int width, int height,
                          std::vector<std::uint8_t>& out, std::vector<std::uint8_t>* seeds) {
  const std::size_t n = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
  const std::size_t p = test.roles.size();
  if (p > 16) throw std::invalid_argument("spectral_change_test: at most 16 bands");
  const std::vector<float> var_a = canonical_variates(test, a, test.mad.mean_x, test.mad.a, n);
  const std::vector<float> var_b = canonical_variates(test, b, test.mad.mean_y, test.mad.b, n);
  auto chi_between = [&](std::size_t i, std::size_t j) {  // earlier pixel i, later pixel j
    double z = 0;
    for (std::size_t k = 0; k < p; ++k) {
      const double d = double(var_a[k * n + i]) - var_b[k * n + j];
      z += d * d * test.mad.weight[k];
    }
    return z;
  };
  const int s = std::max(0, test.shift_px);
  const double threshold = test.threshold();
  // The statistic in place, every pixel (NaN where a band is missing on either date).
  std::vector<float> chi(n, 0.0f);
  for (std::size_t k = 0; k < p; ++k) {
    const float* u = var_a.data() + k * n;
    const float* v = var_b.data() + k * n;
    const auto wk = static_cast<float>(test.mad.weight[k]);
    for (std::size_t i = 0; i < n; ++i) chi[i] += (u[i] - v[i]) * (u[i] - v[i]) * wk;
  }
  for (int r = 0; r < height && s > 0; ++r)
    for (int c = 0; c < width; ++c) {
      const std::size_t i = static_cast<std::size_t>(r) * width + c;
      // Smallest against the later date's neighbours, and the earlier date's against this
      // later pixel; the larger of the two. Both are at most the statistic in place: a pixel
      // at or below the threshold there stays below it (most pixels: no search).
      if (!(chi[i] > threshold)) continue;
      double later = chi_between(i, i), earlier = later;
      for (int dr = -s; dr <= s; ++dr)
        for (int dc = -s; dc <= s; ++dc) {
          const int rr = r + dr, cc = c + dc;
          if ((dr == 0 && dc == 0) || rr < 0 || cc < 0 || rr >= height || cc >= width) continue;
          const std::size_t j = static_cast<std::size_t>(rr) * width + cc;
          if (!std::isnan(var_b[j])) later = std::min(later, chi_between(i, j));
          if (!std::isnan(var_a[j])) earlier = std::min(earlier, chi_between(j, i));
        }
      chi[i] = static_cast<float>(std::max(later, earlier));
    }
  const bool veg =
      a.has(BandRole::red) && a.has(BandRole::nir) && b.has(BandRole::red) && b.has(BandRole::nir);
  out.assign(n, 255);
  if (seeds) seeds->assign(n, 0);
  // Each valid pixel: 1 above the threshold (3 above the seed threshold too), 0 at or below
  // it, 255 invalid.
  const double seed_threshold = test.seed_threshold();
  std::vector<std::uint8_t> above(n, 255);
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isnan(chi[i])) above[i] = chi[i] > seed_threshold ? 3 : chi[i] > threshold ? 1 : 0;
  for (int r = 0; r < height; ++r)
    for (int c = 0; c < width; ++c) {
      const std::size_t i = static_cast<std::size_t>(r) * width + c;
      if (above[i] == 255) continue;
      // Median of the valid 3 x 3 neighbours (fewer at the edges of the block and of the data)
      // above the threshold: the (m/2)-th smallest of m values exceeds it exactly when at most
      // m/2 of them do not.
      int m = 0, at_or_below = 0, below_seed = 0;
      for (int dr = -1; dr <= 1; ++dr)
        for (int dc = -1; dc <= 1; ++dc) {
          const int rr = r + dr, cc = c + dc;
          if (rr < 0 || cc < 0 || rr >= height || cc >= width) continue;
          const std::uint8_t flag = above[static_cast<std::size_t>(rr) * width + cc];
          if (flag == 255) continue;
          ++m;
          at_or_below += flag == 0;
          below_seed += flag != 3;
        }
      if (seeds) (*seeds)[i] = below_seed <= m / 2 ? 1 : 0;
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
