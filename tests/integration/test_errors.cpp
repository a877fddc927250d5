// Bad input: one clear message naming the file and the problem, a documented exit code, and the
// previous good outputs left as they were.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace farmwatch;
namespace fs = std::filesystem;

namespace {
const std::string kRules = test::source_dir() + "/pipelines/rules/";

/// A pipeline over the sample with some parts replaced.
std::string write_pipeline(const test::TempDir& d, const std::string& before,
                           const std::string& after, const std::string& farmland,
                           const std::string& extra = "", const std::string& date_extra = "") {
  const std::string path = d / "p.yaml";
  std::ofstream(path) << "dates:\n"
                         "  - {date: 2024-03-15, image: '" +
                             before + "'" + date_extra +
                             "}\n"
                             "  - {date: 2024-08-20, image: '" +
                             after +
                             "'}\n"
                             "farmland: {path: '" +
                             farmland +
                             "', id_field: 地块编号}\n"
                             "grid: {crs: 'EPSG:4527', resolution: 10}\n"
                             "classification: " +
                             kRules +
                             "landuse_rules.yaml\n"
                             "change_rules: " +
                             kRules +
                             "change_rules.yaml\n"
                             "outputs: {dir: '" +
                             (d / "out") + "', tiles: false}\n" + extra;
  return path;
}

std::string a() { return test::sample("sample_20240315.tif"); }
std::string b() { return test::sample("sample_20240820.tif"); }
std::string farmland() { return test::sample("farmland.gpkg"); }

test::RasterSpec four_band_image() {
  test::RasterSpec s;
  s.type = GDT_UInt16;
  s.width = s.height = 8;
  s.bands.assign(4, std::vector<double>(64, 1000));
  s.descriptions = {"blue", "green", "red", "nir"};
  s.scale = 0.0001;
  return s;
}

void expect_failure(const test::CliResult& r, int code, const std::vector<std::string>& words) {
  EXPECT_EQ(r.exit_code, code) << r.output;
  for (const auto& w : words)
    EXPECT_NE(r.output.find(w), std::string::npos) << w << " not in: " << r.output;
}
}  // namespace

TEST(Errors, MissingImageNamesTheFile) {
  test::TempDir d;
  const auto p = write_pipeline(d, d / "nowhere.tif", b(), farmland());
  expect_failure(test::run_cli({"run", p}), 4, {"nowhere.tif", "does not exist"});
  EXPECT_FALSE(fs::exists(d / "out"));
}

TEST(Errors, RasterWithoutCrs) {
  test::TempDir d;
  auto s = four_band_image();
  s.epsg.clear();
  test::write_raster(d / "nocrs.tif", s);
  const auto p = write_pipeline(d, a(), d / "nocrs.tif", farmland());
  expect_failure(test::run_cli({"run", p}), 4, {"nocrs.tif", "no coordinate reference system"});
}

TEST(Errors, GridsThatDoNotOverlap) {
  test::TempDir d;
  auto s = four_band_image();
  s.origin_x = 300000;
  s.origin_y = 2000000;
  test::write_raster(d / "far.tif", s);
  const auto p = write_pipeline(d, a(), d / "far.tif", farmland());
  expect_failure(test::run_cli({"run", p}), 4, {"do not overlap"});
}

TEST(Errors, FarmlandThatDoesNotOverlapTheImagery) {
  test::TempDir d;
  test::write_parcels(
      d / "far.gpkg",
      {{"X1", "POLYGON((39400000 3000000,39400100 3000000,39400100 3000100,39400000 3000000))"}});
  const auto p = write_pipeline(d, a(), b(), d / "far.gpkg");
  expect_failure(test::run_cli({"run", p}), 4, {"far.gpkg", "does not overlap"});
}

TEST(Errors, MissingBand) {
  test::TempDir d;
  const auto p = write_pipeline(d, a(), b(), farmland(), "", ", bands: {red: 3, nir: 9}");
  expect_failure(test::run_cli({"run", p}), 4, {"sample_20240315.tif", "band 9"});
}

TEST(Errors, UnknownKeyInThePipelineFile) {
  test::TempDir d;
  const auto p = write_pipeline(d, a(), b(), farmland(), "thresholds: {ndvi: 0.3}\n");
  expect_failure(test::run_cli({"run", p}), 3, {"p.yaml", "thresholds", "unknown key"});
}

TEST(Errors, InvalidFarmlandGeometryIsRepairedAndCounted) {
  test::TempDir d;
  // A bow-tie: MakeValid turns it into two triangles.
  test::write_parcels(d / "bad.gpkg",
                      {{"340123001",
                        "POLYGON((39501900 3525000,39502000 3525100,39502000 3525000,"
                        "39501900 3525100,39501900 3525000))"}});
  const auto p = write_pipeline(d, a(), b(), d / "bad.gpkg");
  const auto r = test::run_cli({"run", p});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto s = nlohmann::json::parse(test::read_text(d / "out/summary.json"));
  EXPECT_EQ(s["inputs"]["farmland"]["invalid_geometries_repaired"], 1);
  EXPECT_NE(s["inputs"]["farmland"]["repaired"][0].get<std::string>().find("340123001"),
            std::string::npos);
}

TEST(Errors, FarmlandGeometryWithNoAreaOnceRepaired) {
  test::TempDir d;
  // A ring that folds back on itself: no polygon is left.
  test::write_parcels(d / "flat.gpkg",
                      {{"340123009",
                        "POLYGON((39501900 3525000,39502000 3525000,39501900 3525000,"
                        "39501900 3525000))"}});
  const auto p = write_pipeline(d, a(), b(), d / "flat.gpkg");
  expect_failure(test::run_cli({"run", p}), 4, {"flat.gpkg", "340123009", "no area"});
}

TEST(Errors, AFailedRunLeavesThePreviousOutputsAsTheyWere) {
  test::TempDir d;
  const auto good = write_pipeline(d, a(), b(), farmland());
  ASSERT_EQ(test::run_cli({"run", good}).exit_code, 0);
  const std::string before = test::read_text(d / "out/changes.geojson");
  ASSERT_FALSE(before.empty());

  // A truncated copy of the second image: its header opens, its pixels cannot be read.
  const std::string full = test::read_text(b());
  std::ofstream(d / "truncated.tif", std::ios::binary) << full.substr(0, full.size() / 2);
  const auto bad = write_pipeline(d, a(), d / "truncated.tif", farmland());
  const auto r = test::run_cli({"run", bad});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(r.exit_code == 4 || r.exit_code == 5) << r.output;
  EXPECT_NE(r.output.find("truncated.tif"), std::string::npos) << r.output;
  EXPECT_EQ(test::read_text(d / "out/changes.geojson"), before);
  for (const auto& e : fs::directory_iterator(d.path()))
    EXPECT_EQ(e.path().filename().string().find(".partial"), std::string::npos) << e.path();
}

TEST(Errors, CommandLineMistakesExitWithCode2) {
  EXPECT_EQ(test::run_cli({}).exit_code, 2);
  EXPECT_EQ(test::run_cli({"frobnicate"}).exit_code, 2);
  expect_failure(test::run_cli({"change", "--before", a()}), 2, {"--after"});
  expect_failure(test::run_cli({"classify", "--in", a(), "--out", "x.tif", "--threads", "-1"}), 2,
                 {"--threads"});
}
