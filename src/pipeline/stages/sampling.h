#pragma once
// Where stages that look at the imagery before the per-pixel pass (cloud screening,
// co-registration, normalisation) sample it.
#include <cstdint>
#include <optional>
#include <vector>

#include "farmwatch/core/features.h"
#include "farmwatch/core/geo.h"
#include "farmwatch/core/radiometry.h"
#include "farmwatch/io/mosaic.h"

namespace farmwatch::pipeline::stages {

/// Up to nine windows of size x size spread over `area` (3 x 3, edges included).
std::vector<Window> sample_windows(const Window& area, int size);
/// The same over the whole grid.
std::vector<Window> sample_windows(const Grid& g, int size);

/// Both dates read on `windows` of `grid` (the later date: one scene, or the composite).
struct PairedWindows {
  std::vector<ReflectanceBlock> earlier, later;
};
PairedWindows read_pairs(const io::Mosaic& earlier, const io::Mosaic& later, const Grid& grid,
                         const std::vector<Window>& windows);

/// Every third pixel of the windows where both dates have a value for every role: per role j,
/// the earlier values in x[j] and the later in y[j].
void paired_samples(const PairedWindows& p, const std::vector<BandRole>& roles,
                    std::vector<std::vector<float>>& x, std::vector<std::vector<float>>& y);

/// IR-MAD's no-change fit (core: irmad_normalise) on paired samples (as paired_samples gives
/// them, bands `roles`), and the samples whose vegetation turned.
struct NoChangeFit {
  std::optional<Normalisation> fit;
  std::int64_t turned = 0;       ///< samples vegetation in one date only
  /// Share of the other samples the fit on every sample calls unchanged; -1: not measured.
  double other_unchanged = -1;
  bool season_absorbed = false;  ///< other_unchanged < kMinOtherUnchangedShare
  bool refitted = false;         ///< `fit` leaves the turned samples out
};
/// The fewest other samples for a fit without the turned ones (and for the check).
inline constexpr std::int64_t kMinNoChangeFitSamples = 200;
/// Below this share of the other samples called unchanged, a fit on every sample took the
/// turned ones for no change. The shared OSCD cities: 0.84-0.94 (Beihai 0.86, with 27 % of its
/// samples turned); generated summer-winter scenes that collapsed: 0.00-0.32.
inline constexpr double kMinOtherUnchangedShare = 0.5;
/// The samples whose vegetation turned (core: vegetation_turned_samples, with
/// SpectralChangeTest's threshold: crops ploughed or sown, hills dried, trees bare, fields
/// built on) changed their surface. With `without_turned`, the fit leaves them out whenever
/// kMinNoChangeFitSamples others remain (the radiometric normalisation: a gain and offset per
/// band from unchanged ground). Otherwise it fits on every sample and checks that fit: where
/// it calls fewer than kMinOtherUnchangedShare of the others unchanged at the change test's
/// false-alarm rate, it took the turned ones for no change (season_absorbed) and is fitted
/// again without them (the spectral change test, whose references on the OSCD cities count the
/// season as no change: leaving the turned samples out always lost pooled F1 there, 0.456 to
/// 0.443, as reflectance 0.420 to 0.335). Issue 15: on generated summer-winter pairs with half
/// or more of the scene turned, fits on every sample flagged the unchanged town and water and
/// missed new buildings (the change test), or bent the later date's gains (NIR 0.75, red 1.39
/// where they were 1: the normalisation). nullopt fit: no roles, or irmad_normalise had too few
/// samples.
NoChangeFit fit_no_change(const std::vector<BandRole>& roles,
                          const std::vector<std::vector<float>>& x,
                          const std::vector<std::vector<float>>& y, bool without_turned);

}  // namespace farmwatch::pipeline::stages
