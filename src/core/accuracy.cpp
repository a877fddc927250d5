#include "farmwatch/core/accuracy.h"

#include <cmath>
#include <stdexcept>

namespace farmwatch {

void AccuracyCounter::merge(const AccuracyCounter& o) {
  for (std::size_t i = 0; i < 256; ++i) {
    map_[i] += o.map_[i];
    for (std::size_t j = 0; j < 256; ++j) pairs_[i][j] += o.pairs_[i][j];
  }
}

AccuracyReport AccuracyCounter::report() const {
  AccuracyReport r;
  std::array<std::int64_t, 256> row{}, col{};
  for (std::size_t i = 0; i < 256; ++i)
    for (std::size_t j = 0; j < 256; ++j) {
      row[i] += pairs_[i][j];
      col[j] += pairs_[i][j];
      r.samples += pairs_[i][j];
    }
  if (r.samples == 0) throw std::invalid_argument("no reference pixel falls on the map");
  std::int64_t map_total = 0;
  for (std::size_t c = 0; c < 256; ++c) {
    map_total += map_[c];
    if (row[c] || col[c] || map_[c]) r.codes.push_back(static_cast<std::uint8_t>(c));
  }
  const std::size_t k = r.codes.size();
  r.matrix.assign(k, std::vector<std::int64_t>(k, 0));
  double agree = 0, chance = 0;
  const double n = static_cast<double>(r.samples);
  for (std::size_t a = 0; a < k; ++a) {
    for (std::size_t b = 0; b < k; ++b) r.matrix[a][b] = pairs_[r.codes[a]][r.codes[b]];
    agree += static_cast<double>(pairs_[r.codes[a]][r.codes[a]]);
    chance += static_cast<double>(row[r.codes[a]]) * static_cast<double>(col[r.codes[a]]);
  }
  r.overall = agree / n;
  chance /= n * n;
  r.kappa = chance < 1 ? (r.overall - chance) / (1 - chance) : 1;

  // Olofsson et al. 2014: W_i = map share of class i; p_ij = W_i n_ij / n_i.
  // Area share of class j: p_.j = sum_i p_ij (eq. 9), SE(p_.j)^2 =
  // sum_i W_i^2 (n_ij / n_i.)(1 - n_ij / n_i.) / (n_i. - 1) (eq. 10). Map classes without
  // samples contribute nothing (their area is then not accounted for; the report says so).
  std::vector<double> w(k, 0);
  for (std::size_t a = 0; a < k; ++a)
    w[a] = map_total ? static_cast<double>(map_[r.codes[a]]) / static_cast<double>(map_total) : 0;
  double var_oa = 0;
  for (std::size_t b = 0; b < k; ++b) {
    ClassAccuracy c;
    c.code = r.codes[b];
    c.map_pixels = map_[c.code];
    c.sample_map = row[c.code];
    c.sample_ref = col[c.code];
    const double nii = static_cast<double>(pairs_[c.code][c.code]);
    c.precision = c.sample_map ? nii / static_cast<double>(c.sample_map) : 0;
    c.recall = c.sample_ref ? nii / static_cast<double>(c.sample_ref) : 0;
    c.f1 = c.precision + c.recall > 0 ? 2 * c.precision * c.recall / (c.precision + c.recall) : 0;
    double share = 0, var = 0;
    for (std::size_t a = 0; a < k; ++a) {
      const double ni = static_cast<double>(row[r.codes[a]]);
      if (ni == 0) continue;
      const double q = static_cast<double>(pairs_[r.codes[a]][c.code]) / ni;
      share += w[a] * q;
      if (ni > 1) var += w[a] * w[a] * q * (1 - q) / (ni - 1);
    }
    c.area_share = share;
    c.area_share_se = std::sqrt(var);
    const double pjj = c.sample_map ? w[b] * nii / static_cast<double>(c.sample_map) : 0;  // p_jj
    c.producers_weighted = share > 0 ? pjj / share : 0;
    r.overall_weighted += pjj;
    if (c.sample_map > 1)
      var_oa += w[b] * w[b] * c.precision * (1 - c.precision) /
                (static_cast<double>(c.sample_map) - 1);  // eq. 5
    r.classes.push_back(c);
  }
  r.overall_weighted_se = std::sqrt(var_oa);
  return r;
}

}  // namespace farmwatch
