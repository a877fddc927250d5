// Cutting a run into shards (core/shard.h): parsing i/N, the cells, the dealing, the windows.
#include <gtest/gtest.h>

#include <numeric>
#include <stdexcept>

#include "farmwatch/core/shard.h"

namespace farmwatch {
namespace {

Grid grid_of(int w, int h) {
  Grid g;
  g.width = w;
  g.height = h;
  return g;
}

TEST(Shard, ParsesIOfNAndRefusesEverythingElse) {
  const ShardId s = parse_shard("3/8");
  EXPECT_EQ(s.index, 3);
  EXPECT_EQ(s.count, 8);
  EXPECT_EQ(s.name(), "3-of-8");
  EXPECT_EQ(parse_shard("0/1").count, 1);
  for (const char* bad : {"", "3", "8/8", "9/8", "-1/4", "1/0", "a/4", "1/4/2", "1 /4", "0/5000"})
    EXPECT_THROW(parse_shard(bad), std::invalid_argument) << bad;
}

TEST(Shard, CellsArePowersOfTwoAndAtLeastFourPerShard) {
  // 4 Sentinel-2 tiles of 10980 px (two a side) in cells of 4096 px: 6 x 6 = 36 cells.
  EXPECT_EQ(shard_cell_size(grid_of(21960, 21960), 8), 4096);
  // 32 shards: 2048 px gives 11 x 11 = 121 cells, fewer than 4 per shard; 1024 gives 484.
  EXPECT_EQ(shard_cell_size(grid_of(21960, 21960), 32), 1024);
  EXPECT_EQ(shard_cell_size(grid_of(700, 700), 4), 128);        // 6 x 6 = 36 >= 16
  EXPECT_EQ(shard_cell_size(grid_of(100, 100), 64), 64);        // never below 64
  const auto cells = shard_cells(grid_of(700, 300), 256);
  ASSERT_EQ(cells.size(), 6u);
  EXPECT_EQ(cells[2].col, 512);
  EXPECT_EQ(cells[2].width, 188);  // clipped at the grid's edge
  EXPECT_EQ(cells[3].row, 256);
  EXPECT_EQ(cells[3].height, 44);
}

TEST(Shard, DealingBalancesWorkNotCount) {
  // 4 x 4 cells, one heavy and many light ones: the heavy one gets a shard nearly to itself.
  std::vector<std::int64_t> w = {100, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 0, 0, 0, 0, 0};
  const auto owner = deal_cells(w, 4, 2);
  std::int64_t load[2] = {0, 0};
  int count[2] = {0, 0};
  for (std::size_t c = 0; c < w.size(); ++c) {
    load[owner[c]] += w[c];
    ++count[owner[c]];
  }
  EXPECT_EQ(std::max(load[0], load[1]), 100);
  EXPECT_NE(count[0], count[1]);
  EXPECT_EQ(deal_cells(w, 4, 2), owner);  // deterministic
  // Every cell has a shard, in range, also with more shards than cells.
  for (int s : deal_cells({5, 4}, 2, 8)) EXPECT_TRUE(s >= 0 && s < 8);
  EXPECT_THROW(deal_cells({5, -1}, 2, 2), std::invalid_argument);
  EXPECT_THROW(deal_cells({5, 1}, 0, 2), std::invalid_argument);
}

/// The cell edges (4-neighbours) whose two cells are in different shards.
int edges_between_shards(const std::vector<int>& owner, int columns) {
  const int n = static_cast<int>(owner.size());
  int edges = 0;
  for (int c = 0; c < n; ++c) {
    if (c % columns + 1 < columns && c + 1 < n) edges += owner[c] != owner[c + 1];
    if (c + columns < n) edges += owner[c] != owner[c + columns];
  }
  return edges;
}

TEST(Shard, AShardsCellsLieTogether) {
  // 4 Sentinel-2 tiles in 6 x 6 cells (the last row and column narrower), 4 and 8 shards:
  // balanced within a cell of the share, with few of the 60 cell edges between shards (4
  // quadrants have 12; cells dealt one by one, heaviest first to the least loaded shard, had
  // 56 with 4 shards and 60 with 8).
  std::vector<std::int64_t> w;
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 6; ++c) w.push_back(std::int64_t(r < 5 ? 4096 : 1480) * (c < 5 ? 4096 : 1480));
  const std::int64_t total = std::accumulate(w.begin(), w.end(), std::int64_t(0));
  for (int shards : {4, 8}) {
    const auto owner = deal_cells(w, 6, shards);
    std::vector<std::int64_t> load(static_cast<std::size_t>(shards), 0);
    for (std::size_t c = 0; c < w.size(); ++c) load[static_cast<std::size_t>(owner[c])] += w[c];
    EXPECT_LE(*std::max_element(load.begin(), load.end()), total / shards + 4096 * 4096)
        << shards;
    EXPECT_LE(edges_between_shards(owner, 6), shards == 4 ? 18 : 30) << shards;
  }
}

TEST(Shard, WindowsOfAllShardsPartitionTheGrid) {
  const Grid g = grid_of(1300, 900);
  for (int block : {512, 128}) {
    const int cell = shard_cell_size(g, 3);
    const auto cells = shard_cells(g, cell);
    std::vector<std::int64_t> w(cells.size());
    std::iota(w.begin(), w.end(), 1);
    const auto owner = deal_cells(w, (g.width + cell - 1) / cell, 3);
    std::vector<int> covered(static_cast<std::size_t>(g.width) * g.height, 0);
    for (int s = 0; s < 3; ++s) {
      std::vector<Window> mine;
      for (std::size_t c = 0; c < cells.size(); ++c)
        if (owner[c] == s) mine.push_back(cells[c]);
      for (const Window& win : shard_windows(mine, block)) {
        EXPECT_LE(win.width, std::max(block, cell));
        for (int r = win.row; r < win.row + win.height; ++r)
          for (int c = win.col; c < win.col + win.width; ++c)
            ++covered[static_cast<std::size_t>(r) * g.width + c];
      }
    }
    for (int n : covered) ASSERT_EQ(n, 1) << "block " << block;
  }
}

}  // namespace
}  // namespace farmwatch
