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
  const auto info = io::inspect_image(
      request(dir / "a.tif", io::BandMap::parse("red=4,nir=3"), 0.001, 0.0), rgbn);
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

TEST_F(ImageSource, SentinelTwoSclBandInTheStackMasksCloudAndShadow) {
  auto s = four_bands();
  std::vector<double> scl(16, 4);  // vegetation
  scl[1] = 9;                      // cloud high probability
  scl[2] = 3;                      // cloud shadow
  s.bands.push_back(scl);
  s.descriptions.push_back("SCL");
  s.has_nodata = false;
  test::write_raster(dir / "l2a.tif", s);
  const auto info = io::inspect_image(request(dir / "l2a.tif"), rgbn);
  EXPECT_EQ(info.quality_kind, QualityKind::sentinel2_scl);
  EXPECT_EQ(info.quality_band, 5);
  io::GridReader r(info, info.grid, io::Resampling::reflectance);
  ReflectanceBlock b;
  r.read_reflectance({0, 0, 4, 4}, b);
  EXPECT_FALSE(std::isnan(b.plane(BandRole::red)[0]));
  EXPECT_TRUE(std::isnan(b.plane(BandRole::red)[1]));
  EXPECT_TRUE(std::isnan(b.plane(BandRole::nir)[2]));
}

TEST_F(ImageSource, SeparateLandsatQaPixelFileOnItsOwnGridMasksCloudBits) {
  test::write_raster(dir / "sr.tif", four_bands());
  // 20 m QA over the 10 m image: its first pixel (top-left 2 x 2 image pixels) is cloud.
  test::RasterSpec qa;
  qa.type = GDT_UInt16;
  qa.width = qa.height = 2;
  qa.res = 20;
  qa.bands = {{1u << 3 | 1u << 6, 1u << 6, 1u << 6, 1u << 6}};  // bit 6 = clear
  test::write_raster(dir / "LC09_X_QA_PIXEL.TIF", qa);
  auto req = request(dir / "sr.tif");
  req.quality = dir / "LC09_X_QA_PIXEL.TIF";
  const auto info = io::inspect_image(req, rgbn);
  EXPECT_EQ(info.quality_kind, QualityKind::landsat_qa_pixel);
  io::GridReader r(info, info.grid, io::Resampling::reflectance);
  ReflectanceBlock b;
  r.read_reflectance({0, 0, 4, 4}, b);
  for (int i : {0, 1, 4}) EXPECT_TRUE(std::isnan(b.plane(BandRole::red)[i])) << i;
  for (int i : {2, 3, 8}) EXPECT_FALSE(std::isnan(b.plane(BandRole::red)[i])) << i;
}

TEST_F(ImageSource, QualityLayerOfUnknownKindIsRefused) {
  test::write_raster(dir / "a.tif", four_bands());
  test::RasterSpec q;
  q.bands = {std::vector<double>(16, 0)};
  test::write_raster(dir / "mask.tif", q);
  auto req = request(dir / "a.tif");
  req.quality = dir / "mask.tif";
  EXPECT_THROW(io::inspect_image(req, rgbn), InputError);
}

TEST(QualityMask, BitsAndClassesThatAreNoObservation) {
  EXPECT_TRUE(quality_invalid(QualityKind::sentinel2_scl, 8));
  EXPECT_TRUE(quality_invalid(QualityKind::sentinel2_scl, 0));
  EXPECT_FALSE(quality_invalid(QualityKind::sentinel2_scl, 5));  // bare soil is an observation
  EXPECT_TRUE(quality_invalid(QualityKind::landsat_qa_pixel, 1u << 4));   // shadow
  EXPECT_FALSE(quality_invalid(QualityKind::landsat_qa_pixel, 1u << 6));  // clear
  EXPECT_EQ(detect_quality("LC08_L2SP_X_QA_PIXEL.TIF"), QualityKind::landsat_qa_pixel);
  EXPECT_EQ(detect_quality("SCL scene classification"), QualityKind::sentinel2_scl);
  EXPECT_FALSE(detect_quality("B04 red"));
}
