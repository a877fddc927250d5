#pragma once
// The spectral change test: has a pixel's reflectance changed more than land that did not
// change? IR-MAD (core/radiometry.h) gives each pixel a chi-square statistic of no change,
// calibrated on the scene's own pseudo-invariant pixels, so the test adapts to sensors, seasons
// and atmospheres without a per-scene threshold. The statistic is the 3 x 3 median (speckle
// and single misregistered pixels do not count), tested with hysteresis (Canny 1986): a
// pixel is changed at a false-alarm rate of 1e-3, and a region of changed pixels is kept only
// if one of its pixels passes at 1e-8 (io::sieve_change keeps the seeded regions). Measured on
// the seven OSCD cities: pooled F1 0.433 with a single rate of 1e-4, 0.440 with these two. A change between vegetation on both dates (NDVI above 0.3) is set apart: phenology or
// crop rotation unless the class maps name a transition.
//
// Misregistration tolerance: the dates' pixels are not compared in place only. A pixel's
// statistic is the smallest against the other date's pixels within `shift_px` (its canonical
// variates against theirs), taken both ways, the larger of the two: an edge that moved by a
// pixel (sub-pixel misregistration, the mixed pixels along roads and roofs, building lean
// between orbits) matches a neighbour, a new object matches nothing around it. This is the
// neighbourhood-minimum idea of change detection under misregistration (Bruzzone & Cossu,
// "An adaptive approach to reducing registration noise effects in unsupervised change
// detection", TGRS 41(11), 2003) applied to the IR-MAD statistic. Measured on the shared
// OSCD Sentinel-2 cities, pooled pixel F1 0.332 to 0.389 with one pixel at 10 m; on
// Landsat's 30 m pixels (Nanjing) a shift of one pixel loses thin changes, so the tolerance
// is set in metres (kMisregistrationToleranceM) and rounds to none there.
#include <cstdint>
#include <vector>

#include "farmwatch/core/features.h"
#include "farmwatch/core/radiometry.h"

namespace farmwatch {

struct SpectralChangeTest {
  MadTransform mad;
  std::vector<BandRole> roles;  ///< the bands of `mad`, in order
  double false_alarm = 1e-3;       ///< per pixel, under no change: a pixel of a change region
  double seed_false_alarm = 1e-8;  ///< a change region needs one pixel this unlikely (seeds)
  float vegetation_ndvi = 0.3f;
  /// NIR over red at and above which a date that is not vegetation is soil, dry grass or bare
  /// branches over litter (seasonal_transition): roofs, concrete, asphalt and water lie about
  /// 1 or below.
  float soil_nir_red = 1.25f;
  int shift_px = 0;  ///< misregistration tolerance: shifts of up to this many pixels match
  /// The critical values of the statistic: a changed pixel, a seed.
  double threshold() const;
  double seed_threshold() const;
};

/// The misregistration tolerance of the test, m: about one Sentinel-2 pixel.
inline constexpr double kMisregistrationToleranceM = 10.0;

/// The test's shift in whole pixels for pixels of `pixel_m` metres (rounded to 0.1 m first):
/// the tolerance over the pixel size, rounded, at most 2 (0 for pixels over 20 m, 1 from 7 m
/// to 20 m, 2 at 5 m and finer).
int misregistration_shift_px(double pixel_m);

/// Whether the change at pixel `i` of `a` and `b` is one the season explains: vegetation in one
/// date (NDVI above test.vegetation_ndvi) and, in the other, not vegetation but soil-like
/// (NIR / red at least test.soil_nir_red): crops to ploughed or harvested soil and back, green
/// hills dried, deciduous trees bare of leaves. No built-up evidence: a roof, concrete,
/// asphalt or water in the other date has NIR / red about 1 or below. On DNs with no
/// reflectance rule the ratio is the DNs' (reflectance-like for Sentinel-2 L1C and Landsat
/// 8/9 Level-1; Landsat 5/7 8-bit DNs understate it, so fewer pixels qualify). False where
/// red or NIR is missing on either date. Used by io::sieve_change's seasonal set-aside,
/// region by region (issue 15's field report: Sentinel-2 pairs in different seasons, where
/// 95 % of what was flagged was seasonal).
bool seasonal_transition(const SpectralChangeTest& test, const ReflectanceBlock& a,
                         const ReflectanceBlock& b, std::size_t i);

/// Per pixel of `a` and `b` (the same window, `width` x `height`): 1 changed, 2 changed
/// between vegetation on both dates (phenology, rotation; or cropland to orchard, which only a
/// class map can tell), 0 not changed, 255 unknown (a band missing on either date). Pixels
/// within `test.shift_px + 1` of the window's edge see fewer neighbours: read the window with
/// that margin and keep its inside. `seeds`, if given: 1 where the 3 x 3 median passes the
/// seed threshold, 0 elsewhere.
void spectral_change_test(const SpectralChangeTest& test, const ReflectanceBlock& a,
                          const ReflectanceBlock& b, int width, int height,
                          std::vector<std::uint8_t>& out,
                          std::vector<std::uint8_t>* seeds = nullptr);

}  // namespace farmwatch
