#include "farmwatch/core/radiometry.h"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>

namespace farmwatch {

double chi_square_cdf(double x, int k) {
  // Regularised lower incomplete gamma P(k/2, x/2): series below a + 1, continued fraction above.
  if (x <= 0) return 0;
  const double a = 0.5 * k, z = 0.5 * x, gln = std::lgamma(a);
  if (z < a + 1) {
    double sum = 1 / a, term = sum;
    for (int n = 1; n < 500; ++n) {
      term *= z / (a + n);
      sum += term;
      if (std::fabs(term) < std::fabs(sum) * 1e-14) break;
    }
    return sum * std::exp(-z + a * std::log(z) - gln);
  }
  double b = z + 1 - a, c = 1e300, d = 1 / b, h = d;
  for (int n = 1; n < 500; ++n) {
    const double an = -n * (n - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (std::fabs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < 1e-14) break;
  }
  return 1 - std::exp(-z + a * std::log(z) - gln) * h;
}

double MadTransform::chi_square(const float* x, const float* y) const {
  double z = 0;
  for (int k = 0; k < p; ++k) {
    double u = 0, v = 0;
    for (int j = 0; j < p; ++j) {
      const auto jk = static_cast<std::size_t>(j * p + k);
      u += (x[j] - mean_x[static_cast<std::size_t>(j)]) * a[jk];
      v += (y[j] - mean_y[static_cast<std::size_t>(j)]) * b[jk];
    }
    z += (u - v) * (u - v) * weight[static_cast<std::size_t>(k)];
  }
  return z;
}

double chi_square_quantile(double q, int k) {
  double lo = 0, hi = k + 10.0;
  while (chi_square_cdf(hi, k) < q) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-10 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (chi_square_cdf(mid, k) < q ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

namespace {

/// Weighted means and covariance blocks of the stacked [X | Y] samples.
struct Moments {
  cv::Mat mx, my, sxx, syy, sxy;
};

Moments weighted_moments(const cv::Mat& x, const cv::Mat& y, const std::vector<double>& w) {
  // Plain loops over the samples: per-sample matrix expressions cost an allocation each, and
  // this runs once per IR-MAD iteration over every sample.
  const int p = x.cols;
  Moments m;
  m.mx = cv::Mat::zeros(1, p, CV_64F);
  m.my = cv::Mat::zeros(1, p, CV_64F);
  double* mx = m.mx.ptr<double>();
  double* my = m.my.ptr<double>();
  double wsum = 0;
  for (int i = 0; i < x.rows; ++i) {
    const double* xi = x.ptr<double>(i);
    const double* yi = y.ptr<double>(i);
    for (int k = 0; k < p; ++k) {
      mx[k] += w[i] * xi[k];
      my[k] += w[i] * yi[k];
    }
    wsum += w[i];
  }
  for (int k = 0; k < p; ++k) {
    mx[k] /= wsum;
    my[k] /= wsum;
  }
  m.sxx = cv::Mat::zeros(p, p, CV_64F);
  m.syy = cv::Mat::zeros(p, p, CV_64F);
  m.sxy = cv::Mat::zeros(p, p, CV_64F);
  std::vector<double> xc(p), yc(p);
  for (int i = 0; i < x.rows; ++i) {
    if (w[i] == 0) continue;
    const double* xi = x.ptr<double>(i);
    const double* yi = y.ptr<double>(i);
    for (int k = 0; k < p; ++k) {
      xc[k] = xi[k] - mx[k];
      yc[k] = yi[k] - my[k];
    }
    for (int r = 0; r < p; ++r) {
      double* sxx = m.sxx.ptr<double>(r);
      double* syy = m.syy.ptr<double>(r);
      double* sxy = m.sxy.ptr<double>(r);
      const double wx = w[i] * xc[r], wy = w[i] * yc[r];
      for (int c = 0; c < p; ++c) {
        sxx[c] += wx * xc[c];
        syy[c] += wy * yc[c];
        sxy[c] += wx * yc[c];
      }
    }
  }
  m.sxx /= wsum;
  m.syy /= wsum;
  m.sxy /= wsum;
  return m;
}

/// Lower Cholesky factor of a symmetric positive definite matrix; empty if not.
cv::Mat cholesky(const cv::Mat& s) {
  const int n = s.rows;
  cv::Mat l = cv::Mat::zeros(n, n, CV_64F);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j <= i; ++j) {
      double sum = s.at<double>(i, j);
      for (int k = 0; k < j; ++k) sum -= l.at<double>(i, k) * l.at<double>(j, k);
      if (i == j) {
        if (sum <= 0) return {};
        l.at<double>(i, i) = std::sqrt(sum);
      } else {
        l.at<double>(i, j) = sum / l.at<double>(j, j);
      }
    }
  return l;
}

/// Otsu's threshold (Otsu 1979, "A threshold selection method from gray-level histograms", IEEE
/// SMC 9(1)) of `v` over 256 bins between its 0.1 and 99.9 percentiles (a few extreme values,
/// cloud or saturated pixels, would squash the rest into the first bin; values beyond count in
/// the end bins): the split that maximises the between-class variance of the two populations.
/// NaN when that range is empty.
double otsu_threshold(const std::vector<double>& v) {
  std::vector<double> sorted = v;
  const auto at = [&](double q) {
    const auto k = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1));
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(k), sorted.end());
    return sorted[k];
  };
  if (v.empty()) return std::nan("");
  const double lo = at(0.001), hi = at(0.999);
  if (!(hi > lo)) return std::nan("");
  constexpr int kBins = 256;
  std::vector<double> hist(kBins, 0);
  for (double x : v)
    ++hist[std::clamp(static_cast<int>((x - lo) / (hi - lo) * kBins), 0, kBins - 1)];
  double total = 0, sum = 0;
  for (int k = 0; k < kBins; ++k) total += hist[k], sum += k * hist[k];
  double w0 = 0, sum0 = 0, best = -1;
  int best_k = 0;
  for (int k = 0; k < kBins - 1; ++k) {
    w0 += hist[k];
    sum0 += k * hist[k];
    const double w1 = total - w0;
    if (w0 == 0 || w1 == 0) continue;
    const double d = sum0 / w0 - (sum - sum0) / w1;
    const double between = w0 * w1 * d * d;
    if (between > best) best = between, best_k = k;
  }
  return lo + (best_k + 1) * (hi - lo) / kBins;
}

/// The first iteration's weights, from two-population splits of the change-vector magnitude:
/// 1 for the pixels below the split, 0 above. The magnitude is over the bands' differences
/// (later - earlier, less their median: an offset between the dates does not count), each over
/// the earlier band's standard deviation. Starting from all pixels, a scene where change is
/// widespread (two fifths of the pixels) made the first canonical correlation absorb the
/// change, and the iterations never left it; a split starts them from the pixels most likely
/// unchanged, and the iterations then re-decide every pixel. Differences rather than bands
/// z-scored per date: where most of the scene changed, the later date's mean and spread are the
/// change's, and z-scoring made the unchanged pixels look changed.
///
/// Two starts: below the Otsu split of the magnitude, and below the Otsu split of that lower
/// population. Where change is widespread and of several kinds, the magnitude has more than two
/// modes, and the first split leaves the smallest kind of change (bare land built up, which
/// darkens every band alike) with the unchanged pixels, where the canonical variates absorb
/// it; the second start excludes it. A split that keeps fewer than 100 pixels is no start;
/// with none, every pixel (IrmadStart::all_pixels).
std::vector<std::pair<IrmadStart, std::vector<double>>> initial_weights(const cv::Mat& x,
                                                                        const cv::Mat& y) {
  const int n = x.rows, p = x.cols;
  std::vector<double> mag(n, 0), diff(n), sorted;
  for (int b = 0; b < p; ++b) {
    cv::Mat mx, sx;
    cv::meanStdDev(x.col(b), mx, sx);
    const double spread = sx.at<double>(0) + 1e-12;
    for (int i = 0; i < n; ++i) diff[i] = y.at<double>(i, b) - x.at<double>(i, b);
    sorted = diff;
    std::nth_element(sorted.begin(), sorted.begin() + n / 2, sorted.end());
    const double median = sorted[static_cast<std::size_t>(n / 2)];
    for (int i = 0; i < n; ++i) {
      const double d = (diff[i] - median) / spread;
      mag[i] += d * d;
    }
  }
  for (double& m : mag) m = std::sqrt(m);
  std::vector<std::pair<IrmadStart, std::vector<double>>> starts;
  auto below = [&](double t, IrmadStart kind) {
    std::vector<double> w(n, 0.0);
    std::size_t kept = 0;
    for (int i = 0; i < n; ++i) kept += (w[i] = mag[i] <= t ? 1.0 : 0.0) > 0;
    if (kept >= 100) starts.emplace_back(kind, std::move(w));
  };
  const double t = otsu_threshold(mag);
  if (!std::isnan(t)) {
    below(t, IrmadStart::otsu_split);
    std::vector<double> lower;
    for (double m : mag)
      if (m <= t) lower.push_back(m);
    if (const double t2 = otsu_threshold(lower); !std::isnan(t2) && t2 < t)
      below(t2, IrmadStart::second_otsu_split);
  }
  if (starts.empty()) starts.emplace_back(IrmadStart::all_pixels, std::vector<double>(n, 1.0));
  return starts;
}

/// IR-MAD iterations from the first weights `w` (1 kept, 0 not), then the orthogonal regression
/// per band on the pixels whose no-change probability exceeds `no_change_probability`.
std::optional<Normalisation> irmad_from(const cv::Mat& x, const cv::Mat& y, std::vector<double> w,
                                        double no_change_probability) {
  const int n = x.rows, p = x.cols;
  Normalisation out;
  out.samples = static_cast<std::size_t>(n);
  std::vector<double> prob(n, 1.0);
  for (int it = 1; it <= 20; ++it) {
    out.iterations = it;
    const Moments m = weighted_moments(x, y, w);
    const cv::Mat l = cholesky(m.sxx);
    if (l.empty() || cv::determinant(m.syy) <= 0) return std::nullopt;
    // Canonical correlation: S11^-1/2 S12 S22^-1 S21 S11^-T/2 v = rho^2 v, with a = L^-T v.
    const cv::Mat li = l.inv(), syy_inv = m.syy.inv();
    cv::Mat c = li * m.sxy * syy_inv * m.sxy.t() * li.t();
    c = 0.5 * (c + c.t());
    cv::Mat evals, evecs;
    cv::eigen(c, evals, evecs);            // rows of evecs, eigenvalues descending
    const cv::Mat a = li.t() * evecs.t();  // columns: canonical vectors of X
    std::vector<double> rho(p);
    cv::Mat b(p, p, CV_64F);
    for (int k = 0; k < p; ++k) {
      rho[k] = std::sqrt(std::max(0.0, std::min(1.0, evals.at<double>(k))));
      cv::Mat bk = syy_inv * m.sxy.t() * a.col(k);
      const double var = cv::Mat(bk.t() * m.syy * bk).at<double>(0);
      bk /= std::sqrt(std::max(var, 1e-300));
      // Positive correlation between the canonical variates of X and Y.
      if (cv::Mat(a.col(k).t() * m.sxy * bk).at<double>(0) < 0) bk = -bk;
      bk.copyTo(b.col(k));
    }
    // MAD variates, their variances 2(1 - rho), and each pixel's chi-square statistic.
    const cv::Mat u = (x - cv::repeat(m.mx, n, 1)) * a, v = (y - cv::repeat(m.my, n, 1)) * b;
    const cv::Mat mad = u - v;
    std::vector<double> z(n), z_kept;
    for (int i = 0; i < n; ++i) {
      for (int k = 0; k < p; ++k) {
        const double s2 = std::max(2 * (1 - rho[k]), 1e-12);
        z[i] += mad.at<double>(i, k) * mad.at<double>(i, k) / s2;
      }
      if (w[i] > 0) z_kept.push_back(z[i]);
    }
    // Weighting by the no-change probability itself (Nielsen 2007) shrinks the variances each
    // round and collapses onto a few pixels on clean data; instead the statistic is rescaled so
    // the kept pixels' median is the chi-square median, and pixels are kept or not (p > 0.01).
    std::nth_element(z_kept.begin(), z_kept.begin() + z_kept.size() / 2, z_kept.end());
    const double target = p * std::pow(1 - 2.0 / (9 * p), 3);  // chi-square median, Wilson-Hilferty
    const double scale = target / std::max(z_kept[z_kept.size() / 2], 1e-12);
    std::size_t changed = 0;
    for (int i = 0; i < n; ++i) {
      prob[i] = 1 - chi_square_cdf(z[i] * scale, p);
      const double keep = prob[i] > 0.01 ? 1.0 : 0.0;
      changed += keep != w[i];
      w[i] = keep;
    }
    out.canonical_correlations = rho;
    MadTransform& t = out.mad;
    t.p = p;
    t.mean_x.assign(m.mx.begin<double>(), m.mx.end<double>());
    t.mean_y.assign(m.my.begin<double>(), m.my.end<double>());
    t.a.assign(static_cast<std::size_t>(p * p), 0);
    t.b.assign(static_cast<std::size_t>(p * p), 0);
    t.weight.assign(static_cast<std::size_t>(p), 0);
    for (int k = 0; k < p; ++k) {
      for (int j = 0; j < p; ++j) {
        t.a[static_cast<std::size_t>(j * p + k)] = a.at<double>(j, k);
        t.b[static_cast<std::size_t>(j * p + k)] = b.at<double>(j, k);
      }
      t.weight[static_cast<std::size_t>(k)] = scale / std::max(2 * (1 - rho[k]), 1e-12);
    }
    if (changed <= static_cast<std::size_t>(n) / 1000) break;
  }
  // Orthogonal regression per band on the pseudo-invariant pixels.
  std::vector<int> inv;
  for (int i = 0; i < n; ++i)
    if (prob[i] > no_change_probability) inv.push_back(i);
  out.invariant = inv.size();
  if (inv.size() < 100) return std::nullopt;
  for (int bnd = 0; bnd < p; ++bnd) {
    double mx = 0, my = 0;
    for (int i : inv) mx += x.at<double>(i, bnd), my += y.at<double>(i, bnd);
    mx /= static_cast<double>(inv.size());
    my /= static_cast<double>(inv.size());
    double sxx = 0, syy = 0, sxy = 0;
    for (int i : inv) {
      const double dx = x.at<double>(i, bnd) - mx, dy = y.at<double>(i, bnd) - my;
      sxx += dx * dx, syy += dy * dy, sxy += dx * dy;
    }
    BandFit f;
    if (sxy != 0)
      f.gain = (syy - sxx + std::sqrt((syy - sxx) * (syy - sxx) + 4 * sxy * sxy)) / (2 * sxy);
    f.offset = my - f.gain * mx;
    f.correlation = sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0;
    out.bands.push_back(f);
  }
  return out;
}

}  // namespace

const char* irmad_start_name(IrmadStart s) {
  switch (s) {
    case IrmadStart::all_pixels:
      return "all_pixels";
    case IrmadStart::otsu_split:
      return "otsu_split";
    case IrmadStart::second_otsu_split:
      return "second_otsu_split";
  }
  return "";
}

std::optional<Normalisation> irmad_normalise(const std::vector<std::vector<float>>& earlier,
                                             const std::vector<std::vector<float>>& later,
                                             double no_change_probability) {
  const int p = static_cast<int>(earlier.size());
  if (p == 0 || later.size() != earlier.size()) return std::nullopt;
  const int n = static_cast<int>(earlier[0].size());
  if (n < 100) return std::nullopt;
  cv::Mat x(n, p, CV_64F), y(n, p, CV_64F);
  for (int b = 0; b < p; ++b)
    for (int i = 0; i < n; ++i) {
      x.at<double>(i, b) = earlier[b][i];
      y.at<double>(i, b) = later[b][i];
    }
  // From each start, the result whose canonical correlations sum highest: the no-change set
  // that follows one linear relation between the dates best (a kind of change absorbed with
  // it lowers them).
  std::optional<Normalisation> best;
  double best_sum = -1;
  const auto starts = initial_weights(x, y);
  for (const auto& [kind, weights] : starts) {
    auto fit = irmad_from(x, y, weights, no_change_probability);
    if (!fit) continue;
    double sum = 0;
    for (double rho : fit->canonical_correlations) sum += rho;
    if (sum > best_sum) {
      best_sum = sum;
      best = std::move(fit);
      best->start = kind;
    }
  }
  return best;
}

}  // namespace farmwatch
