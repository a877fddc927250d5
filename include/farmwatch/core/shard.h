#pragma once
// Cutting one run into shards (`farmwatch run --shard i/N`): the analysis grid is cut into
// square cells of a power-of-two number of pixels, aligned with the 512-pixel tiles of the
// published COGs and their overviews (a cell of 512·2^k pixels owns whole tiles at its
// overview level and deeper; a smaller cell, on a small grid, lies inside one tile), and the
// cells are dealt to the shards so that their work is balanced. Everything here depends only on
// the grid, the shard count and the cells' weights: every shard and the merge compute the same
// cells and the same owners.
#include <cstdint>
#include <string>
#include <vector>

#include "farmwatch/core/geo.h"

namespace farmwatch {

/// Shard `index` of `count` (0 <= index < count).
struct ShardId {
  int index = 0;
  int count = 1;
  /// "i-of-N": the name of the shard's result folder.
  std::string name() const;
  /// "i/N", as the command line gives it.
  std::string label() const;
};

/// Parses "i/N" (0 <= i < N <= 4096). Throws std::invalid_argument saying what is wrong.
ShardId parse_shard(const std::string& text);

/// The cells' side in pixels for `count` shards of `grid`: 4096 (8 x 8 tiles of 512), halved
/// while the grid has fewer than 4 cells per shard, down to 64.
int shard_cell_size(const Grid& grid, int count);

/// The cells of `cell` x `cell` pixels covering the grid, row-major from the top left (edge
/// cells clipped to the grid).
std::vector<Window> shard_cells(const Grid& grid, int cell);

/// Deals the cells of shard_cells (row-major, `columns` a row) to `count` shards by their
/// weights (work, e.g. valid pixels; >= 0), each shard a run of consecutive cells along a
/// Hilbert curve over the cell grid (Hilbert, Math. Ann. 38, 1891): a shard's cells lie
/// together, so that few change regions, patches and map tiles straddle two shards (the merge
/// does those). The runs are the most balanced that consecutive runs can be (the largest load
/// is the least possible, found by bisection, Bokhari, IEEE Trans. Comput. 37, 1988), each
/// run ending nearest its share of what is left. Returns each cell's shard. Throws
/// std::invalid_argument if `columns` < 1, count < 1 or a weight is negative.
std::vector<int> deal_cells(const std::vector<std::int64_t>& weights, int columns, int count);

/// The windows the per-pixel engine processes for the cells in `cells`: each cell cut into
/// blocks of `block` pixels (a cell smaller than a block is one window), row-major over the
/// grid, so that a shard's windows are a subset of a partition of the grid.
std::vector<Window> shard_windows(const std::vector<Window>& cells, int block);

}  // namespace farmwatch
