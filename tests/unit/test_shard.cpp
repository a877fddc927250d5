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
  // One heavy cell and many light ones: the heavy one gets a shard nearly to itself.
  std::vector<std::int64_t> w = {100, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 0, 0};
  const auto owner = deal_cells(w, 2);
  std::int64_t load[2] = {0, 0};
  int count[2] = {0, 0};
  for (std::size_t c = 0; c < w.size(); ++c) {
    load[owner[c]] += w[c];
    ++count[owner[c]];
  }
  EXPECT_EQ(load[0], 100);
  EXPECT_EQ(load[1], 100);
  EXPECT_NE(count[0], count[1]);
  EXPECT_EQ(deal_cells(w, 2), owner);  // deterministic
  // Every cell has a shard, in range, also with more shards than cells.
  for (int s : deal_cells({5, 4}, 8)) EXPECT_TRUE(s >= 0 && s < 8);
}

TEST(Shard, WindowsOfAllShardsPartitionTheGrid) {
  const Grid g = grid_of(1300, 900);
  for (int block : {512, 128}) {
    const int cell = shard_cell_size(g, 3);
    const auto cells = shard_cells(g, cell);
    std::vector<std::int64_t> w(cells.size());
    std::iota(w.begin(), w.end(), 1);
    const auto owner = deal_cells(w, 3);
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
