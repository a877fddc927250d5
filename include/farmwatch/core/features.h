#pragma once
// Band roles, spectral indices and the per-pixel features rules are written against.
// Indices are pure functions over reflectance; undefined is NaN, never 0.
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "farmwatch/core/geo.h"

namespace farmwatch {

enum class BandRole { blue, green, red, nir, swir1, swir2 };
inline constexpr std::size_t kRoleCount = 6;
const char* role_name(BandRole r);
std::optional<BandRole> parse_role(const std::string& s);

enum class Feature {
  blue,
  green,
  red,
  nir,
  swir1,
  swir2,
  ndvi,        ///< (nir-red)/(nir+red)
  ndwi,        ///< McFeeters: (green-nir)/(green+nir)
  mndwi,       ///< (green-swir1)/(green+swir1)
  ndbi,        ///< (swir1-nir)/(swir1+nir)
  bsi,         ///< ((swir1+red)-(nir+blue))/((swir1+red)+(nir+blue))
  brightness,  ///< mean of blue, green, red
  blue_red,    ///< blue/red: grey (built) surfaces near 1, soils well below
  exg,         ///< excess green 2g - r - b on chromatic coordinates (RGB-only vegetation)
  vari,        ///< visible atmospherically resistant index (g - r) / (g + r - b)
};
inline constexpr std::size_t kFeatureCount = 15;
const char* feature_name(Feature f);
std::optional<Feature> parse_feature(const std::string& s);
/// Band roles a feature needs.
std::vector<BandRole> required_roles(Feature f);

inline constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

/// Normalised difference (a-b)/(a+b); NaN when undefined.
inline float normalized_difference(float a, float b) {
  const float s = a + b;
  if (!(std::isfinite(a) && std::isfinite(b)) || s == 0.0f) return kNaN;
  return (a - b) / s;
}
inline float ndvi(float nir, float red) { return normalized_difference(nir, red); }

/// Surface reflectance of one block, one plane per band role (empty = role absent).
/// Invalid pixels (nodata, outside the image) are NaN in every present plane.
struct ReflectanceBlock {
  Window window;
  std::array<std::vector<float>, kRoleCount> planes;
  bool has(BandRole r) const { return !planes[static_cast<std::size_t>(r)].empty(); }
  const std::vector<float>& plane(BandRole r) const { return planes[static_cast<std::size_t>(r)]; }
  std::vector<float>& plane(BandRole r) { return planes[static_cast<std::size_t>(r)]; }
};

/// Value of a feature at pixel i of a block (NaN if undefined or a band is absent).
float feature_value(const ReflectanceBlock& b, Feature f, std::size_t i);

}  // namespace farmwatch
