// Real third-party imagery from ../shared/data (see its MANIFEST.md). Skipped when absent.
#include <gdal_alg.h>
#include <gtest/gtest.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "farmwatch/io/gdal_setup.h"
#include "farmwatch/io/image_source.h"
#include "test_support.h"

using namespace farmwatch;

namespace {
class RealData : public ::testing::Test {
 protected:
  void SetUp() override {
    data = test::shared_data_dir();
    if (data.empty())
      GTEST_SKIP() << "../shared/data is not beside the repository: real-data tests skipped";
  }
  std::string data;
};
}  // namespace

TEST_F(RealData, SentinelTwoChangePairRunsOnItsOwnGrid) {
  test::TempDir d;
  const std::string base = data + "/oscd_s2_change/rennes_";
  const auto r =
      test::run_cli({"change", "--before", base + "20150821_B02B03B04B08.tif", "--after",
                     base + "20170621_B02B03B04B08.tif", "--scale", "0.0001", "--out", d / "c"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto v = test::read_band(d / "c/change.tif");
  EXPECT_EQ(v.size(), 563u * 339u);
  for (double x : v) ASSERT_TRUE(x == 0 || x == 1 || x == 2 || x == 3 || x == 255) << x;
}

TEST_F(RealData, LandsatBandsAreFoundByTheirDescriptions) {
  const auto r =
      test::run_cli({"info", data + "/landsat_misc/satellite_L8_20130707_B2-B7_dn.tif", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  std::vector<std::string> roles;
  for (const auto& b : j["bands"]) roles.push_back(b.value("role", ""));
  EXPECT_EQ(roles, (std::vector<std::string>{"blue", "green", "red", "nir", "swir1", "swir2"}));
}

TEST_F(RealData, IntegerDnWithoutAScaleIsRefusedClearly) {
  test::TempDir d;
  const std::string img = data + "/landsat_change_cn/nanjing_20000503_6band.tif";
  const auto r = test::run_cli({"classify", "--in", img, "--out", d / "x.tif"});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("scale"), std::string::npos) << r.output;
  EXPECT_EQ(
      test::run_cli({"classify", "--in", img, "--out", d / "x.tif", "--scale", "0.004"}).exit_code,
      0);
}

namespace {
/// Reflectance of one pixel and role, read through farmwatch's reader.
float reflectance(const std::string& image, const std::string& mtl, BandRole role, int col,
                  int row) {
  io::setup_gdal(nullptr);
  io::ImageRequest req;
  req.path = image;
  req.profile = io::Profile::landsat;
  req.metadata = mtl;
  const auto info = io::inspect_image(req, {BandRole::red, BandRole::nir});
  io::GridReader reader(info, info.grid, io::Resampling::reflectance);
  ReflectanceBlock b;
  reader.read_reflectance({col, row, 1, 1}, b);
  return b.plane(role)[0];
}
}  // namespace

TEST_F(RealData, Landsat8LevelOneCalibrationMatchesTheMtlByHand) {
  const std::string dir = data + "/landsat_misc/";
  const std::string img = dir + "satellite_L8_20130707_B2-B7_dn.tif";
  const std::string mtl = dir + "LC08_L1TP_195025_20130707_20170503_01_T1_MTL.txt";
  // Pixel (10, 10): B4 (red) DN 8634, B5 (NIR) DN 12714; MTL: mult 2.0E-05, add -0.1,
  // sun 58.99675180.
  const double sun = std::sin(58.99675180 * M_PI / 180);
  EXPECT_NEAR(reflectance(img, mtl, BandRole::red, 10, 10), (2.0e-5 * 8634 - 0.1) / sun, 1e-6);
  EXPECT_NEAR(reflectance(img, mtl, BandRole::nir, 10, 10), (2.0e-5 * 12714 - 0.1) / sun, 1e-6);
}

TEST_F(RealData, Landsat7LevelOneCalibrationMatchesTheMtlByHand) {
  const std::string dir = data + "/landsat_misc/";
  const std::string img = dir + "satellite_L7_20010730_B1-B5B7_dn.tif";
  const std::string mtl = dir + "LE07_L1TP_195025_20010730_20170204_01_T1_MTL.txt";
  // Pixel (10, 10): B3 (red) DN 57, B4 (NIR) DN 53; sun elevation 53.87765310.
  const double sun = std::sin(53.87765310 * M_PI / 180);
  EXPECT_NEAR(reflectance(img, mtl, BandRole::red, 10, 10), (1.3198e-3 * 57 - 0.011935) / sun,
              1e-6);
  EXPECT_NEAR(reflectance(img, mtl, BandRole::nir, 10, 10), (2.9302e-3 * 53 - 0.018348) / sun,
              1e-6);
}

TEST_F(RealData, ClassifyReadsTheLandsatMtl) {
  test::TempDir d;
  const std::string dir = data + "/landsat_misc/";
  const auto r = test::run_cli(
      {"classify", "--in", dir + "satellite_L8_20130707_B2-B7_dn.tif", "--metadata",
       dir + "LC08_L1TP_195025_20130707_20170503_01_T1_MTL.txt", "--out", d / "l8.tif", "-v"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("TOA reflectance, sun elevation"), std::string::npos) << r.output;
}

namespace {
/// Share of observed pixels with a vegetation class (cropland, orchard, forest, grassland) inside
/// and outside a polygon layer, on the grid of a class map.
std::pair<double, double> vegetation_shares(const std::string& classes,
                                            const std::string& polygons) {
  GDALAllRegister();
  GDALDatasetUniquePtr cls(GDALDataset::Open(classes.c_str(), GDAL_OF_RASTER));
  if (!cls) throw std::runtime_error("cannot open " + classes);
  const int w = cls->GetRasterXSize(), h = cls->GetRasterYSize();
  GDALDatasetUniquePtr mask(
      GetGDALDriverManager()->GetDriverByName("MEM")->Create("", w, h, 1, GDT_Byte, nullptr));
  double gt[6];
  cls->GetGeoTransform(gt);
  mask->SetGeoTransform(gt);
  mask->SetSpatialRef(cls->GetSpatialRef());
  GDALDatasetUniquePtr vec(GDALDataset::Open(polygons.c_str(), GDAL_OF_VECTOR));
  if (!vec) throw std::runtime_error("cannot open " + polygons);
  OGRLayerH layer = OGRLayer::ToHandle(vec->GetLayer(0));
  int band = 1;
  double burn = 1;
  GDALRasterizeLayers(GDALDataset::ToHandle(mask.get()), 1, &band, 1, &layer, nullptr, nullptr,
                      &burn, nullptr, nullptr, nullptr);
  std::vector<std::uint8_t> c(static_cast<std::size_t>(w) * h), m(c.size());
  EXPECT_EQ(
      cls->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, w, h, c.data(), w, h, GDT_Byte, 0, 0, nullptr),
      CE_None);
  EXPECT_EQ(mask->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, w, h, m.data(), w, h, GDT_Byte, 0, 0,
                                             nullptr),
            CE_None);
  double veg[2] = {0, 0}, obs[2] = {0, 0};
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (c[i] >= 253) continue;  // shadow, cloud, nodata
    const int k = m[i] ? 0 : 1;
    ++obs[k];
    veg[k] += c[i] == 1 || c[i] == 3 || c[i] == 4 || c[i] == 5;
  }
  return {veg[0] / std::max(obs[0], 1.0), veg[1] / std::max(obs[1], 1.0)};
}
}  // namespace

TEST_F(RealData, DroneRgbTreeCrownComesOutAsVegetation) {
  test::TempDir d;
  const std::string dir = data + "/drone_rgb/";
  const auto r = test::run_cli(
      {"classify", "--in", dir + "deepforest_australia_drone_ortho_1p8cm.tif", "--profile", "drone",
       "--rules", test::source_dir() + "/pipelines/rules/landuse_rules_rgb.yaml", "--out",
       d / "drone.tif"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto [inside, outside] =
      vegetation_shares(d / "drone.tif", dir + "deepforest_australia_tree_crowns.gpkg");
  EXPECT_GE(inside, 0.8) << "vegetation share inside the labelled tree crown";
  EXPECT_GT(inside, outside + 0.3) << "outside: " << outside;
}

TEST_F(RealData, DroneRgbaAlphaMarksNodata) {
  test::TempDir d;
  const std::string img = data + "/drone_rgb/webodm_fixture_odm_orthophoto_rgba_50cm.tif";
  const auto r = test::run_cli({"classify", "--in", img, "--profile", "drone", "--rules",
                                test::source_dir() + "/pipelines/rules/landuse_rules_rgb.yaml",
                                "--out", d / "odm.tif"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto alpha = test::read_band(img, 4);
  const auto cls = test::read_band(d / "odm.tif");
  ASSERT_EQ(alpha.size(), cls.size());
  std::size_t transparent = 0, mismatched = 0;
  for (std::size_t i = 0; i < alpha.size(); ++i) {
    transparent += alpha[i] == 0;
    mismatched += (alpha[i] == 0) != (cls[i] == 255);
  }
  EXPECT_GT(transparent, 0u);
  EXPECT_EQ(mismatched, 0u);
}
