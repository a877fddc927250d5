#include <gtest/gtest.h>

#include "farmwatch/core/tile_math.h"

using namespace farmwatch;

TEST(TileMath, ZoomZeroIsTheWholeWebMercatorWorld) {
  const Box b = tile_bounds({0, 0, 0});
  EXPECT_DOUBLE_EQ(b.xmin, -kWebMercatorHalfWorld);
  EXPECT_DOUBLE_EQ(b.ymax, kWebMercatorHalfWorld);
  EXPECT_NEAR(tile_resolution(0), 156543.03392804097, 1e-6);
}

TEST(TileMath, NeighbouringTilesShareTheirEdgesExactly) {
  const Box a = tile_bounds({14, 13520, 6650});
  const Box right = tile_bounds({14, 13521, 6650});
  const Box below = tile_bounds({14, 13520, 6651});
  EXPECT_DOUBLE_EQ(a.xmax, right.xmin);
  EXPECT_DOUBLE_EQ(a.ymin, below.ymax);
}

TEST(TileMath, ZoomForTenMetrePixelsIs14) {
  EXPECT_EQ(zoom_for_resolution(10.0), 14);  // z14 pixels are 9.55 m
  EXPECT_EQ(zoom_for_resolution(1e9), 0);
}

TEST(TileMath, TilesCoveringABoxIncludeEveryTouchedTileOnly) {
  const Box t = tile_bounds({10, 853, 418});
  // A box exactly on one tile gives that tile only.
  auto tiles = tiles_covering(t, 10);
  ASSERT_EQ(tiles.size(), 1u);
  EXPECT_EQ(tiles[0], (TileAddress{10, 853, 418}));
  // Crossing the right edge adds the neighbour.
  tiles = tiles_covering({t.xmin, t.ymin, t.xmax + 1, t.ymax}, 10);
  EXPECT_EQ(tiles.size(), 2u);
}
