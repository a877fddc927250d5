#pragma once
// The features a learned classifier sees per pixel, from one or more dates on one grid:
// every band of each date, spectral indices where their bands exist (NDVI, NDWI, MNDWI, NDBI,
// BSI), and, over the dates, NDVI's maximum, minimum, amplitude and mean and the count of
// valid observations. A date without an observation (cloud, no data) contributes NaN, which
// the classifier sees as its own missing-value code.
#include <array>
#include <string>
#include <vector>

#include "farmwatch/core/features.h"

namespace farmwatch {

/// One date of one block: every band of its image (reflectance where the image has a rule),
/// and which band is which role (0: absent), as read onto the grid.
struct DateBands {
  std::vector<std::vector<float>> bands;
  /// Local context (add_context): NDVI mean and standard deviation and NIR standard deviation
  /// over the 5 x 5 neighbourhood; empty without red and nir.
  std::vector<float> ndvi_mean, ndvi_std, nir_std;
  std::array<int, kRoleCount> role_band{};  ///< 1-based band per role, 0 if none
  float role(BandRole r, std::size_t i) const {
    const int b = role_band[static_cast<std::size_t>(r)];
    return b ? bands[static_cast<std::size_t>(b - 1)][i] : kNaN;
  }
};

/// The layout of the features: which dates, how many bands each, which roles.
struct FeatureLayout {
  std::vector<int> bands_per_date;
  std::vector<std::array<int, kRoleCount>> roles_per_date;
  /// Names, in order (e.g. "d1_b3", "d2_ndvi", "ndvi_max", "valid_count").
  std::vector<std::string> names() const;
  std::size_t size() const { return names().size(); }
};

/// Pixels around a block that add_context needs to be exact (and independent of blocks).
inline constexpr int kContextHalo = 2;

/// Fills the context planes of `d` (a `width` x `height` window) from its bands.
void add_context(DateBands& d, int width, int height);

/// Missing values become this (outside any reflectance or index range), so trees split them off.
inline constexpr float kMissingFeature = -9.0f;

/// Writes the features of pixel `i` into `out` (layout.size() values).
void pixel_features(const FeatureLayout& layout, const std::vector<DateBands>& dates, std::size_t i,
                    float* out);

}  // namespace farmwatch
