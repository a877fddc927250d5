#include <gtest/gtest.h>

#include "farmwatch/core/geo.h"

using namespace farmwatch;

TEST(Grid, SnappedCoversTheBoxOnResolutionMultiples) {
  const Grid g = Grid::snapped({103, 207, 391, 498}, 10, "");
  EXPECT_EQ(g.transform.c[0], 100);
  EXPECT_EQ(g.transform.c[3], 500);
  EXPECT_EQ(g.width, 30);
  EXPECT_EQ(g.height, 30);
  const Box e = g.extent();
  EXPECT_LE(e.xmin, 103);
  EXPECT_GE(e.xmax, 391);
}

TEST(Grid, BlocksTileTheGridExactlyOnceInRowMajorOrder) {
  Grid g;
  g.width = 1000;
  g.height = 700;
  const auto blocks = g.blocks(256, 256);
  ASSERT_EQ(blocks.size(), 4u * 3u);
  std::int64_t pixels = 0;
  for (const auto& b : blocks) pixels += b.pixels();
  EXPECT_EQ(pixels, 1000 * 700);
  EXPECT_EQ(blocks[3], (Window{768, 0, 232, 256}));
  EXPECT_EQ(blocks.back(), (Window{768, 512, 232, 188}));
}

TEST(Grid, WindowForBoxIsClippedToTheGrid) {
  const Grid g = Grid::snapped({0, 0, 100, 100}, 10, "");
  EXPECT_EQ(g.window_for({15, 15, 35, 45}), (Window{1, 5, 3, 4}));
  EXPECT_EQ(g.window_for({-50, -50, 5, 5}), (Window{0, 9, 1, 1}));
  EXPECT_EQ(g.window_for({200, 200, 300, 300}).pixels(), 0);
}

TEST(Grid, SubgridKeepsResolutionAndMovesOrigin) {
  const Grid g = Grid::snapped({0, 0, 100, 100}, 10, "X");
  const Grid s = g.subgrid({2, 3, 4, 5});
  EXPECT_EQ(s.transform.c[0], 20);
  EXPECT_EQ(s.transform.c[3], 70);
  EXPECT_EQ(s.width, 4);
  EXPECT_EQ(s.crs_wkt, "X");
}

TEST(Box, IntersectionOfDisjointBoxesIsEmpty) {
  EXPECT_TRUE((Box{0, 0, 1, 1}.intersect({2, 2, 3, 3})).empty());
  EXPECT_FALSE((Box{0, 0, 2, 2}.intersect({1, 1, 3, 3})).empty());
}
