#pragma once
// A run cut into shards (`farmwatch run --shard i/N`, `farmwatch merge`): each shard runs the
// per-pixel pass over its cells of the grid (core/shard.h) and keeps the result; the merge
// assembles the results into the rasters one unsharded pass writes and runs every later stage
// (patches, parcel statistics, rasters, reports, tiles, database) as one run does. The stages
// before the per-pixel pass (validation, cloud screening, co-registration, normalisation, the
// spectral test's calibration) fit on sample windows of the whole grid, so every shard and the
// merge compute the same values.
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "farmwatch/core/error.h"
#include "farmwatch/core/shard.h"
#include "farmwatch/io/map_tiles.h"
#include "farmwatch/pipeline/spec.h"
#include "farmwatch/engine/landuse_change.h"

namespace farmwatch::pipeline {

struct RunContext;

/// Shard results a merge cannot use: missing, stale, not covering the grid, or a file of one
/// that no longer reads whole (which with_shard_results_checked removes, so that running the
/// shard again redoes it). The merge records and publishes nothing. An InputError (exit 4).
class ShardResultError : public InputError {
 public:
  using InputError::InputError;
};

/// Calls `merge` (a merge's stages). An InputError or ProcessingError naming a file of shard k's
/// result in `dir` that does not read whole on its own (raster_reads_whole, or JSON that does not
/// parse) becomes ShardResultError naming shard k, whose result is removed; any other error
/// (too many open files, a full disk) is rethrown as it is, the results kept.
void with_shard_results_checked(const std::filesystem::path& dir, int count,
                                const std::function<void()>& merge);

/// A shard's result file: what its cells tell the sieve's cloud screening
/// (io::measure_cell_sky), when the change vector has the visible bands.
inline constexpr const char* kCellSkyFile = "change_sky.bin";
/// A shard's result file: the patches of its cells, measured (io::measure_cell_patches), for
/// the merge to take where its sieve left them as they were.
inline constexpr const char* kCellPatchesFile = "patches.bin";
/// A shard's result file: the change.tif its cells alone give (sieved and marked with the
/// patches it measured, over its cells), from which it renders its change tiles; the merge
/// renders those again where its own change.tif differs.
inline constexpr const char* kCellChangeFile = "change_cells.tif";

/// Where the run's shard results are kept (RunOptions::shard_dir, or `<output folder>.shards`).
std::filesystem::path shard_results_dir(const RunContext& ctx);

/// The cells of the grid for `count` shards and each cell's shard, dealt by the work in it:
/// pixels of every scene's footprint on the grid, plus farmland pixels (the parcel raster).
struct ShardPlan {
  int cell = 0;
  std::vector<Window> cells;
  std::vector<int> owner;  ///< per cell
  /// The engine windows of shard `index` (core/shard.h shard_windows).
  std::vector<Window> windows(int index, int block) const;
};
ShardPlan plan_shards(const RunContext& ctx, int count);

/// What decides a shard's result besides its index: farmwatch's version, the shard count and
/// cells, the grid, and the size and modification time of the pipeline file, the rules files,
/// the model, the farmland layer and every scene (every file of a product folder), by absolute
/// path. A merge refuses results that differ.
nlohmann::json shard_inputs(const RunContext& ctx, int count);

/// The size and modification time of each file a pipeline names besides its images (the
/// pipeline file, rules, model, farmland, administrative units, exemption layers), by absolute
/// path: part of what a shard's result depends on.
nlohmann::json spec_file_stamps(const PipelineSpec& spec);

/// Whether `dir` holds shard `id`'s complete result for these inputs.
bool shard_complete(const std::filesystem::path& dir, const ShardId& id,
                    const nlohmann::json& inputs);

/// Writes shard.json (inputs, cells, the per-pixel pass's counts) into the shard's staging
/// folder; the run then commits the folder as `<shard dir>/i-of-N`.
void write_shard_result(const RunContext& ctx, const ShardId& id, const ShardPlan& plan);

/// The merge: checks that every shard of `count` has a complete result from these inputs
/// (InputError listing those that have not) and that the cells they recorded cover the grid
/// once (InputError otherwise), assembles the change and candidate rasters into ctx.job's
/// scratch paths, points ctx.job's other per-pixel outputs at virtual rasters over the shards'
/// files (read only from here on: the buildings stage, which rewrites land use, never runs in
/// a merge, since very-high-resolution runs are not sharded), and returns the summed counts
/// (the sieve, when it runs, counts change_pixels again).
engine::LanduseChangeStats merge_shard_results(RunContext& ctx, int count);

/// The cells of the grid and the shard that did each, as the complete results of `count`
/// shards recorded them (the merge's view). InputError when a shard's result is missing or
/// stale, or the cells do not cover the grid exactly once.
struct ShardCells {
  std::vector<Window> cells;
  std::vector<int> owner;
};
ShardCells recorded_cells(const RunContext& ctx, int count);

/// The merge's calibrations: each scene's co-registration shift and DN-to-reflectance rule
/// (after normalisation), the reports and the spectral test, as the shards fitted them (on the
/// same sample windows, so every shard's are the same) and shard 0 recorded them; in place of
/// fitting them again. InputError when a shard's result is missing or stale, or the record does
/// not fit the pipeline's scenes.
void restore_calibration(RunContext& ctx, int count);

/// The tiles of a sharded run (io::TileShards): `cells` of `cell` pixels on `grid` and each
/// one's shard, for shard `index` (-1: the merge).
io::TileShards tile_shards(const Grid& grid, int cell, const std::vector<Window>& cells,
                           const std::vector<int>& owner, int index);

/// Where a shard's result (or its staging folder, before it is committed) keeps its tiles of the
/// land-use and imagery layers, laid out as write_tile_sets lays out a run's.
std::filesystem::path shard_tiles_root(const std::filesystem::path& result);

/// Where a shard keeps the COG tiles it encoded of `raster` (a layer's scratch raster) over its
/// cells (io::encode_cog_tiles): beside it, the same name in its result.
std::string cog_tiles_path(const std::string& raster);

/// The merge, before it renders its tiles: each shard's list of its tiles of each layer
/// (io::kShardTilesManifest) lists each tile once, and its quarters file has the bytes and
/// CRC-32 listed (each tile file is checked where the merge takes it: io::write_tile_layer).
/// DamagedFileError naming the file otherwise, which with_shard_results_checked turns into a
/// ShardResultError naming the shard, whose result it removes.
void check_shard_tiles(const RunContext& ctx, int count);

/// Removes the shard results once the merged outputs are published.
void remove_shard_results(const RunContext& ctx, int count);

}  // namespace farmwatch::pipeline
