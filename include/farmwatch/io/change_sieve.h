#pragma once
// A minimum mapping unit for the change raster: regions smaller than a few pixels are noise
// of the per-pixel test, not change an office could map or verify.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "farmwatch/core/geo.h"
#include "farmwatch/core/quality_mask.h"

namespace farmwatch::io {

/// Bit of a `candidates` pixel set where the spectral test's seed level passed (hysteresis).
inline constexpr std::uint8_t kSeedBit = 0x80;
/// A `candidates` pixel's temporal_cloud_flags (core/quality_mask.h) sit this many bits up
/// (bits 0x08-0x40; the change value takes bits 0x01-0x03).
inline constexpr int kSkyShift = 3;
/// Bit of a changed `candidates` pixel with a shadow sky bit: the ground's pattern shows through
/// both dates (core: ground_pattern_kept).
inline constexpr std::uint8_t kPatternKeptBit = 0x04;
/// The same bit on a changed `candidates` pixel with no sky bit at all: a change of the other
/// category the season explains (core: seasonal_transition). A pixel that looks like cloud or
/// shadow keeps no seasonal mark: the exclusion counts it as not seasonal, and the cloud
/// screening judges it.
inline constexpr std::uint8_t kSeasonalBit = 0x04;
/// Whether a changed `candidates` value carries a shadow sky bit (TemporalSkyBit shadows).
inline constexpr bool has_shadow_bit(std::uint8_t v) {
  return ((v >> kSkyShift) & (kShadowEarlier | kShadowLater)) != 0;
}
/// Whether a changed `candidates` value keeps the ground's pattern (a shadow's test).
inline constexpr bool is_pattern_kept(std::uint8_t v) {
  return (v & kPatternKeptBit) && has_shadow_bit(v);
}
/// Whether a changed `candidates` value is a change the season explains.
inline constexpr bool is_seasonal(std::uint8_t v) {
  return (v & kSeasonalBit) && ((v >> kSkyShift) & 0x0f) == 0;
}

/// Whether a `candidates` value is a pixel that is no data in change.tif because the land-use
/// rules call it cloud in one date, and that gained white light there against the other date
/// (the engine sets its sky bits, no change value): the cloud screening judges it with the
/// change regions it touches (a cloud's core with its thin edge, which the rules see as
/// change), and it stays no data whatever the verdict.
inline constexpr bool is_sky_only(std::uint8_t v) {
  return (v & 0x03) == 0 && ((v >> kSkyShift) & 0x0f) != 0;
}

/// The temporal cloud and shadow screening of sieve_change (core: screen_change_regions).
struct CloudScreening {
  /// The change vector (engine::LanduseChangeJob::delta_out: later minus earlier, Float32) and
  /// its blue, green and red bands (1-based).
  std::string change_vector;
  int blue_band = 0, green_band = 0, red_band = 0;
  std::int64_t min_cloud_pixels = 100;
  /// Farthest a shadow's centroid may lie from its cloud's, pixels.
  double max_shadow_distance_px = 500;
  /// Out: pixels set to no observation, per date (earlier, later), and the regions screened
  /// as clouds and as shadows.
  std::array<std::int64_t, 2> pixels{};
  int clouds = 0, shadows = 0;
  /// Out: every region judged (those the size and seed rule keeps), as measured, in raster
  /// order of their first pixels, with its verdict: why a region was taken for a cloud.
  std::vector<ChangeRegionSky> regions;
  std::vector<RegionSkyVerdict> verdicts;
};

/// The seasonal exclusion of sieve_change: a change region (as the size and seed rule sees it)
/// whose pixels are at least `min_share` seasonal (kSeasonalBit) is the season, not change:
/// crops to soil and back, hills dried, trees bare of leaves. Its seasonal pixels become no
/// change; its other pixels stay where they form regions of their own that pass the size and
/// seed rule (a roof beside a ploughed field), and go as its scattered fragments. A region
/// less seasonal stays whole: a site half excavated, half paved has built-up evidence. Region
/// by region because a field turns as a whole while most construction sites hold bare soil:
/// on the seven OSCD Sentinel-2 cities a pixel rule lost 0.002-0.016 of pooled F1, this rule
/// none (0.452 before and after; 0.456 with the seasonal soils of core/spectral_change.h and
/// IR-MAD's two starts).
struct SeasonalExclusion {
  double min_share = 0.7;
  /// Out: the regions set aside, and the pixels they took out of change.
  int regions = 0;
  std::int64_t pixels = 0;
};

/// What sieve_change keeps and judges.
struct ChangeSieveRules {
  int min_pixels = 9;                     ///< smallest change region kept (8-connected pixels)
  bool need_seed = false;                 ///< keep only regions with a kSeedBit pixel
  CloudScreening* screening = nullptr;    ///< the cloud and shadow screening, in and out
  SeasonalExclusion* seasonal = nullptr;  ///< the seasonal exclusion, in and out
  /// A sharded run's merge: the side of the cells the grid was cut into (a row-major lattice
  /// from the top left, pixels; 0: the grid as one cell) and, with the screening, the shards'
  /// measure_cell_sky files of those cells (every cell in one of them; none: the merge reads
  /// the whole change vector). The result is the same whatever the cells.
  int cell = 0;
  std::vector<std::string> cell_sky{};
  /// A shard's own sieve (its provisional change.tif, pipeline/stages/classify.cpp): the cells
  /// of that lattice it holds; the others are taken to hold no change, neither read nor
  /// written (empty: every cell). Its regions are those its cells alone show.
  std::vector<Window> only{};
};

/// Sets the change regions of `change` (8-connected pixels of values 1-3, whatever the category)
/// smaller than `rules.min_pixels` to 0 (no change), in place; with `rules.need_seed`, also the
/// regions with no pixel whose `candidates` value has kSeedBit (hysteresis thresholding, Canny
/// 1986: a region grows from pixels of strong evidence over pixels of weaker evidence). Regions are
/// labelled cell by cell (`rules.cell`), row by row, with union-find, in memory, and joined across
/// the cells' edges: about 25 bytes per run of changed pixels (e.g. 25 MB for a 5490² tile with
/// 10 % changed), whatever the grid's size; not yet spilled to disk for continental grids. With
/// `rules.screening`, regions that are a cloud or its shadow in one date become no data (255): no
/// observation, not change (about 100 bytes more per region, about 10 bytes per pixel of a chunk
/// of 256 rows over the changed and sky-only pixels' columns, where the change vector's blue,
/// green and red are read, and 2 per pixel of its rows; in a merge with the shards' tables, the
/// change vector is read only along the cells' edges). Its sums are exact (fixed point, 2^-16 of
/// the change vector's unit per pixel), so the verdicts do not depend on the cells. The screening
/// judges regions of the changed pixels joined by the is_sky_only ones, labelled apart (their runs
/// and labels a second time, with every cloud core the rules found) from the regions the size and
/// seed rule keeps, which they never join; it counts the clouds and shadows that took changed
/// pixels out. With `rules.seasonal`, regions the season explains become no change
/// (SeasonalExclusion): the changed pixels that are not seasonal are labelled a second time.
/// Then rewrites `candidates` (the change values 1-3, 0 elsewhere) from the result. Returns the
/// pixels of each change value. ProcessingError naming the file when a raster or table cannot be
/// read or written; DamagedFileError naming a table that is not whole or does not fit `change`.
std::array<std::int64_t, 256> sieve_change(const std::string& change, const std::string& candidates,
                                           const ChangeSieveRules& rules);

/// What a shard's `cells` (of the lattice sieve_change's `rules.cell` cuts; the shard's own
/// `change` and `candidates`, grid-sized, made over them) tell the cloud screening from the
/// change vector, for the merge's sieve_change: per region of each cell (the judged regions, as
/// the cell alone shows them), the sums over its pixels off the cell's ring (those whose 3 x 3
/// neighbourhood lies in the cell or off the grid), written to `out` (binary, 48 bytes a
/// region). The merge reads the ring itself. ProcessingError naming the file that cannot be
/// read or written.
void measure_cell_sky(const std::string& change, const std::string& candidates,
                      const CloudScreening& screening, const std::vector<Window>& cells,
                      const std::string& out);

/// Merges the regions of a class map (8-connected pixels of one code, nodata 255 left alone)
/// smaller than `min_pixels` into their largest neighbour, in place: a minimum mapping unit.
void sieve_classes(const std::string& path, int min_pixels);

}  // namespace farmwatch::io
