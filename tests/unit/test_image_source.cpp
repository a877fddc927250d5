#include <gtest/gtest.h>

#include "farmwatch/core/error.h"
#include "farmwatch/io/gdal_setup.h"
#include "farmwatch/io/image_source.h"
#include "test_support.h"

using namespace farmwatch;
using farmwatch::test::RasterSpec;

namespace {
io::ImageRequest request(const std::string& path, std::optional<io::BandMap> bands = {},
                         std::optional<double> scale = {}, std::optional<double> offset = {}) {
  io::ImageRequest r;
  r.path = path;
  r.bands = bands;
  r.scale = scale;
  r.offset = offset;
  return r;
}

class ImageSource : public ::testing::Test {
 protected:
  void SetUp() override { io::setup_gdal(nullptr); }
  test::TempDir dir;

  RasterSpec four_bands() {
    RasterSpec s;
    s.type = GDT_UInt16;
    s.bands = {std::vector<double>(16, 500), std::vector<double>(16, 800),
               std::vector<double>(16, 400), std::vector<double>(16, 4000)};
    s.bands[3][5] = 0;  // nodata in NIR
    s.descriptions = {"B02 blue (490 nm)", "B03 green", "B04 red", "B08 nir (842 nm)"};
    s.has_nodata = true;
    s.nodata = 0;
    s.scale = 0.0001;
    return s;
  }
  const std::set<BandRole> rgbn{BandRole::blue, BandRole::green, BandRole::red, BandRole::nir};
};
}  // namespace

TEST_F(ImageSource, DetectsRolesAndScaleFromTheFile) {
  test::write_raster(dir / "a.tif", four_bands());
  const auto info = io::inspect_image(request(dir / "a.tif"), rgbn);
  EXPECT_EQ(info.bands.to_string(), "blue=1,green=2,red=3,nir=4");
  EXPECT_DOUBLE_EQ(info.calibration[static_cast<std::size_t>(BandRole::nir)].mult, 0.0001);
  EXPECT_FALSE(info.is_class_map);
}

TEST_F(ImageSource, ReadsReflectanceWithNodataAsNaNInEveryBand) {
  test::write_raster(dir / "a.tif", four_bands());
  const auto info = io::inspect_image(request(dir / "a.tif"), rgbn);
  io::GridReader r(info, info.grid, io::Resampling::reflectance);
  EXPECT_FALSE(r.warped());
  ReflectanceBlock b;
  r.read_reflectance({0, 0, 4, 4}, b);
  EXPECT_NEAR(b.plane(BandRole::nir)[0], 0.4f, 1e-6);
  EXPECT_NEAR(b.plane(BandRole::red)[0], 0.04f, 1e-6);
  EXPECT_TRUE(std::isnan(b.plane(BandRole::nir)[5]));
  EXPECT_TRUE(std::isnan(b.plane(BandRole::red)[5]));  // invalid in one band: invalid
}

TEST_F(ImageSource, WarpsOntoAnotherGrid) {
  test::write_raster(dir / "a.tif", four_bands());
  const auto info = io::inspect_image(request(dir / "a.tif"), rgbn);
  // The same CRS at 20 m: each target pixel averages 2x2 source pixels.
  Grid target = Grid::snapped(info.grid.extent(), 20, info.grid.crs_wkt);
  io::GridReader r(info, target, io::Resampling::reflectance);
  EXPECT_TRUE(r.warped());
  ReflectanceBlock b;
  r.read_reflectance({0, 0, 2, 2}, b);
  EXPECT_NEAR(b.plane(BandRole::green)[0], 0.08f, 1e-5);
  EXPECT_NEAR(b.plane(BandRole::nir)[3], 0.4f, 1e-5);
}

TEST_F(ImageSource, ExplicitBandMapOverridesDescriptions) {
  test::write_raster(dir / "a.tif", four_bands());
  const auto info =
      io::inspect_image(request(dir / "a.tif", io::BandMap::parse("red=4,nir=3"), 0.001, 0.0), rgbn);
  EXPECT_EQ(info.bands[BandRole::red], 4);
  EXPECT_DOUBLE_EQ(info.calibration[static_cast<std::size_t>(BandRole::red)].mult, 0.001);
}

TEST_F(ImageSource, MissingBandIsAnInputErrorNamingFileAndRole) {
  auto s = four_bands();
  s.bands.pop_back();
  s.descriptions.pop_back();
  test::write_raster(dir / "three.tif", s);
  try {
    io::inspect_image(request(dir / "three.tif"), rgbn);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("three.tif"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("'nir'"), std::string::npos);
  }
  EXPECT_THROW(io::inspect_image(request(dir / "three.tif", io::BandMap::parse("nir=7")), rgbn),
               InputError);
}

TEST_F(ImageSource, RasterWithoutCrsIsRejected) {
  auto s = four_bands();
  s.epsg.clear();
  test::write_raster(dir / "nocrs.tif", s);
  try {
    io::inspect_image(request(dir / "nocrs.tif"), rgbn);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no coordinate reference system"), std::string::npos);
  }
}

TEST_F(ImageSource, IntegerDnWithoutScaleIsRejected) {
  auto s = four_bands();
  s.scale = 1;
  test::write_raster(dir / "dn.tif", s);
  EXPECT_THROW(io::inspect_image(request(dir / "dn.tif"), rgbn), InputError);
  EXPECT_NO_THROW(io::inspect_image(request(dir / "dn.tif", {}, 0.0001), rgbn));
}

TEST_F(ImageSource, MissingFileNamesThePath) {
  try {
    io::inspect_image(request(dir / "nope.tif"), rgbn);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("nope.tif"), std::string::npos);
  }
}

TEST(BandMap, ParsesAndRejects) {
  const auto m = io::BandMap::parse("blue=1,green=2,red=3,nir=4,swir1=5,swir2=6");
  EXPECT_EQ(m[BandRole::swir2], 6);
  EXPECT_THROW(io::BandMap::parse("infrared=4"), ConfigError);
  EXPECT_THROW(io::BandMap::parse("nir=0"), ConfigError);
  EXPECT_THROW(io::BandMap::parse("nir"), ConfigError);
}
