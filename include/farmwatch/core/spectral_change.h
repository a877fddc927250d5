#pragma once
// The spectral change test: has a pixel's reflectance changed more than land that did not
// change? IR-MAD (core/radiometry.h) gives each pixel a chi-square statistic of no change,
// calibrated on the scene's own pseudo-invariant pixels, so the test adapts to sensors, seasons
// and atmospheres without a per-scene threshold. The statistic is the 3 x 3 median (speckle
// and single misregistered pixels do not count), tested at a false-alarm rate of 1e-4 per
// pixel. A change between vegetation on both dates (NDVI above 0.3) is set apart: phenology or
// crop rotation unless the class maps name a transition.
#include <cstdint>
#include <vector>

#include "farmwatch/core/features.h"
#include "farmwatch/core/radiometry.h"

namespace farmwatch {

struct SpectralChangeTest {
  MadTransform mad;
  std::vector<BandRole> roles;  ///< the bands of `mad`, in order
  double false_alarm = 1e-4;    ///< per pixel, under no change
  float vegetation_ndvi = 0.3f;
  /// The critical value of the statistic.
  double threshold() const;
};

/// Per pixel of `a` and `b` (the same window, `width` x `height`): 1 changed, 2 changed
/// between vegetation on both dates (phenology, rotation; or cropland to orchard, which only a
/// class map can tell), 0 not changed, 255 unknown (a band missing on either date).
void spectral_change_test(const SpectralChangeTest& test, const ReflectanceBlock& a,
                          const ReflectanceBlock& b, int width, int height,
                          std::vector<std::uint8_t>& out);

}  // namespace farmwatch
