#pragma once
// Relative radiometric normalisation of a later date to an earlier one on pseudo-invariant
// pixels: iterated MAD (multivariate alteration detection, after Nielsen's IR-MAD 2007, with
// robustly rescaled statistics and kept/dropped weights, started from the pixels below the Otsu
// split of the change-vector magnitude) finds the pixels that did not change, and
// an orthogonal regression per band on them gives later = gain * earlier + offset. Season, sun and
// atmosphere differ between dates; land that did not change should read the same before any
// threshold is applied.
#include <cstddef>
#include <optional>
#include <vector>

namespace farmwatch {

struct BandFit {
  double gain = 1, offset = 0;  ///< later ~= gain * earlier + offset
  double correlation = 0;       ///< of the band on the pseudo-invariant pixels
};

/// The MAD transform of the last IR-MAD iteration: each pixel's chi-square statistic of
/// no change, with p degrees of freedom on pixels that did not change (rescaled so the
/// pseudo-invariant pixels' median is the chi-square median).
struct MadTransform {
  int p = 0;
  std::vector<double> mean_x, mean_y;  ///< per band
  std::vector<double> a, b;            ///< canonical vectors, row-major [band * p + variate]
  std::vector<double> weight;          ///< per variate: scale / (2 (1 - rho))
  /// Statistic of earlier values `x[0..p)` against later values `y[0..p)`.
  double chi_square(const float* x, const float* y) const;
};

/// Which pixels IR-MAD's first iteration started from (irmad_normalise).
enum class IrmadStart {
  all_pixels,         ///< no split kept 100 pixels
  otsu_split,         ///< below the Otsu split of the change-vector magnitude
  second_otsu_split,  ///< below the Otsu split of that lower population
};
/// "all_pixels", "otsu_split", "second_otsu_split".
const char* irmad_start_name(IrmadStart s);

struct Normalisation {
  std::vector<BandFit> bands;
  std::size_t samples = 0, invariant = 0;
  int iterations = 0;
  std::vector<double> canonical_correlations;
  MadTransform mad;
  IrmadStart start = IrmadStart::otsu_split;  ///< the first iteration's pixels of the result
};

/// `earlier[b][i]`, `later[b][i]`: band b of sample i, finite. nullopt when there are too few
/// samples or pseudo-invariant pixels (< 100), or the bands are degenerate.
/// Pixels count as invariant when their no-change probability exceeds `no_change_probability`.
/// The iterations run from two starts (Normalisation::start) and the result whose canonical
/// correlations sum highest is returned.
std::optional<Normalisation> irmad_normalise(const std::vector<std::vector<float>>& earlier,
                                             const std::vector<std::vector<float>>& later,
                                             double no_change_probability = 0.5);

/// P(X <= x) for X ~ chi-square with k degrees of freedom.
double chi_square_cdf(double x, int k);
/// x with P(X <= x) = q for X ~ chi-square with k degrees of freedom (0 < q < 1).
double chi_square_quantile(double q, int k);

}  // namespace farmwatch
