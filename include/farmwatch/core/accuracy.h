#pragma once
// Accuracy of a class map against reference labels: the confusion matrix, overall accuracy,
// Cohen's kappa, per-class precision (user's accuracy), recall (producer's accuracy) and F1,
// and the area of each class estimated from the map and the reference sample in the
// good-practice way of Olofsson et al. (2014, Remote Sensing of Environment 148: 42-57):
// stratified by map class, weighted by each map class's share of the mapped area, with a
// standard error and a 95 % confidence interval.
#include <array>
#include <cstdint>
#include <vector>

namespace farmwatch {

struct ClassAccuracy {
  std::uint8_t code = 0;
  std::int64_t map_pixels = 0;  ///< pixels of the class in the whole map
  std::int64_t sample_map = 0;  ///< reference sample pixels the map gives this class (row)
  std::int64_t sample_ref = 0;  ///< reference sample pixels of this class (column)
  double precision = 0;         ///< user's accuracy: n_ii / n_i.
  double recall = 0;            ///< producer's accuracy: n_ii / n_.i
  double f1 = 0;
  double area_share = 0;          ///< Olofsson's estimated share of the area, p_.j
  double area_share_se = 0;       ///< its standard error
  double producers_weighted = 0;  ///< Olofsson's producer's accuracy, p_jj / p_.j
};

struct AccuracyReport {
  std::vector<std::uint8_t> codes;                ///< classes, ascending; matrix rows and columns
  std::vector<std::vector<std::int64_t>> matrix;  ///< [map class][reference class]
  std::int64_t samples = 0;
  double overall = 0;           ///< sample overall accuracy
  double kappa = 0;             ///< Cohen's kappa
  double overall_weighted = 0;  ///< Olofsson's area-weighted overall accuracy
  double overall_weighted_se = 0;
  std::vector<ClassAccuracy> classes;
};

/// Accumulates (map, reference) pairs and the map's own class counts.
class AccuracyCounter {
 public:
  /// A reference sample pixel: the map says `map`, the reference `ref`.
  void add_sample(std::uint8_t map, std::uint8_t ref) { ++pairs_[map][ref]; }
  /// A pixel of the whole map (for the area weights).
  void add_map_pixel(std::uint8_t map) { ++map_[map]; }
  void merge(const AccuracyCounter& o);
  /// The report over the classes seen in the sample or the map. Throws std::invalid_argument
  /// without samples.
  AccuracyReport report() const;

 private:
  std::array<std::array<std::int64_t, 256>, 256> pairs_{};
  std::array<std::int64_t, 256> map_{};
};

}  // namespace farmwatch
