#include <gtest/gtest.h>

#include "farmwatch/core/tile_matrix_set.h"

using namespace farmwatch;

TEST(WebMercatorQuad, ZoomZeroIsTheWholeWorldInOneTile) {
  const auto& s = web_mercator_quad();
  const Box b = s.tile_bounds({0, 0, 0});
  EXPECT_DOUBLE_EQ(b.xmin, -20037508.342789244);
  EXPECT_DOUBLE_EQ(b.ymax, 20037508.342789244);
  EXPECT_NEAR(s.resolution(0), 156543.03392804097, 1e-6);
  EXPECT_EQ(s.matrix_width(0), 1);
  EXPECT_EQ(s.matrix_height(3), 8);
}

TEST(WebMercatorQuad, NeighbouringTilesShareTheirEdgesExactly) {
  const auto& s = web_mercator_quad();
  const Box a = s.tile_bounds({14, 13520, 6650});
  const Box right = s.tile_bounds({14, 13521, 6650});
  const Box below = s.tile_bounds({14, 13520, 6651});
  EXPECT_DOUBLE_EQ(a.xmax, right.xmin);
  EXPECT_DOUBLE_EQ(a.ymin, below.ymax);
}

TEST(WebMercatorQuad, LevelForTenMetrePixelsIs14) {
  EXPECT_EQ(web_mercator_quad().level_for_ground_resolution(10.0), 14);  // 9.55 m
  EXPECT_EQ(web_mercator_quad().level_for_ground_resolution(1e9), 0);
}

TEST(WebMercatorQuad, TilesCoveringABoxIncludeEveryTouchedTileOnly) {
  const auto& s = web_mercator_quad();
  const Box t = s.tile_bounds({10, 853, 418});
  auto tiles = s.tiles_covering(t, 10);
  ASSERT_EQ(tiles.size(), 1u);
  EXPECT_EQ(tiles[0], (TileAddress{10, 853, 418}));
  tiles = s.tiles_covering({t.xmin, t.ymin, t.xmax + 1, t.ymax}, 10);
  EXPECT_EQ(tiles.size(), 2u);
}

// The numbers of 天地图's "c" services: level 1 is 2 x 1 tiles, 0.703125° a pixel, origin
// (-180, 90); level L has 1.40625 / 2^L degrees a pixel.
TEST(TiandituC, LevelsCountFromOneWithTwoTilesAcross) {
  const auto& s = tianditu_c();
  EXPECT_EQ(s.first_level, 1);
  EXPECT_DOUBLE_EQ(s.resolution(1), 0.703125);
  EXPECT_DOUBLE_EQ(s.resolution(18), 1.40625 / (1 << 18));
  EXPECT_EQ(s.matrix_width(1), 2);
  EXPECT_EQ(s.matrix_height(1), 1);
  const Box east = s.tile_bounds({1, 1, 0});
  EXPECT_DOUBLE_EQ(east.xmin, 0);
  EXPECT_DOUBLE_EQ(east.xmax, 180);
  EXPECT_DOUBLE_EQ(east.ymin, -90);
  EXPECT_DOUBLE_EQ(east.ymax, 90);
}

TEST(TiandituC, TheTileOverBeijingAtLevel10) {
  // 116.4°E 39.9°N: column floor((116.4 + 180) / (180 / 2^9)), row floor((90 - 39.9) / ...).
  const auto& s = tianditu_c();
  const auto t = s.tiles_covering({116.4, 39.9, 116.4 + 1e-9, 39.9 + 1e-9}, 10);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0], (TileAddress{10, 843, 142}));
  EXPECT_EQ(s.level_for_ground_resolution(10.0), 14);
  EXPECT_EQ(tile_matrix_set("tianditu-c"), &s);
  EXPECT_EQ(tile_matrix_set("mercator"), nullptr);
}
