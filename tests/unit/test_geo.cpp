#include <gtest/gtest.h>

#include <cmath>

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

TEST(Grid, NorthUpOfASouthUpGridHasTheSameExtentAndSize) {
  // Row 0 at the south edge, as NetCDF/HDF conversions write it.
  Grid g;
  g.width = 4;
  g.height = 3;
  g.transform.c = {500000, 10, 0, 3500000, 0, 10};
  g.crs_wkt = "X";
  const Grid n = g.north_up();
  EXPECT_TRUE(n.transform.north_up());
  EXPECT_EQ(n.width, 4);
  EXPECT_EQ(n.height, 3);
  const auto t = n.transform.c;
  EXPECT_EQ(t, (std::array<double, 6>{500000, 10, 0, 3500030, 0, -10}));
  EXPECT_EQ(n.crs_wkt, "X");
  const Box a = g.extent(), b = n.extent();
  EXPECT_EQ(a.xmin, b.xmin);
  EXPECT_EQ(a.ymin, b.ymin);
  EXPECT_EQ(a.xmax, b.xmax);
  EXPECT_EQ(a.ymax, b.ymax);
  EXPECT_EQ(g.transform.pixel_width(), 10);
  EXPECT_EQ(g.transform.pixel_height(), 10);
}

TEST(Grid, NorthUpOfANorthUpGridIsItself) {
  Grid g;
  g.width = 5;
  g.height = 2;
  g.transform.c = {10, 2, 0, 20, 0, -2};
  const Grid n = g.north_up();
  EXPECT_EQ(n.transform, g.transform);
  EXPECT_EQ(n.width, 5);
  EXPECT_EQ(n.height, 2);
}

TEST(Grid, NorthUpOfARotatedGridCoversItsFootprintAtTheSameGroundSize) {
  // 10 m pixels turned by 30 degrees: the bounding box of the footprint, 10 m pixels.
  const double a = 30 * M_PI / 180, r = 10;
  Grid g;
  g.width = 20;
  g.height = 10;
  g.transform.c = {1000, r * std::cos(a), r * std::sin(a), 5000, r * std::sin(a), -r * std::cos(a)};
  EXPECT_NEAR(g.transform.pixel_width(), 10, 1e-12);
  EXPECT_NEAR(g.transform.pixel_height(), 10, 1e-12);
  EXPECT_FALSE(g.transform.north_up());
  const Grid n = g.north_up();
  EXPECT_TRUE(n.transform.north_up());
  EXPECT_NEAR(n.res(), 10, 1e-12);
  const Box e = g.extent(), f = n.extent();
  EXPECT_DOUBLE_EQ(f.xmin, e.xmin);
  EXPECT_DOUBLE_EQ(f.ymax, e.ymax);
  EXPECT_GE(f.xmax, e.xmax - 1e-9);
  EXPECT_GE(e.ymin + 1e-9, f.ymin);
  EXPECT_LT(f.xmax - e.xmax, 10);
  EXPECT_LT(e.ymin - f.ymin, 10);
}
