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
/// them, bands `roles`), checked against the samples whose vegetation turned.
struct NoChangeFit {
  std::optional<Normalisation> fit;
  std::int64_t turned = 0;       ///< samples vegetation in one date only
  double other_unchanged = -1;   ///< share of the others the fit on every sample calls unchanged
  bool season_absorbed = false;  ///< other_unchanged < kMinOtherUnchangedShare
  bool refitted = false;         ///< `fit` leaves the turned samples out
};
/// The fewest samples left once the turned ones are set aside for the check (and a refit).
inline constexpr std::int64_t kMinNoChangeFitSamples = 1000;
/// Below this share of the other samples called unchanged, a fit on every sample took the
/// turned ones for no change. The shared OSCD cities: 0.85-0.94 (Beihai 0.85, with 27 % of its
/// samples turned); generated summer-winter scenes that collapsed: 0.00-0.18.
inline constexpr double kMinOtherUnchangedShare = 0.5;
/// Fits IR-MAD on every sample, then checks it: where the samples whose vegetation turned
/// (core: vegetation_turned_samples, with SpectralChangeTest's threshold) are not all, and the
/// fit calls fewer than kMinOtherUnchangedShare of the others unchanged at the change test's
/// false-alarm rate, it took the turned ones for no change (season_absorbed) and, with
/// `refit`, is fitted again without them. Where a season ploughed or dried half a scene or
/// more, that first fit flagged the unchanged town and water and missed the new buildings
/// (issue 15: generated summer-winter scenes 50-70 % turned). The turned samples stay in the
/// fit otherwise: on the OSCD cities leaving them out always lost F1 (pooled 0.456 to 0.444),
/// the season being no change to their references. nullopt fit: no roles, or irmad_normalise
/// had too few samples.
NoChangeFit fit_no_change(const std::vector<BandRole>& roles,
                          const std::vector<std::vector<float>>& x,
                          const std::vector<std::vector<float>>& y, bool refit);

}  // namespace farmwatch::pipeline::stages
