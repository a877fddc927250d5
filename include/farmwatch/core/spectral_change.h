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
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "farmwatch/core/features.h"
#include "farmwatch/core/radiometry.h"

namespace farmwatch {

/// The season's soils in one pair (seasonal_transition): the colour and brightness of the date
/// that is not vegetation, over the calibration samples that pass the vegetation and soil
/// tests, as features ln(blue / red), ln(green / red), ln(NIR / red) and ln(red) (NaN: a band
/// the pair lacks; ln(red) in the samples' units, reflectance or DN). Those samples are
/// grouped into up to kSeasonalSoilModes modes (k-means++, a fixed seed), and each mode holding
/// at least a tenth of them, kMinSeasonalSoilShare of all the samples and
/// kMinSeasonalSoilPixels keeps, per feature, its median and
/// robust spread (1.4826 x the median absolute deviation, at least kMinSeasonalSoilSpread).
/// Fitted per pair, where most such pixels are what the season turned (ploughed fields, dried
/// hills, woods bare of leaves): a new roof of red tiles, a plastic greenhouse, a gravel yard
/// or a village's mix of roofs and gardens also pass the NIR / red test, but with another
/// colour or brightness than any of the season's modes.
struct SeasonalSoil {
  struct Mode {
    std::array<float, 4> median{}, spread{};
    std::int64_t pixels = 0;
  };
  std::vector<Mode> modes;  ///< none: nothing is seasonal
  /// Which features the pair has (blue, green: their bands; NIR and red always).
  std::array<bool, 4> features{false, false, true, true};
  std::int64_t pixels = 0;  ///< the samples that passed the tests
};
/// The least robust spread of a SeasonalSoil feature (ln units: 2 %).
inline constexpr float kMinSeasonalSoilSpread = 0.02f;
/// How many spreads from a mode's median a pixel may lie in each feature, to be of that mode.
inline constexpr float kSeasonalSoilSpreads = 3.0f;
/// The fewest samples a SeasonalSoil mode holds.
inline constexpr std::int64_t kMinSeasonalSoilPixels = 100;
/// The least share of all calibration samples a SeasonalSoil mode holds.
inline constexpr double kMinSeasonalSoilShare = 0.03;
/// The most modes of a SeasonalSoil.
inline constexpr int kSeasonalSoilModes = 4;

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
  SeasonalSoil soil;  ///< the pair's seasonal soil (fit_seasonal_soil); none: nothing seasonal
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
/// (NIR / red at least test.soil_nir_red) and of one of the pair's seasonal soils (test.soil:
/// within kSeasonalSoilSpreads of a mode's median in every feature): crops to ploughed or
/// harvested soil and back, green hills dried, deciduous trees bare of leaves, where the
/// scene's land turns that way. No built-up evidence: concrete, asphalt, metal roofs or water
/// in the other date have NIR / red about 1 or below; red tiles, plastic film, gravel and a
/// village's mixed pixels pass the ratio but not the season's colours. On DNs with no
/// reflectance rule the ratio is the DNs' (reflectance-like for Sentinel-2 L1C and Landsat
/// 8/9 Level-1; Landsat 5/7 8-bit DNs understate it, so fewer pixels qualify). False where
/// red or NIR is missing on either date. Used by io::sieve_change's seasonal exclusion,
/// region by region (issue 15's field report: Sentinel-2 pairs in different seasons, where
/// 95 % of what was flagged was seasonal).
bool seasonal_transition(const SpectralChangeTest& test, const ReflectanceBlock& a,
                         const ReflectanceBlock& b, std::size_t i);

/// Per paired sample (`earlier[j][i]`, `later[j][i]`: band `roles[j]` of sample i, one vector
/// per role in each date, all of one length): 1 where it is vegetation in one date and not in
/// the other (NDVI above test.vegetation_ndvi in one date only: crops ploughed, harvested or
/// sown, hills dried, trees bare, fields built on), 0 elsewhere, where red or NIR is not
/// positive in either date, and everywhere if red or NIR is missing. Such a sample changed its
/// surface, whatever the season.
std::vector<std::uint8_t> vegetation_turned_samples(const SpectralChangeTest& test,
                                                    const std::vector<BandRole>& roles,
                                                    const std::vector<std::vector<float>>& earlier,
                                                    const std::vector<std::vector<float>>& later);

/// What fit_no_change does with the samples whose vegetation turned.
enum class TurnedSamples {
  left_out,              ///< always left out (the normalisation: unchanged ground only)
  left_out_if_absorbed,  ///< kept, unless the fit on every sample took them for no change
};
/// IR-MAD's no-change fit and what fit_no_change measured on the way.
struct NoChangeFit {
  std::optional<Normalisation> fit;  ///< nullopt: irmad_normalise found no fit
  std::int64_t turned = 0;           ///< samples whose vegetation turned
  /// Share of the other samples the fit on every sample calls unchanged (-1: not measured).
  double other_unchanged = -1;
  bool refitted = false;  ///< `fit` leaves the turned samples out
};
/// The fewest other samples for a fit without the turned samples, or for the check.
inline constexpr std::int64_t kMinNoChangeFitSamples = 200;
/// Below this share of the other samples called unchanged, a fit on every sample took the
/// turned ones for no change. Shared OSCD cities 0.84-0.94 (Beihai 0.86, 27 % of its samples
/// turned); generated summer-winter scenes whose fits collapsed 0.00-0.32.
inline constexpr double kMinOtherUnchangedShare = 0.5;

/// IR-MAD (irmad_normalise) on paired samples (`earlier[j][i]`, `later[j][i]`: band `roles[j]`
/// of sample i, as vegetation_turned_samples takes them, turned with `test.vegetation_ndvi`).
/// With TurnedSamples::left_out it leaves the turned samples out whenever at least
/// kMinNoChangeFitSamples others remain. With left_out_if_absorbed it fits on every sample and
/// measures how many of the others that fit calls unchanged at `test.false_alarm`; below
/// kMinOtherUnchangedShare the season (or change over most of the scene) was taken for no
/// change, and it fits again without the turned samples. In both, a fit without them that
/// irmad_normalise cannot make leaves the fit on every sample. Issue 15: on generated
/// summer-winter pairs with half or more of the scene turned, fits on every sample flagged the
/// unchanged town and water and missed new buildings, or bent the later date's gains. The
/// change test keeps the turned samples otherwise: the OSCD references count the season as no
/// change, and leaving them out always lost F1 there (README, radiometric normalisation).
/// std::invalid_argument when the sample vectors do not match `roles`.
NoChangeFit fit_no_change(const SpectralChangeTest& test, const std::vector<BandRole>& roles,
                          const std::vector<std::vector<float>>& earlier,
                          const std::vector<std::vector<float>>& later,
                          TurnedSamples turned_samples);

/// Fits the pair's SeasonalSoil on paired samples: `earlier[j]`, `later[j]` the values of band
/// `roles[j]` (as spectral_change_test reads them), with `test`'s vegetation and soil tests.
/// No mode without red and NIR, or with too few samples that pass them. The same samples give
/// the same modes (k-means from a fixed seed).
SeasonalSoil fit_seasonal_soil(const SpectralChangeTest& test, const std::vector<BandRole>& roles,
                               const std::vector<std::vector<float>>& earlier,
                               const std::vector<std::vector<float>>& later);

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
