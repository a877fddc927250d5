// The analyst's subcommands, run on the sample tiles.
#include <gdal_utils.h>
#include <gtest/gtest.h>
#include <ogrsf_frmts.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_support.h"

using namespace farmwatch;
namespace fs = std::filesystem;

namespace {
std::string a() { return test::sample("sample_20240315.tif"); }
std::string b() { return test::sample("sample_20240820.tif"); }

std::array<double, 6> geotransform(const std::string& path) {
  GDALAllRegister();
  GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER));
  std::array<double, 6> gt{};
  if (ds) ds->GetGeoTransform(gt.data());
  return gt;
}
}  // namespace

TEST(Commands, EveryCommandHasHelpWithThreadsAndVerbose) {
  for (const char* c :
       {"run", "info", "classify", "change", "tiles", "warp", "evaluate", "train"}) {
    const auto r = test::run_cli({c, "--help"});
    EXPECT_EQ(r.exit_code, 0) << c;
    EXPECT_NE(r.output.find("--threads"), std::string::npos) << c;
    EXPECT_NE(r.output.find("--verbose"), std::string::npos) << c;
  }
}

TEST(Commands, InfoDescribesRasterBandsAndVectorLayers) {
  const auto r = test::run_cli({"info", a()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("role=nir"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("EPSG:32650"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("reflectance: band scale/offset metadata"), std::string::npos)
      << r.output;
  const auto v = test::run_cli({"info", test::sample("farmland.gpkg"), "--json"});
  ASSERT_EQ(v.exit_code, 0) << v.output;
  const auto j = nlohmann::json::parse(v.output);
  EXPECT_EQ(j["layers"][0]["features"], 49);
  EXPECT_EQ(j["layers"][0]["invalid_geometries"], 0);
  EXPECT_EQ(test::run_cli({"info", "/nonexistent.tif"}).exit_code, 4);
}

TEST(Commands, ClassifyWritesAPalettedLandUseMapOnTheImageGrid) {
  test::TempDir d;
  const auto r = test::run_cli({"classify", "--in", a(), "--out", d / "lu.tif", "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("cropland"), std::string::npos);
  EXPECT_EQ(geotransform(d / "lu.tif"), geotransform(a()));
  const auto v = test::read_band(d / "lu.tif");
  EXPECT_EQ(v[200 * 420 + 2], 255);  // the nodata strip
  EXPECT_FALSE(fs::exists(d / "lu.tif.d"));
}

TEST(Commands, ChangeWithoutFarmlandWatchesTheWholeAreaOnTheFirstImagesGrid) {
  test::TempDir d;
  const auto r = test::run_cli({"change", "--before", a(), "--after", b(), "--out", d / "c"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(geotransform(d / "c/change.tif"), geotransform(a()));
  for (const char* f : {"changes.gpkg", "changes.geojson", "changes.csv", "summary.json"})
    EXPECT_TRUE(fs::exists(d / ("c/" + std::string(f)))) << f;
  const auto s = nlohmann::json::parse(test::read_text(d / "c/summary.json"));
  EXPECT_EQ(s["inputs"]["dates"][0]["date"], "2024-03-15");  // read from the file name
  EXPECT_GE(s["changes"]["categories"]["non_agricultural"]["patches"].get<int>(), 1);
  EXPECT_GE(s["changes"]["categories"]["non_grain"]["patches"].get<int>(), 2);
}

TEST(Commands, ChangeCanSkipCoregistrationAndNormalisation) {
  test::TempDir d;
  const auto r = test::run_cli({"change", "--before", a(), "--after", b(), "--out", d / "c",
                                "--no-coregister", "--no-normalise"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto s = nlohmann::json::parse(test::read_text(d / "c/summary.json"));
  EXPECT_FALSE(s.contains("coregistration"));
  EXPECT_FALSE(s.contains("radiometric_normalisation"));
  EXPECT_TRUE(s["timings_s"].contains("classify"));
}

TEST(Commands, ChangeAcceptsTwoLandUseMaps) {
  test::TempDir d;
  ASSERT_EQ(test::run_cli({"classify", "--in", a(), "--out", d / "a.tif"}).exit_code, 0);
  ASSERT_EQ(test::run_cli({"classify", "--in", b(), "--out", d / "b.tif"}).exit_code, 0);
  const auto r =
      test::run_cli({"change", "--before", d / "a.tif", "--after", d / "b.tif", "--out", d / "c",
                     "--farmland", test::sample("farmland.gpkg"), "--id-field", "地块编号"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto s = nlohmann::json::parse(test::read_text(d / "c/summary.json"));
  EXPECT_EQ(s["changes"]["categories"]["non_agricultural"]["patches"], 1);
  EXPECT_EQ(s["changes"]["categories"]["non_grain"]["patches"], 2);
}

TEST(Commands, TilesWritesXyzPngs) {
  test::TempDir d;
  ASSERT_EQ(test::run_cli({"classify", "--in", a(), "--out", d / "a.tif"}).exit_code, 0);
  const auto r = test::run_cli({"tiles", "--in", d / "a.tif", "--out", d / "t", "--min-zoom",
                                "12", "--max-zoom", "13", "--grid", "webmercator"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  int n = 0;
  for (const auto& e : fs::recursive_directory_iterator(d / "t"))
    n += e.path().extension() == ".png";
  EXPECT_GT(n, 0);
  EXPECT_TRUE(fs::exists(d / "t/webmercator/a/12"));
  EXPECT_FALSE(fs::exists(d / "t/webmercator/a/14"));
  EXPECT_TRUE(fs::exists(d / "t/webmercator/a.mbtiles"));
  EXPECT_FALSE(fs::exists(d / "t/tianditu-c"));
}

TEST(Commands, WarpAgreesWithGdalwarp) {
  test::TempDir d;
  const auto r = test::run_cli(
      {"warp", "--in", a(), "--out", d / "fw.tif", "--crs", "EPSG:4527", "--resolution", "10"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The same warp by GDAL's own gdalwarp (bilinear, grid aligned to 10 m multiples).
  GDALAllRegister();
  GDALDatasetUniquePtr src(GDALDataset::Open(a().c_str(), GDAL_OF_RASTER));
  const char* argv[] = {"-t_srs", "EPSG:4527", "-tr",      "10",   "10",
                        "-tap",   "-r",        "bilinear", nullptr};
  GDALWarpAppOptions* opts = GDALWarpAppOptionsNew(const_cast<char**>(argv), nullptr);
  GDALDatasetH h = GDALDataset::ToHandle(src.get());
  GDALDatasetH ref = GDALWarp((d / "gdal.tif").c_str(), nullptr, 1, &h, opts, nullptr);
  GDALWarpAppOptionsFree(opts);
  ASSERT_NE(ref, nullptr);
  GDALClose(ref);
  EXPECT_EQ(geotransform(d / "fw.tif"), geotransform(d / "gdal.tif"));
  for (int band = 1; band <= 4; ++band) {
    const auto x = test::read_band(d / "fw.tif", band), y = test::read_band(d / "gdal.tif", band);
    ASSERT_EQ(x.size(), y.size());
    std::size_t close = 0;
    for (std::size_t i = 0; i < x.size(); ++i) close += std::fabs(x[i] - y[i]) <= 1;
    EXPECT_GE(close, x.size() * 99 / 100) << "band " << band;
  }
}

TEST(Commands, ClassifyOnAnotherGrid) {
  test::TempDir d;
  const auto r = test::run_cli(
      {"classify", "--in", a(), "--out", d / "lu.tif", "--crs", "EPSG:4527", "--resolution", "20"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto gt = geotransform(d / "lu.tif");
  EXPECT_DOUBLE_EQ(gt[1], 20);
  EXPECT_EQ(std::fmod(gt[0], 20.0), 0.0);
  EXPECT_EQ(test::run_cli({"classify", "--in", a(), "--out", d / "x.tif", "--crs", "EPSG:4527"})
                .exit_code,
            2);
}

TEST(Commands, EvaluateAgainstPolygonsWritesTheMatrixAndAreas) {
  test::TempDir d;
  // A 10 x 10 map at 10 m: class 1 in the west half, class 2 in the east half.
  test::RasterSpec s;
  s.width = s.height = 10;
  s.type = GDT_Byte;
  s.bands.assign(1, std::vector<double>(100, 2));
  for (int r = 0; r < 10; ++r)
    for (int c = 0; c < 5; ++c) s.bands[0][static_cast<std::size_t>(r * 10 + c)] = 1;
  s.nodata = 255;
  s.has_nodata = true;
  test::write_raster(d / "map.tif", s);
  // Reference: the west 6 columns labelled 1 (fid 1), the east 2 columns labelled 2 (fid 2).
  std::ofstream(d / "ref.geojson")
      << R"({"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:32650"}},
"features":[
{"type":"Feature","id":1,"properties":{"code":1},"geometry":{"type":"Polygon","coordinates":[[[500000,3500000],[500060,3500000],[500060,3499900],[500000,3499900],[500000,3500000]]]}},
{"type":"Feature","id":2,"properties":{"code":2},"geometry":{"type":"Polygon","coordinates":[[[500080,3500000],[500100,3500000],[500100,3499900],[500080,3499900],[500080,3500000]]]}}]})";
  const auto r = test::run_cli({"evaluate", "--map", d / "map.tif", "--reference",
                                d / "ref.geojson", "--field", "code", "--out", d / "ev"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("kappa"), std::string::npos) << r.output;
  const auto j = nlohmann::json::parse(test::read_text(d / "ev/accuracy.json"));
  // 60 pixels labelled 1 (50 mapped 1, 10 mapped 2), 20 labelled 2 (mapped 2).
  EXPECT_EQ(j["confusion_matrix"], nlohmann::json::parse("[[50, 0], [10, 20]]"));
  EXPECT_NEAR(j["overall_accuracy"].get<double>(), 70.0 / 80, 1e-9);
  EXPECT_TRUE(fs::exists(d / "ev/confusion.csv"));
  EXPECT_TRUE(fs::exists(d / "ev/classes.csv"));
  // Olofsson: map class 2 is half the map and a third of its samples are class 1.
  const double est1 = j["classes"][0]["estimated_area_m2"].get<double>();
  EXPECT_NEAR(est1 / (j["grid_area_m2"].get<double>()), 0.5 + 0.5 / 3, 0.01);

  // Only fid 2: every labelled pixel is class 2.
  const auto w = test::run_cli({"evaluate", "--map", d / "map.tif", "--reference",
                                d / "ref.geojson", "--field", "code", "--where", "code = 2"});
  ASSERT_EQ(w.exit_code, 0) << w.output;
  EXPECT_NE(w.output.find("20 reference pixels"), std::string::npos) << w.output;

  const auto bad = test::run_cli(
      {"evaluate", "--map", d / "map.tif", "--reference", d / "ref.geojson", "--field", "nope"});
  EXPECT_EQ(bad.exit_code, 4);
  EXPECT_NE(bad.output.find("no field 'nope'"), std::string::npos) << bad.output;
}

TEST(Commands, TrainClassifyWithTheModelAndEvaluate) {
  test::TempDir d;
  // A 40 x 40 image: a bright roof block (label 40) in a green field (label 12), with labels
  // for the west half only; the map must get the east half right too.
  test::RasterSpec img;
  img.width = img.height = 40;
  img.descriptions = {"B02 blue", "B03 green", "B04 red", "B08 nir"};
  img.bands.assign(4, std::vector<double>(1600));
  test::RasterSpec lab = img;
  lab.type = GDT_Byte;
  lab.descriptions.clear();
  lab.bands.assign(1, std::vector<double>(1600, 0));
  for (int r = 0; r < 40; ++r)
    for (int c = 0; c < 40; ++c) {
      const auto i = static_cast<std::size_t>(r * 40 + c);
      const bool roof = r >= 10 && r < 30 && (c % 20) >= 5 && (c % 20) < 15;
      const double jitter = 0.002 * ((r * 7 + c * 3) % 5);
      const double v[] = {roof ? 0.20 : 0.04, roof ? 0.21 : 0.07, roof ? 0.22 : 0.04,
                          roof ? 0.25 : 0.40};
      for (int b = 0; b < 4; ++b) img.bands[static_cast<std::size_t>(b)][i] = v[b] + jitter;
      if (c < 20) lab.bands[0][i] = roof ? 40 : 12;
    }
  test::write_raster(d / "img.tif", img);
  test::write_raster(d / "labels.tif", lab);
  auto r = test::run_cli({"train", "--image", d / "img.tif", "--labels", d / "labels.tif", "--out",
                          d / "m.yml", "--trees", "20"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run_cli({"classify", "--model", d / "m.yml", "--in", d / "img.tif", "--out",
                     d / "map.tif", "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto map = test::read_band(d / "map.tif");
  EXPECT_EQ(map[20 * 40 + 30], 40);  // the east roof, never labelled
  EXPECT_EQ(map[2 * 40 + 38], 12);
  // The whole map against labels everywhere: right but for the odd rim pixel.
  for (auto& v : lab.bands[0]) v = 0;
  for (int i = 0; i < 1600; ++i)
    lab.bands[0][static_cast<std::size_t>(i)] =
        img.bands[3][static_cast<std::size_t>(i)] < 0.3 ? 40 : 12;
  test::write_raster(d / "all.tif", lab);
  r = test::run_cli(
      {"evaluate", "--map", d / "map.tif", "--reference", d / "all.tif", "--out", d / "ev"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(test::read_text(d / "ev/accuracy.json"));
  EXPECT_GE(j["overall_accuracy"].get<double>(), 0.97);

  // The same map with one thread; and input the model does not fit is refused.
  r = test::run_cli({"classify", "--model", d / "m.yml", "--in", d / "img.tif", "--out",
                     d / "map1.tif", "--threads", "1"});
  EXPECT_EQ(test::read_text(d / "map1.tif"), test::read_text(d / "map.tif"));
  r = test::run_cli(
      {"classify", "--model", d / "m.yml", "--in", a(), "--in", a(), "--out", d / "x.tif"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.output.find("trained on 1 date"), std::string::npos) << r.output;
  test::RasterSpec three = img;
  three.bands.resize(3);
  three.descriptions.resize(3);
  test::write_raster(d / "three.tif", three);
  r = test::run_cli(
      {"classify", "--model", d / "m.yml", "--in", d / "three.tif", "--out", d / "x.tif"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.output.find("does not fit model"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(d / "x.tif"));
}

TEST(Commands, LearnedMapsCarryTheClassTableAndChangeUsesIt) {
  test::TempDir d;
  // Two dates of a 40 x 40 field; on the second a 10 x 10 roof stands in it.
  auto date = [](bool roof_built) {
    test::RasterSpec img;
    img.width = img.height = 40;
    img.descriptions = {"B02 blue", "B03 green", "B04 red", "B08 nir"};
    img.bands.assign(4, std::vector<double>(1600));
    for (int r = 0; r < 40; ++r)
      for (int c = 0; c < 40; ++c) {
        const auto i = static_cast<std::size_t>(r * 40 + c);
        const bool roof =
            (r < 8 && c < 8) || (roof_built && r >= 20 && r < 30 && c >= 20 && c < 30);
        const double jitter = 0.002 * ((r * 7 + c * 3) % 5);
        const double v[] = {roof ? 0.20 : 0.04, roof ? 0.21 : 0.07, roof ? 0.22 : 0.04,
                            roof ? 0.25 : 0.40};
        for (int b = 0; b < 4; ++b) img.bands[static_cast<std::size_t>(b)][i] = v[b] + jitter;
      }
    return img;
  };
  test::write_raster(d / "a.tif", date(false));
  test::write_raster(d / "b.tif", date(true));
  test::RasterSpec lab = date(false);
  lab.type = GDT_Byte;
  lab.descriptions.clear();
  lab.bands.assign(1, std::vector<double>(1600, 0));
  for (int i = 0; i < 1600; ++i)
    lab.bands[0][static_cast<std::size_t>(i)] = (i / 40 < 8 && i % 40 < 8) ? 40 : 12;
  test::write_raster(d / "labels.tif", lab);
  // Label 12 is cropland (旱地 0103), 40 built-up (农村宅基地 0702) in the office's table.
  std::ofstream(d / "classes.csv") << "code,key,name,gbt21010,color\n"
                                   << "12,cropland,耕地,0103,#f5deb3\n"
                                   << "40,built_up,建设用地,0702,#c80000\n";
  auto r =
      test::run_cli({"train", "--image", d / "a.tif", "--labels", d / "labels.tif", "--class-table",
                     d / "classes.csv", "--out", d / "m.yml", "--trees", "20"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* t : {"a", "b"}) {
    r = test::run_cli({"classify", "--model", d / "m.yml", "--in", d / (std::string(t) + ".tif"),
                       "--out", d / (std::string(t) + "_map.tif")});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  // The map says what its codes are.
  GDALAllRegister();
  {
    std::unique_ptr<GDALDataset> ds(GDALDataset::Open((d / "b_map.tif").c_str(), GDAL_OF_RASTER));
    const char* meta = ds->GetMetadataItem("FARMWATCH_CLASSES");
    ASSERT_TRUE(meta);
    const auto j = nlohmann::json::parse(meta);
    EXPECT_EQ(j[1]["key"], "built_up");
    EXPECT_EQ(j[1]["gbt21010_name"], "农村宅基地");
    const GDALColorEntry* e = ds->GetRasterBand(1)->GetColorTable()->GetColorEntry(40);
    EXPECT_EQ(e->c1, 200);
  }
  // change compares the two learned maps with their own classes: cropland -> built_up on
  // farmland is 非农化, whatever the codes.
  test::write_parcels(d / "farm.gpkg",
                      {{"P1",
                        "POLYGON((500000 3499600,500400 3499600,500400 3500000,"
                        "500000 3500000,500000 3499600))"}},
                      32650);
  r = test::run_cli({"change", "--before", d / "a_map.tif", "--after", d / "b_map.tif", "--out",
                     d / "ch", "--farmland", d / "farm.gpkg", "--id-field", "地块编号"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto gj = nlohmann::json::parse(test::read_text(d / "ch/changes.geojson"));
  ASSERT_EQ(gj["features"].size(), 1u) << r.output;
  const auto& p = gj["features"][0]["properties"];
  EXPECT_EQ(p["category_code"], "non_agricultural");
  EXPECT_EQ(p["class_after"], "建设用地");
  EXPECT_EQ(p["gbt_after"], "0702");
  // 100 pixels of 10 m on the UTM grid; on the ellipsoid 1/0.9996² of that at the central meridian.
  EXPECT_NEAR(p["area_m2"].get<double>(), 10000 / (0.9996 * 0.9996), 1);

  // A class table that is not GB/T 21010 is refused with the file and line.
  std::ofstream(d / "bad.csv") << "code,key,name,gbt21010\n12,cropland,耕地,0199\n";
  r = test::run_cli({"train", "--image", d / "a.tif", "--labels", d / "labels.tif", "--class-table",
                     d / "bad.csv", "--out", d / "m2.yml"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.output.find("bad.csv' line 2: '0199' is not a GB/T 21010"), std::string::npos)
      << r.output;
}

TEST(Commands, ZonalClassAreasAddUpToEachParcelsArea) {
  test::TempDir d;
  // The sample's land use on the farmland's own CRS (CGCS2000 / GK zone 39), 10 m.
  auto r = test::run_cli(
      {"classify", "--in", a(), "--out", d / "lu.tif", "--crs", "EPSG:4527", "--resolution", "10"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run_cli({"zonal", "--classes", d / "lu.tif", "--parcels", test::sample("farmland.gpkg"),
                     "--id-field", "地块编号", "--out", d / "z.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Sum per parcel; the layer's 面积_亩 is each rectangle's area (2 decimals of a mu).
  std::map<std::string, double> sum;
  std::istringstream csv(test::read_text(d / "z.csv"));
  std::string line;
  std::getline(csv, line);  // header
  while (std::getline(csv, line)) {
    std::stringstream ls(line);
    std::string id, code, area;
    std::getline(ls, id, ',');
    std::getline(ls, code, ',');
    std::getline(ls, area, ',');
    sum[id] += std::stod(area);
  }
  EXPECT_EQ(sum.size(), 49u);
  GDALAllRegister();
  GDALDatasetUniquePtr ds(GDALDataset::Open(test::sample("farmland.gpkg").c_str(), GDAL_OF_VECTOR));
  ASSERT_TRUE(ds);
  for (auto& f : *ds->GetLayer(0)) {
    const double m2 = f->GetFieldAsDouble("面积_亩") * 2000.0 / 3.0;
    EXPECT_NEAR(sum[f->GetFieldAsString("地块编号")], m2, m2 * 1e-4)
        << f->GetFieldAsString("地块编号");
  }
}

TEST(Commands, ChangeWithALearnedModelFindsTheSamplesConversions) {
  test::TempDir d;
  const std::string a = test::sample("sample_20240315.tif"),
                    b = test::sample("sample_20240820.tif");
  const std::string farmland = test::sample("farmland.gpkg");
  // Labels for the model: the rule maps of both dates (cloud included, as a class that is no
  // observation). One one-date model learned from both seasons.
  auto r = test::run_cli({"change", "--before", a, "--after", b, "--out", d / "rules"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ofstream(d / "classes.csv")
      << "code,key,name,gbt21010,color,observed\n"
      << "1,cropland,耕地,0103,,yes\n2,bare_soil,裸土,1206,,yes\n"
      << "3,orchard,园地,0201,,yes\n4,forest,林地,0301,,yes\n"
      << "5,grassland,草地,0404,,yes\n6,water,坑塘水面,1104,,yes\n"
      << "7,built_up,建设用地,07,,yes\n8,facility,设施农用地,1202,,yes\n"
      << "254,cloud,云,,#ffffff,no\n";
  r = test::run_cli({"train", "--image", a, "--labels", d / "rules/landuse_2024-03-15.tif",
                     "--image", b, "--labels", d / "rules/landuse_2024-08-20.tif", "--class-table",
                     d / "classes.csv", "--out", d / "m.yml", "--trees", "50"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run_cli({"change", "--before", a, "--after", b, "--model", d / "m.yml", "--farmland",
                     farmland, "--id-field", "地块编号", "--out", d / "model"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto truth = nlohmann::json::parse(test::read_text(test::sample("truth.json")));
  const auto gj = nlohmann::json::parse(test::read_text(d / "model/changes.geojson"));
  const auto summary = nlohmann::json::parse(test::read_text(d / "model/summary.json"));
  EXPECT_EQ(summary["pipeline"]["classification"], d / "m.yml");
  // Every true conversion is found with its category, its parcel and a high confidence (the
  // transition's probability and the spectral evidence). Patch centroids are in A's CRS, so
  // they are matched to the truth by parcel id (farmland) or category (the factory).
  for (const auto& t : truth["patches"]) {
    bool found = false;
    for (const auto& f : gj["features"]) {
      const auto& p = f["properties"];
      if (p["category_code"] != t["category"]) continue;
      const std::string parcels = p["parcel_ids"];
      if (parcels != (t["parcels"].empty() ? "" : t["parcels"][0].get<std::string>())) continue;
      found = true;
      EXPECT_NEAR(p["area_m2"].get<double>(), t["area_m2"].get<double>(),
                  0.1 * t["area_m2"].get<double>())
          << t["name"];
      EXPECT_GE(p["confidence"].get<double>(), 0.85) << t["name"];
    }
    EXPECT_TRUE(found) << t["name"];
  }
  // The cloud over farmland in August is no observation, not a conversion.
  for (const auto& f : gj["features"])
    EXPECT_NE(f["properties"]["parcel_ids"], "3401230010017") << f["properties"]["patch_id"];
  // Every patch's confidence is the model's: a model trained on these very maps finds each
  // reported transition probable. (The share of pixels with the patch's main transition, which
  // rule classes use, gave mixed patches 0.76 when the model's probabilities did not reach
  // the patches.)
  for (const auto& f : gj["features"])
    EXPECT_GE(f["properties"]["confidence"].get<double>(), 0.85) << f["properties"]["patch_id"];
}

namespace {
/// A VHR pair written as PNGs (no georeference) into `dir`; returns {before, after}.
std::pair<std::string, std::string> write_png_pair(const test::TempDir& dir,
                                                   const test::VhrPair& p) {
  const std::string before = dir / "A.png", after = dir / "B.png";
  test::write_png(before, p.width, p.height, p.before);
  test::write_png(after, p.width, p.height, p.after);
  return {before, after};
}
}  // namespace

TEST(Commands, ChangeComparesImagesWithoutGeoreferenceOnThePixelGridForNewBuildings) {
  test::TempDir dir;
  const auto p = test::make_vhr_pair(1);
  const auto [before, after] = write_png_pair(dir, p);
  const fs::path out = dir.path() / "out";
  const auto r =
      test::run_cli({"change", "--before", before, "--after", after, "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warning"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("no coordinate reference system"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("assuming pixels of 0.5 m"), std::string::npos) << r.output;

  // change.tif: the PNGs' grid, no geotransform, 1 on the new roof, 0 on the old one.
  GDALAllRegister();
  {
    GDALDatasetUniquePtr ds(GDALDataset::Open((out / "change.tif").c_str(), GDAL_OF_RASTER));
    ASSERT_TRUE(ds);
    EXPECT_EQ(ds->GetRasterXSize(), p.width);
    EXPECT_EQ(ds->GetRasterYSize(), p.height);
    double gt[6];
    EXPECT_NE(ds->GetGeoTransform(gt), CE_None) << "a pixel grid has no geotransform";
    EXPECT_EQ(ds->GetSpatialRef(), nullptr);
  }
  const auto c = test::read_band((out / "change.tif").string());
  auto at = [&](int col, int row) { return c[std::size_t(row) * p.width + col]; };
  EXPECT_EQ(at(p.built[0] + 1 + p.built[2] / 2, p.built[1] + p.built[3] / 2), 1);
  EXPECT_EQ(at(p.existing[0] + p.existing[2] / 2, p.existing[1] + p.existing[3] / 2), 0);

  const auto summary = nlohmann::json::parse(test::read_text((out / "summary.json").string()));
  EXPECT_TRUE(summary["grid"]["crs"].is_null());
  EXPECT_EQ(summary["grid"]["kind"], "pixel");
  EXPECT_EQ(summary["grid"]["pixel_size_source"], "assumed");
  EXPECT_EQ(summary["changes"]["patches"], 1);
  const auto csv = test::read_text((out / "changes.csv").string());
  EXPECT_EQ(csv.rfind("\xEF\xBB\xBFid,category,label,change_kind,change_kind_code,area_px,area_m2", 0), 0u) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 2) << csv;
  EXPECT_NE(csv.find("non_agricultural,非农化,新建建筑,new_building"), std::string::npos) << csv;

  // The same bytes whatever the thread count.
  for (const char* threads : {"1", "2"}) {
    const std::string o = dir / (std::string("t") + threads);
    ASSERT_EQ(test::run_cli({"change", "--before", before, "--after", after, "--out", o,
                             "--threads", threads, "-q"})
                  .exit_code,
              0);
    EXPECT_EQ(test::read_text(o + "/change.tif"), test::read_text((out / "change.tif").string()));
    EXPECT_EQ(test::read_text(o + "/changes.csv"), csv);
  }

  // The ground size of a pixel, when given, scales the areas (and the method's windows).
  const auto r2 = test::run_cli({"change", "--before", before, "--after", after, "--out",
                                 dir / "out2", "--pixel-size", "0.4", "-q"});
  ASSERT_EQ(r2.exit_code, 0) << r2.output;
  const auto s2 = nlohmann::json::parse(test::read_text(dir / "out2/summary.json"));
  EXPECT_EQ(s2["grid"]["pixel_size_source"], "given");
  const auto& built = s2["changes"]["categories"]["non_agricultural"];
  EXPECT_NEAR(built["area_m2"].get<double>(), built["area_px"].get<double>() * 0.16, 0.01);
}

TEST(Commands, AGeoreferencedImageDamagedInsideIsBadInput) {
  // A GeoTIFF whose header and first and last tiles read, with tiles in the middle damaged
  // (bytes overwritten): found when the run reads them, exit 4 naming it, not an internal
  // error.
  test::TempDir dir;
  GDALAllRegister();
  const std::string whole = dir / "whole.tif", damaged = dir / "damaged_20240820.tif";
  {
    const char* argv[] = {"-co", "TILED=YES", "-co", "BLOCKXSIZE=64", "-co", "BLOCKYSIZE=64",
                          "-co", "COMPRESS=DEFLATE", nullptr};
    GDALTranslateOptions* o = GDALTranslateOptionsNew(const_cast<char**>(argv), nullptr);
    GDALDatasetUniquePtr src(GDALDataset::Open(test::sample("sample_20240820.tif").c_str(),
                                               GDAL_OF_RASTER));
    ASSERT_TRUE(src);
    GDALDatasetH copy = GDALTranslate(whole.c_str(), GDALDataset::ToHandle(src.get()), o, nullptr);
    GDALTranslateOptionsFree(o);
    ASSERT_TRUE(copy);
    GDALClose(copy);
  }
  std::string bytes = test::read_text(whole);
  for (std::size_t i = bytes.size() * 45 / 100; i < bytes.size() * 55 / 100; ++i) bytes[i] = 'Z';
  std::ofstream(damaged, std::ios::binary) << bytes;
  const auto r = test::run_cli({"change", "--before", a(), "--after", damaged, "--out",
                                dir / "out", "-q"});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find(damaged), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir.path() / "out"));
}

TEST(Commands, ChangeOnThePixelGridRefusesWhatItCannotPlace) {
  test::TempDir dir;
  const auto p = test::make_vhr_pair(0);
  const auto [before, after] = write_png_pair(dir, p);
  const fs::path out = dir.path() / "out";
  ASSERT_EQ(
      test::run_cli({"change", "--before", before, "--after", after, "--out", out.string(), "-q"})
          .exit_code,
      0);
  const auto kept = test::read_text((out / "changes.csv").string());

  // Different sizes: no grid to share. Exit 4, both files named, previous outputs intact.
  const std::string small = dir / "small.png";
  test::write_png(small, 8, 8, std::vector<std::vector<double>>(3, std::vector<double>(64, 90)));
  auto r = test::run_cli({"change", "--before", before, "--after", small, "--out", out.string()});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("small.png"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("differ in size"), std::string::npos) << r.output;
  EXPECT_EQ(test::read_text((out / "changes.csv").string()), kept);

  // One georeferenced, one not.
  r = test::run_cli({"change", "--before", a(), "--after", after, "--out", dir / "o2"});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("B.png' has no georeference while"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("has a coordinate reference system"), std::string::npos) << r.output;

  // Options the building method does not read are said, not silently ignored: exit 2 naming
  // the option; so is a band role given twice or a band number that is not one.
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--scale", "0.0001"}, {"--rules", test::sample("truth.json")},
        {"--quality-band", "2"}}) {
    std::vector<std::string> args{"change", "--before", before, "--after", after, "--out",
                                  dir / "o5"};
    args.insert(args.end(), extra.begin(), extra.end());
    r = test::run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << extra[0] << ": " << r.output;
    EXPECT_NE(r.output.find(extra[0] + " does not apply"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(dir.path() / "o5"));
  }
  for (const char* bands : {"red=1,green=2,blue=3,red=2", "red=1,green=2x,blue=3",
                            "red=1,green=2,blue=3,"}) {
    r = test::run_cli({"change", "--before", before, "--after", after, "--out", dir / "o5",
                       "--bands", bands});
    EXPECT_EQ(r.exit_code, 2) << bands << ": " << r.output;
    EXPECT_NE(r.output.find(bands), std::string::npos) << r.output;
  }

  // A value out of range is quoted as given, however small (it was "got 0").
  r = test::run_cli({"change", "--before", before, "--after", after, "--out", dir / "o5",
                     "--pixel-size", "1e-9"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("got 1e-09"), std::string::npos) << r.output;

  // "none" is the one quality the method takes, in any case.
  r = test::run_cli({"change", "--before", before, "--after", after, "--out", dir / "o6",
                     "--quality", "NONE", "-q"});
  EXPECT_EQ(r.exit_code, 0) << r.output;

  // A farmland layer cannot be laid over a pixel grid.
  r = test::run_cli({"change", "--before", before, "--after", after, "--out", dir / "o3",
                     "--farmland", test::sample("farmland.gpkg"), "--id-field", "地块编号"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--farmland needs georeferenced images"), std::string::npos) << r.output;

  // A grey photo: no colour to compare.
  const std::string grey = dir / "grey.png";
  test::write_png(grey, p.width, p.height, {p.before[0]});
  r = test::run_cli({"change", "--before", grey, "--after", grey, "--out", dir / "o4"});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("an RGB image is needed"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir.path() / "o4"));

  // Files cut short (a download that stopped: a PNG and a JPEG, whose decoder only warns and
  // fills the rest grey): exit 4 naming the file, the previous outputs intact.
  GDALAllRegister();
  const std::string jpeg = dir / "B.jpg";
  {
    GDALDatasetUniquePtr png(GDALDataset::Open(after.c_str(), GDAL_OF_RASTER));
    ASSERT_TRUE(png);
    GDALDatasetUniquePtr jpg(GetGDALDriverManager()->GetDriverByName("JPEG")->CreateCopy(
        jpeg.c_str(), png.get(), FALSE, nullptr, nullptr, nullptr));
    ASSERT_TRUE(jpg);
  }
  for (const std::string& whole : {after, jpeg}) {
    const std::string cut = dir / ("cut_" + fs::path(whole).filename().string());
    const std::string bytes = test::read_text(whole);
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    r = test::run_cli({"change", "--before", before, "--after", cut, "--out", out.string()});
    EXPECT_EQ(r.exit_code, 4) << r.output;
    EXPECT_NE(r.output.find(cut), std::string::npos) << r.output;
    EXPECT_EQ(test::read_text((out / "changes.csv").string()), kept);
  }

  // Masks that leave no pixel with data in both dates (the earlier date's right half and the
  // later date's left half masked by their alpha bands): nothing to compare, exit 4.
  auto half = [&](const std::vector<std::vector<double>>& bands, bool left, const char* name) {
    auto with_alpha = bands;
    with_alpha.emplace_back(std::size_t(p.width) * p.height, 255.0);
    for (int row = 0; row < p.height; ++row)
      for (int col = 0; col < p.width; ++col)
        if ((col < p.width / 2) == left) with_alpha[3][std::size_t(row) * p.width + col] = 0;
    const std::string path = dir / name;
    test::write_png(path, p.width, p.height, with_alpha);
    return path;
  };
  const std::string right = half(p.before, true, "right.png"), left = half(p.after, false, "left.png");
  r = test::run_cli({"change", "--before", right, "--after", left, "--out", out.string()});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("no pixel with data in common"), std::string::npos) << r.output;
  EXPECT_EQ(test::read_text((out / "changes.csv").string()), kept);
}

// `run --out` moves the default database (farmwatch.gpkg beside the output folder) with it,
// also when the folder is written with a trailing slash: the database must not end up inside
// the folder that the run then replaces whole.
TEST(RunOut, TheDefaultDatabaseGoesBesideTheOutputFolderGivenWithOrWithoutSlash) {
  test::TempDir d;
  const std::string p = test::write_sample_pipeline(d, b());  // no database: key
  for (const std::string& out : {d / "night1", d / "night2/"}) {
    const auto r = test::run_cli({"run", p, "--out", out, "--threads", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  EXPECT_TRUE(fs::exists(d.path() / "farmwatch.gpkg"));
  EXPECT_FALSE(fs::exists(d.path() / "night2/farmwatch.gpkg"));
  EXPECT_FALSE(fs::exists(d.path() / "out"));  // outputs.dir of the file is not written
  const auto runs = test::run_cli({"patches", "--db", d / "farmwatch.gpkg", "--format", "csv"});
  ASSERT_EQ(runs.exit_code, 0) << runs.output;
  EXPECT_NE(runs.output.find("persisting"), std::string::npos) << runs.output;  // seen twice
}

// A real area has thousands of patches: chips only for the first --chips (farmland categories
// first, larger first); every patch stays in the report's tables.
TEST(Commands, ChipsStopAtTheirCapFarmlandFirst) {
  test::TempDir d;
  const auto r = test::run_cli({"change", "--before", a(), "--after", b(), "--out", d / "o",
                                "--farmland", test::sample("farmland.gpkg"), "--id-field",
                                "地块编号", "--chips", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> chips;
  for (const auto& e : fs::directory_iterator(d / "o/chips")) chips.push_back(e.path().filename());
  ASSERT_EQ(chips.size(), 2u);
  const std::string html = test::read_text(d / "o/report.html");
  // No --tiles: no viewer to point to (a link to an index.html that is not there).
  EXPECT_NE(html.find("超出切片数量上限"), std::string::npos);
  EXPECT_EQ(html.find("index.html"), std::string::npos);
  EXPECT_FALSE(fs::exists(d.path() / "o" / "index.html"));
  const auto first = html.find("<tr id='");
  ASSERT_NE(first, std::string::npos);
  const std::string id = html.substr(first + 8, html.find('\'', first + 8) - first - 8);
  EXPECT_NE(chips[0].find(id), std::string::npos) << id << " " << chips[0];
}

TEST(Commands, ChangeSendsGeoreferencedVeryHighResolutionRgbThroughTheBuildingMethod) {
  // The same pair as GeoTIFFs at 0.5 m in UTM (a drone orthomosaic's kind of file): red, green
  // and blue, no near-infrared. The later image is cut 10 pixels further east and south, so it
  // is read onto the earlier one's grid.
  test::TempDir dir;
  const auto p = test::make_vhr_pair(0);
  test::RasterSpec a = test::vhr_ortho(p, false);
  test::write_raster(dir / "ortho_20240315.tif", a);
  test::RasterSpec b = a;
  const int cut = 10;
  b.width = p.width - cut;
  b.height = p.height - cut;
  b.origin_x += cut * 0.5;
  b.origin_y -= cut * 0.5;
  b.bands.assign(3, std::vector<double>(std::size_t(b.width) * b.height));
  for (int k = 0; k < 3; ++k)
    for (int r = 0; r < b.height; ++r)
      for (int c = 0; c < b.width; ++c)
        b.bands[k][std::size_t(r) * b.width + c] = p.after[k][std::size_t(r + cut) * p.width + c + cut];
  test::write_raster(dir / "ortho_20240820.tif", b);

  const fs::path out = dir.path() / "out";
  const auto r = test::run_cli({"change", "--before", dir / "ortho_20240315.tif", "--after",
                                dir / "ortho_20240820.tif", "--out", out.string(), "-v"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("no near-infrared band: new and demolished buildings and converted ground"), std::string::npos) << r.output;

  // change.tif on the earlier image's grid, with its CRS: 1 on the new roof, 0 on the old one,
  // no data where the later image does not reach.
  GDALAllRegister();
  {
    GDALDatasetUniquePtr ds(GDALDataset::Open((out / "change.tif").c_str(), GDAL_OF_RASTER));
    ASSERT_TRUE(ds);
    EXPECT_EQ(ds->GetRasterXSize(), p.width);
    double gt[6];
    ASSERT_EQ(ds->GetGeoTransform(gt), CE_None);
    EXPECT_DOUBLE_EQ(gt[0], 500000);
    EXPECT_DOUBLE_EQ(gt[1], 0.5);
    ASSERT_NE(ds->GetSpatialRef(), nullptr);
    EXPECT_STREQ(ds->GetSpatialRef()->GetAuthorityCode(nullptr), "32650");
  }
  const auto c = test::read_band((out / "change.tif").string());
  auto at = [&](int col, int row) { return c[std::size_t(row) * p.width + col]; };
  EXPECT_EQ(at(p.built[0] + p.built[2] / 2, p.built[1] + p.built[3] / 2), 1);
  EXPECT_EQ(at(p.existing[0] + p.existing[2] / 2, p.existing[1] + p.existing[3] / 2), 0);
  EXPECT_EQ(at(2, 2), 255);

  // The patch as every change run reports it: one 非农化 patch over the new roof, its centroid
  // inside the roof, its area on the ellipsoid that of the same method's object on the PNGs
  // (roof and shadow; UTM's scale factor and the later image's cut edge apart).
  const auto gj = nlohmann::json::parse(test::read_text((out / "changes.geojson").string()));
  ASSERT_EQ(gj["features"].size(), 1u) << gj.dump();
  const auto& props = gj["features"][0]["properties"];
  EXPECT_EQ(props["patch_id"], "FW20240820-0001");
  EXPECT_EQ(props["category_code"], "non_agricultural");
  EXPECT_EQ(props["class_after"], "建设用地");
  const auto [png_before, png_after] = write_png_pair(dir, p);
  ASSERT_EQ(test::run_cli({"change", "--before", png_before, "--after", png_after, "--out",
                           dir / "png", "-q"})
                .exit_code,
            0);
  const auto png = nlohmann::json::parse(test::read_text(dir / "png/summary.json"));
  const double png_m2 = png["changes"]["categories"]["non_agricultural"]["area_m2"];
  EXPECT_GT(png_m2, 15.0 * 12.0);
  EXPECT_NEAR(props["area_m2"].get<double>(), png_m2, 0.02 * png_m2);
  // The kind of change, in its own fields: a new building.
  EXPECT_EQ(props["change_kind_code"], "new_building");
  EXPECT_EQ(props["change_kind"], "新建建筑");
  EXPECT_EQ(png["changes"]["kinds"]["new_building"]["patches"], 1);
  EXPECT_EQ(png["changes"]["kinds"]["demolished_building"]["patches"], 0);
  const double x = props["centroid_x"], y = props["centroid_y"];
  EXPECT_GT(x, 500000 + p.built[0] * 0.5);
  EXPECT_LT(x, 500000 + (p.built[0] + p.built[2]) * 0.5);
  EXPECT_LT(y, 3500000 - p.built[1] * 0.5);
  EXPECT_GT(y, 3500000 - (p.built[1] + p.built[3]) * 0.5);
  EXPECT_TRUE(fs::exists(out / "changes.gpkg"));
  EXPECT_TRUE(fs::exists(out / "changes.csv"));
  // QGIS opens change.tif with its style: no change transparent, not black over the imagery.
  const std::string qml = test::read_text((out / "change.qml").string());
  EXPECT_NE(qml.find("非农化"), std::string::npos) << qml;
  const auto summary = nlohmann::json::parse(test::read_text((out / "summary.json").string()));
  EXPECT_EQ(summary["grid"]["kind"], "map");
  EXPECT_EQ(summary["method"]["name"], "building and ground change (very-high-resolution RGB)");

  // Options that need the land-use engine are refused by name (exit 2).
  const auto r2 = test::run_cli({"change", "--before", dir / "ortho_20240315.tif", "--after",
                                 dir / "ortho_20240820.tif", "--out", dir / "o2", "--tiles"});
  EXPECT_EQ(r2.exit_code, 2) << r2.output;
  EXPECT_NE(r2.output.find("--tiles is not available for very-high-resolution RGB"),
            std::string::npos)
      << r2.output;

  // Rules named: the land-use engine classifies the pair with them (the RGB rules).
  const auto r4 = test::run_cli({"change", "--before", dir / "ortho_20240315.tif", "--after",
                                 dir / "ortho_20240820.tif", "--out", dir / "o4", "--profile",
                                 "drone", "--rules",
                                 test::source_dir() + "/pipelines/rules/landuse_rules_rgb.yaml", "-q"});
  EXPECT_EQ(r4.exit_code, 0) << r4.output;
  EXPECT_TRUE(fs::exists(dir.path() / "o4" / "landuse_2024-03-15.tif")) << r4.output;

  // Two images that do not overlap: nothing to compare (exit 4, both named).
  test::RasterSpec far = b;
  far.origin_x += 5000;
  test::write_raster(dir / "far_20240820.tif", far);
  const auto r5 = test::run_cli({"change", "--before", dir / "ortho_20240315.tif", "--after",
                                 dir / "far_20240820.tif", "--out", dir / "o5"});
  EXPECT_EQ(r5.exit_code, 4) << r5.output;
  EXPECT_NE(r5.output.find("do not overlap"), std::string::npos) << r5.output;
  EXPECT_NE(r5.output.find("far_20240820.tif"), std::string::npos) << r5.output;

  // An orthomosaic's alpha band (transparent collar, 20 columns on the west; the later image
  // covers from column 10): no data there.
  test::RasterSpec rgba = a;
  rgba.bands.push_back(std::vector<double>(std::size_t(a.width) * a.height, 255));
  for (int row = 0; row < a.height; ++row)
    for (int col = 0; col < 20; ++col) rgba.bands[3][std::size_t(row) * a.width + col] = 0;
  rgba.descriptions.push_back("alpha");
  test::write_raster(dir / "rgba_20240315.tif", rgba);
  {
    GDALDatasetUniquePtr ds(
        GDALDataset::Open((dir / "rgba_20240315.tif").c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE));
    ASSERT_TRUE(ds);
    ds->GetRasterBand(4)->SetColorInterpretation(GCI_AlphaBand);
  }
  const auto r6 = test::run_cli({"change", "--before", dir / "rgba_20240315.tif", "--after",
                                 dir / "ortho_20240820.tif", "--out", dir / "o6", "-q"});
  ASSERT_EQ(r6.exit_code, 0) << r6.output;
  const auto c6 = test::read_band(dir / "o6/change.tif");
  EXPECT_EQ(c6[std::size_t(80) * p.width + 2], 255) << "the collar is no data";
  EXPECT_EQ(c6[std::size_t(80) * p.width + 15], 255) << "the collar is no data where B has data";
  EXPECT_EQ(c6[std::size_t(80) * p.width + 60], 0);

  // RGB at 10 m is no very-high-resolution image: the land-use engine asks for its NIR band.
  a.res = 10;
  test::write_raster(dir / "coarse_a.tif", a);
  test::write_raster(dir / "coarse_b.tif", a);
  const auto r3 = test::run_cli({"change", "--before", dir / "coarse_a.tif", "--after",
                                 dir / "coarse_b.tif", "--out", dir / "o3"});
  EXPECT_EQ(r3.exit_code, 4) << r3.output;
  EXPECT_NE(r3.output.find("but no near-infrared band"), std::string::npos) << r3.output;
  EXPECT_NE(r3.output.find("landuse_rules_rgb.yaml"), std::string::npos) << r3.output;
}

TEST(Commands, AnRgbPhotoClassifiedWithTheDefaultRulesIsPointedToTheRgbRules) {
  // A drone orthomosaic (red, green, blue and an alpha band, 8-bit) through `classify` with
  // the default rules, which need near-infrared: exit 4 naming the RGB rules and the drone
  // profile, which then classify it.
  test::TempDir dir;
  const auto p = test::make_vhr_pair(0);
  test::RasterSpec s = test::vhr_ortho(p, false);
  s.descriptions.clear();
  s.bands.push_back(std::vector<double>(std::size_t(s.width) * s.height, 255));
  test::write_raster(dir / "ortho.tif", s);
  {
    GDALDatasetUniquePtr ds(
        GDALDataset::Open((dir / "ortho.tif").c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE));
    const GDALColorInterp ci[4] = {GCI_RedBand, GCI_GreenBand, GCI_BlueBand, GCI_AlphaBand};
    for (int b = 0; b < 4; ++b) ds->GetRasterBand(b + 1)->SetColorInterpretation(ci[b]);
  }
  const auto r = test::run_cli({"classify", "--in", dir / "ortho.tif", "--out", dir / "lu.tif"});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("1='Red', 2='Green', 3='Blue', 4='Alpha'"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("--rules pipelines/rules/landuse_rules_rgb.yaml"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("--profile drone"), std::string::npos) << r.output;
  const auto ok = test::run_cli({"classify", "--in", dir / "ortho.tif", "--rules",
                                 test::source_dir() + "/pipelines/rules/landuse_rules_rgb.yaml",
                                 "--profile", "drone", "--out", dir / "lu.tif", "-q"});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
}

TEST(Commands, ClassAreasOfAGridInDegreesAreOnTheGround) {
  // A 30 x 30 grid of 0.0001° at 32° N: a pixel is about 9.44 m x 11.09 m on the ground, not
  // 1e-8 square degrees.
  test::TempDir dir;
  test::RasterSpec s;
  s.width = s.height = 30;
  s.epsg = "EPSG:4326";
  s.origin_x = 117;
  s.origin_y = 32;
  s.res = 0.0001;
  s.descriptions = {"blue", "green", "red", "nir"};
  const double crop[4] = {0.04, 0.08, 0.05, 0.40};
  for (double v : crop) s.bands.push_back(std::vector<double>(900, v));
  test::write_raster(dir / "a_20240315.tif", s);
  test::write_raster(dir / "b_20240820.tif", s);
  const auto r = test::run_cli({"change", "--before", dir / "a_20240315.tif", "--after",
                                dir / "b_20240820.tif", "--out", dir / "out", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto summary = nlohmann::json::parse(test::read_text(dir / "out/summary.json"));
  double area = 0, pixels = 0;
  for (const auto& c : summary["inputs"]["dates"][0]["classes"])
    if (c.contains("area_m2_grid")) {
      area += c["area_m2_grid"].get<double>();
      pixels += c["pixels"].get<double>();
    }
  ASSERT_EQ(pixels, 900);
  EXPECT_NEAR(area / pixels, 9.44 * 11.09, 0.01 * 9.44 * 11.09);
}

TEST(RunOut, AnOutputFolderThatIsNotFarmwatchsIsRefusedAndLeftAsItWas) {
  // An input given as --out, a folder of the user's own files, and a run's outputs that hold
  // an input would be replaced as a whole (the inputs lost): each is refused (exit 2) naming
  // it, and left as it was. A new folder, an empty one and a run's own earlier outputs are
  // written. (The working folder: tests/unit/test_output_dir.cpp.)
  test::TempDir dir;
  const auto p = test::make_vhr_pair(1);
  const auto [before, after] = write_png_pair(dir, p);
  const std::string notes = (dir.path() / "notes.txt").string();
  std::ofstream(notes) << "field notes\n";
  const std::string bytes = test::read_text(before);
  auto change = [&](const std::string& a, const std::string& out) {
    return test::run_cli({"change", "--before", a, "--after", after, "--out", out, "-q"});
  };
  for (const std::string& out : {before, dir.path().string()}) {
    const auto r = change(before, out);
    EXPECT_EQ(r.exit_code, 2) << out << ": " << r.output;
    EXPECT_NE(r.output.find("output folder '" + fs::path(out).lexically_normal().string()),
              std::string::npos)
        << r.output;
  }
  EXPECT_EQ(test::read_text(before), bytes);
  EXPECT_TRUE(fs::is_regular_file(after));
  EXPECT_EQ(test::read_text(notes), "field notes\n");
  const fs::path empty = dir.path() / "empty";
  fs::create_directories(empty);
  EXPECT_EQ(change(before, empty.string()).exit_code, 0);
  EXPECT_TRUE(fs::exists(empty / "summary.json"));
  EXPECT_EQ(change(before, empty.string()).exit_code, 0) << "a run's own outputs are replaced";
  EXPECT_EQ(change(before, (dir.path() / "new").string()).exit_code, 0);
  // The earlier image kept in the outputs, then compared into them.
  fs::copy_file(before, empty / "kept.png");
  const auto r = change((empty / "kept.png").string(), empty.string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("holds the input"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(empty / "kept.png"));
}
