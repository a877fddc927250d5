// Kinds of input that used to fail: south-up and rotated GeoTIFFs, GBK shapefiles without a
// .cpg, warped images losing their band metadata, curved geometries. Every input is
// generated here.
#include <gtest/gtest.h>
#include <ogrsf_frmts.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "farmwatch/core/text_encoding.h"
#include "test_support.h"

using namespace farmwatch;
namespace fs = std::filesystem;

namespace {

/// A 48 x 36 Sentinel-2-like scene (blue, green, red, nir) of UInt16 DNs from processing
/// baseline 04.00 (reflectance = DN x 0.0001 - 0.1): crops, bare soil, water and roofs in
/// bands of rows, with texture so that no two rows are alike.
test::RasterSpec s2_scene() {
  test::RasterSpec s;
  s.width = 48;
  s.height = 36;
  s.type = GDT_UInt16;
  s.scale = 0.0001;
  s.offset = -0.1;
  s.descriptions = {"B02 blue", "B03 green", "B04 red", "B08 nir"};
  s.metadata = {{"PROCESSING_BASELINE", "04.00"}};
  const double covers[4][4] = {{0.03, 0.06, 0.04, 0.40},   // crops
                               {0.10, 0.14, 0.18, 0.24},   // bare soil
                               {0.05, 0.06, 0.04, 0.02},   // water
                               {0.20, 0.21, 0.22, 0.25}};  // roofs
  s.bands.assign(4, std::vector<double>(std::size_t(s.width) * s.height));
  for (int r = 0; r < s.height; ++r)
    for (int c = 0; c < s.width; ++c) {
      const int k = ((r / 9) + (c / 12)) % 4;
      const double texture = 0.005 * std::sin(0.7 * r + 1.3 * c);
      for (int b = 0; b < 4; ++b)
        s.bands[b][std::size_t(r) * s.width + c] =
            std::round((covers[k][b] + texture + 0.1) / 0.0001);
    }
  return s;
}

nlohmann::json info_json(const std::string& path) {
  const auto r = test::run_cli({"info", path, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return nlohmann::json::parse(r.output);
}

}  // namespace

TEST(Inputs, SouthUpGeoTiffGivesTheSameClassesAndPixelsAsNorthUp) {
  test::TempDir d;
  auto scene = s2_scene();
  test::write_raster(d / "north.tif", scene);
  scene.south_up = true;
  test::write_raster(d / "south.tif", scene);

  for (const char* name : {"north", "south"}) {
    const auto c = test::run_cli({"classify", "--in", d / (std::string(name) + ".tif"), "--out",
                                  d / (std::string(name) + "_lu.tif")});
    ASSERT_EQ(c.exit_code, 0) << c.output;
    const auto w = test::run_cli({"warp", "--in", d / (std::string(name) + ".tif"), "--out",
                                  d / (std::string(name) + "_w.tif"), "--crs", "EPSG:32650",
                                  "--resolution", "10"});
    ASSERT_EQ(w.exit_code, 0) << w.output;
  }
  // The south-up image gives the same north-up grid as the north-up one.
  for (const char* lu : {"north_lu.tif", "south_lu.tif"}) {
    GDALDatasetUniquePtr ds(GDALDataset::Open((d / lu).c_str(), GDAL_OF_RASTER));
    ASSERT_TRUE(ds) << lu;
    double gt[6];
    ASSERT_EQ(ds->GetGeoTransform(gt), CE_None);
    EXPECT_EQ(std::vector<double>(gt, gt + 6),
              (std::vector<double>{500000, 10, 0, 3500000, 0, -10}))
        << lu;
    EXPECT_EQ(ds->GetRasterXSize(), 48);
    EXPECT_EQ(ds->GetRasterYSize(), 36);
  }
  const auto classes = test::read_band(d / "north_lu.tif");
  EXPECT_EQ(test::read_band(d / "south_lu.tif"), classes);
  std::set<double> distinct(classes.begin(), classes.end());
  EXPECT_GE(distinct.size(), 3u) << "the scene should hold several classes";
  for (int b = 1; b <= 4; ++b)
    EXPECT_EQ(test::read_band(d / "south_w.tif", b), test::read_band(d / "north_w.tif", b)) << b;

  const auto j = info_json(d / "south.tif");
  EXPECT_EQ(j["pixel_size"][0], 10.0);
  EXPECT_EQ(j["pixel_size"][1], 10.0);
  EXPECT_EQ(j["orientation"], "south-up");
  const auto t = test::run_cli({"info", d / "south.tif"});
  EXPECT_NE(t.output.find("pixel size: 10.0 x 10.0"), std::string::npos) << t.output;
}

TEST(Inputs, RotatedGeoTiffIsWarpedOntoANorthUpGridOfItsGroundSize) {
  test::TempDir d;
  const auto scene = s2_scene();
  test::write_raster(d / "r.tif", scene);
  {
    // Turned by 20 degrees about its north-west corner.
    GDALDatasetUniquePtr ds(GDALDataset::Open((d / "r.tif").c_str(), GDAL_OF_UPDATE));
    const double a = 20 * M_PI / 180;
    double gt[6] = {500000,  10 * std::cos(a), 10 * std::sin(a),
                    3500000, 10 * std::sin(a), -10 * std::cos(a)};
    ds->SetGeoTransform(gt);
  }
  const auto j = info_json(d / "r.tif");
  EXPECT_NEAR(j["pixel_size"][0].get<double>(), 10, 1e-9);
  EXPECT_NEAR(j["pixel_size"][1].get<double>(), 10, 1e-9);
  EXPECT_EQ(j["orientation"], "rotated");
  const auto c = test::run_cli({"classify", "--in", d / "r.tif", "--out", d / "lu.tif"});
  ASSERT_EQ(c.exit_code, 0) << c.output;
  GDALDatasetUniquePtr lu(GDALDataset::Open((d / "lu.tif").c_str(), GDAL_OF_RASTER));
  double gt[6];
  ASSERT_EQ(lu->GetGeoTransform(gt), CE_None);
  EXPECT_DOUBLE_EQ(gt[1], 10);
  EXPECT_DOUBLE_EQ(gt[5], -10);
  EXPECT_EQ(gt[2], 0);
  EXPECT_EQ(gt[4], 0);
  // The bounding box of the turned footprint: wider and taller than 48 x 36 pixels.
  EXPECT_GT(lu->GetRasterXSize(), 48);
  EXPECT_GT(lu->GetRasterYSize(), 36);
}

TEST(Inputs, RasterWithoutGeoreferenceIsRefusedSayingSo) {
  test::TempDir d;
  auto scene = s2_scene();
  scene.epsg.clear();
  scene.no_geotransform = true;
  test::write_raster(d / "plain.tif", scene);
  const auto r = test::run_cli({"classify", "--in", d / "plain.tif", "--out", d / "lu.tif"});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("plain.tif"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("no georeference"), std::string::npos) << r.output;
}

TEST(Inputs, DegreesBeyondThePolesAreRefusedNamingTheRaster) {
  // Pixels of 10 under EPSG:4326 (a geotransform in other units): the raster reached latitude
  // -364 and ran with areas of 5e13 m² (found by a new user's odd inputs).
  test::TempDir d;
  auto scene = s2_scene();
  scene.epsg = "EPSG:4326";
  scene.origin_x = 117;
  scene.origin_y = 36;
  test::write_raster(d / "degrees.tif", scene);
  const auto r = test::run_cli({"classify", "--in", d / "degrees.tif", "--out", d / "lu.tif"});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("degrees.tif"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("beyond the poles"), std::string::npos) << r.output;
  // The same raster with pixels of 0.0001 degrees is read.
  scene.res = 1e-4;
  test::write_raster(d / "small.tif", scene);
  const auto ok = test::run_cli({"classify", "--in", d / "small.tif", "--out", d / "lu2.tif"});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
}

TEST(Inputs, WarpKeepsScaleOffsetDescriptionsAndBaselineAndClassifiesTheSame) {
  test::TempDir d;
  test::write_raster(d / "s2.tif", s2_scene());
  const auto w = test::run_cli({"warp", "--in", d / "s2.tif", "--out", d / "w.tif", "--crs",
                                "EPSG:32650", "--resolution", "10"});
  ASSERT_EQ(w.exit_code, 0) << w.output;
  GDALAllRegister();
  GDALDatasetUniquePtr ds(GDALDataset::Open((d / "w.tif").c_str(), GDAL_OF_RASTER));
  ASSERT_TRUE(ds);
  const char* names[] = {"B02 blue", "B03 green", "B04 red", "B08 nir"};
  for (int b = 1; b <= 4; ++b) {
    GDALRasterBand* band = ds->GetRasterBand(b);
    int has = 0;
    EXPECT_EQ(band->GetRasterDataType(), GDT_UInt16);
    EXPECT_DOUBLE_EQ(band->GetScale(&has), 0.0001);
    EXPECT_TRUE(has);
    EXPECT_DOUBLE_EQ(band->GetOffset(&has), -0.1);
    EXPECT_TRUE(has);
    EXPECT_STREQ(band->GetDescription(), names[b - 1]);
  }
  ASSERT_TRUE(ds->GetMetadataItem("PROCESSING_BASELINE"));
  EXPECT_STREQ(ds->GetMetadataItem("PROCESSING_BASELINE"), "04.00");
  ds.reset();

  for (const char* in : {"s2", "w"}) {
    const auto c = test::run_cli({"classify", "--in", d / (std::string(in) + ".tif"), "--out",
                                  d / (std::string(in) + "_lu.tif")});
    ASSERT_EQ(c.exit_code, 0) << c.output;
  }
  EXPECT_EQ(test::read_band(d / "w_lu.tif"), test::read_band(d / "s2_lu.tif"));
}

TEST(Inputs, IntegerDnsWithoutARuleAreRefusedNamingScaleAndOffset) {
  test::TempDir d;
  auto scene = s2_scene();
  scene.scale = 1;
  scene.offset = 0;
  scene.metadata.clear();
  test::write_raster(d / "bare.tif", scene);
  const auto r = test::run_cli({"classify", "--in", d / "bare.tif", "--out", d / "lu.tif"});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("--scale"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--offset"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("offset -0.1"), std::string::npos) << r.output;
}

TEST(Inputs, GbkShapefileWithoutCpgIsShownAsUtf8ByInfo) {
  test::TempDir d;
  test::VectorSpec spec;
  spec.driver = "ESRI Shapefile";
  spec.layer = "parcels";
  spec.fields = {"地块编号", "村名称"};
  spec.features = {{{"东湖村001", "东湖村"},
                    "POLYGON((500000 3499800,500100 3499800,500100 3499900,500000 3499800))"}};
  spec.layer_options = {"ENCODING=CP936"};
  test::write_vector(d / "gbk.shp", spec);
  fs::remove(d / "gbk.cpg");

  const auto t = test::run_cli({"info", d / "gbk.shp"});
  ASSERT_EQ(t.exit_code, 0) << t.output;
  EXPECT_NE(t.output.find("field 地块编号 (String)"), std::string::npos) << t.output;
  EXPECT_NE(t.output.find("GB18030"), std::string::npos) << t.output;
  EXPECT_TRUE(is_utf8(t.output));
  const auto j = info_json(d / "gbk.shp");
  EXPECT_EQ(j["encoding"], "GB18030");
  EXPECT_EQ(j["layers"][0]["fields"][0]["name"], "地块编号");
  EXPECT_EQ(j["layers"][0]["fields"][1]["name"], "村名称");

  // The same layer as farmland for zonal: its ids come out as UTF-8.
  test::write_raster(d / "s2.tif", s2_scene());
  ASSERT_EQ(test::run_cli({"classify", "--in", d / "s2.tif", "--out", d / "lu.tif"}).exit_code, 0);
  const auto z = test::run_cli({"zonal", "--classes", d / "lu.tif", "--parcels", d / "gbk.shp",
                                "--id-field", "地块编号", "--out", d / "z.csv"});
  ASSERT_EQ(z.exit_code, 0) << z.output;
  EXPECT_NE(test::read_text(d / "z.csv").find("东湖村001,"), std::string::npos);

  // Bytes valid in no encoding: refused, naming the file and asking for a .cpg.
  spec.layer = "odd";
  spec.features[0].first = {
      "\xFF\xFE"
      "01",
      "x"};
  spec.layer_options = {"ENCODING="};
  test::write_vector(d / "odd.shp", spec);
  fs::remove(d / "odd.cpg");
  for (const bool json : {false, true}) {
    const auto r = json ? test::run_cli({"info", d / "odd.shp", "--json"})
                        : test::run_cli({"info", d / "odd.shp"});
    EXPECT_EQ(r.exit_code, 4) << r.output;
    EXPECT_NE(r.output.find("odd.shp"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(".cpg"), std::string::npos) << r.output;
  }
}

TEST(Inputs, CurvedGeometriesAreDescribedAndGetTheirArea) {
  test::TempDir d;
  test::VectorSpec spec;
  spec.fields = {"id"};
  // A circle of radius 50 m, and a half disc of radius 50 m in a MultiSurface.
  spec.features = {
      {{"circle"}, "CURVEPOLYGON(CIRCULARSTRING(500050 3499700,500150 3499700,500050 3499700))"},
      {{"half"},
       "MULTISURFACE(CURVEPOLYGON(COMPOUNDCURVE(CIRCULARSTRING(500250 3499750,500300 3499800,"
       "500350 3499750),(500350 3499750,500250 3499750))))"}};
  test::write_vector(d / "arcs.gpkg", spec);
  const auto t = test::run_cli({"info", d / "arcs.gpkg"});
  ASSERT_EQ(t.exit_code, 0) << t.output;
  EXPECT_NE(t.output.find("curved geometries: 2"), std::string::npos) << t.output;
  const auto j = info_json(d / "arcs.gpkg");
  EXPECT_EQ(j["layers"][0]["features"], 2);
  EXPECT_EQ(j["layers"][0]["curved_geometries"], 2);

  test::write_raster(d / "s2.tif", s2_scene());
  ASSERT_EQ(test::run_cli({"classify", "--in", d / "s2.tif", "--out", d / "lu.tif"}).exit_code, 0);
  const auto z = test::run_cli({"zonal", "--classes", d / "lu.tif", "--parcels", d / "arcs.gpkg",
                                "--id-field", "id", "--out", d / "z.csv"});
  ASSERT_EQ(z.exit_code, 0) << z.output;
  std::map<std::string, double> area;
  std::istringstream csv(test::read_text(d / "z.csv"));
  std::string line;
  std::getline(csv, line);  // header
  while (std::getline(csv, line)) {
    std::istringstream row(line);
    std::string id, code, a;
    std::getline(row, id, ',');
    std::getline(row, code, ',');
    std::getline(row, a, ',');
    area[id] += std::stod(a);
  }
  const double circle = M_PI * 50 * 50;
  EXPECT_NEAR(area["circle"], circle, 0.01 * circle);
  EXPECT_NEAR(area["half"], circle / 2, 0.01 * circle / 2);
}
