// The minimum mapping unit of change.tif: small change regions go, whatever their categories.
#include <gtest/gtest.h>

#include "farmwatch/io/change_sieve.h"
#include "farmwatch/io/gdal_setup.h"
#include "test_support.h"

using namespace farmwatch;

TEST(ChangeSieve, RegionsUnderTheMinimumGoAndMixedCategoriesCountAsOneRegion) {
  io::setup_gdal(nullptr);
  test::TempDir d;
  const int n = 20;
  std::vector<double> v(n * n, 0);
  auto set = [&](int r, int c, double x) { v[static_cast<std::size_t>(r * n + c)] = x; };
  for (int c = 0; c < 3; ++c) set(2, 2 + c, 3);  // 3 pixels: goes
  for (int r = 10; r < 13; ++r)                  // 3 x 4 of 非农化 beside other change: stays
    for (int c = 10; c < 14; ++c) set(r, c, c < 12 ? 1 : 3);
  set(18, 18, 255);  // nodata stays nodata
  test::RasterSpec s;
  s.width = s.height = n;
  s.type = GDT_Byte;
  s.nodata = 255;
  s.has_nodata = true;
  s.bands = {v};
  test::write_raster(d / "change.tif", s);
  s.bands = {std::vector<double>(n * n, 0)};
  s.has_nodata = false;
  test::write_raster(d / "cand.tif", s);
  const auto counts = io::sieve_change(d / "change.tif", d / "cand.tif", 9);
  const auto c = test::read_band(d / "change.tif"), k = test::read_band(d / "cand.tif");
  EXPECT_EQ(c[2 * n + 3], 0);
  EXPECT_EQ(c[10 * n + 10], 1);
  EXPECT_EQ(c[12 * n + 13], 3);
  EXPECT_EQ(c[18 * n + 18], 255);
  EXPECT_EQ(k[18 * n + 18], 0);
  EXPECT_EQ(k[10 * n + 10], 1);
  EXPECT_EQ(counts[1], 6);
  EXPECT_EQ(counts[3], 6);
  EXPECT_EQ(counts[255], 1);
}
