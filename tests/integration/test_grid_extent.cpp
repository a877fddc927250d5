// The analysis grid bounded by the farmland layer (`grid.extent: farmland`): the run reads only
// where the farmland is, and finds the same farmland patches as a run over all the imagery.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "test_support.h"

using namespace farmwatch;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

/// The sample pipeline with `grid` replaced, run into DIR/out; its summary.json.
json run_with_grid(const test::TempDir& dir, const std::string& grid) {
  const std::string rules = test::source_dir() + "/pipelines/rules/";
  const std::string path = dir / "p.yaml";
  std::ofstream(path) << "dates:\n"
                      << "  - {date: 2024-03-15, image: '" << test::sample("sample_20240315.tif")
                      << "'}\n"
                      << "  - {date: 2024-08-20, image: '" << test::sample("sample_20240820.tif")
                      << "'}\n"
                      << "farmland: {path: '" << test::sample("farmland.gpkg")
                      << "', id_field: 地块编号}\n"
                      << grid << "\n"
                      << "classification: " << rules << "landuse_rules.yaml\n"
                      << "change_rules: " << rules << "change_rules.yaml\n"
                      << "outputs: {dir: '" << (dir / "out") << "', tiles: false}\n";
  const auto r = test::run_cli({"run", path, "-q"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return json::parse(test::read_text((dir.path() / "out" / "summary.json").string()));
}

/// Farmland patches (非农化, 非粮化) as "category parcels area" strings.
std::multiset<std::string> farmland_patches(const test::TempDir& dir) {
  std::multiset<std::string> out;
  const json gj = json::parse(test::read_text((dir.path() / "out" / "changes.geojson").string()));
  for (const auto& f : gj["features"]) {
    const auto& p = f["properties"];
    const std::string cat = p["category_code"];
    if (cat == "other_change") continue;
    out.insert(cat + " " + p["parcel_ids"].get<std::string>() + " " +
               std::to_string(p["area_m2"].get<double>()));
  }
  return out;
}

// The sample farmland layer's extent in EPSG:4527 (ogrinfo -so -al sample-tiles/farmland.gpkg).
constexpr double kFarmXmin = 39500500, kFarmYmin = 3524130, kFarmXmax = 39503280,
                 kFarmYmax = 3526210;

}  // namespace

TEST(GridExtent, FarmlandBoundsTheGridAndKeepsEveryFarmlandPatch) {
  test::TempDir all, bounded;
  const json s_all = run_with_grid(all, "grid: {crs: 'EPSG:4527', resolution: 10}");
  const json s =
      run_with_grid(bounded, "grid: {crs: 'EPSG:4527', resolution: 10, extent: farmland}");
  const auto e = s["grid"]["extent"];
  // 20 pixels (200 m) around the farmland, snapped outward to the 10 m grid; within the imagery.
  EXPECT_NEAR(e[0].get<double>(), kFarmXmin - 200, 10);
  EXPECT_NEAR(e[2].get<double>(), kFarmXmax + 200, 10);
  EXPECT_NEAR(e[3].get<double>(), kFarmYmax + 200, 10);
  EXPECT_NEAR(e[1].get<double>(), kFarmYmin - 200, 10);
  EXPECT_LT(s["grid"]["height"].get<int>(), s_all["grid"]["height"].get<int>());
  const auto patches = farmland_patches(bounded);
  EXPECT_FALSE(patches.empty());
  EXPECT_EQ(patches, farmland_patches(all));

  // A margin of its own.
  test::TempDir narrow;
  const json s0 = run_with_grid(
      narrow, "grid: {crs: 'EPSG:4527', resolution: 10, extent: farmland, margin: 0}");
  EXPECT_NEAR(s0["grid"]["extent"][0].get<double>(), kFarmXmin, 10);
}

TEST(GridExtent, ASingleImageGridIsCutToWholePixelsOfTheImage) {
  test::TempDir dir;
  const json s = run_with_grid(dir, "grid: {extent: farmland}");
  EXPECT_FALSE(s["grid"]["resampled_inputs"].get<bool>());  // still the image's own pixels
  const auto e = s["grid"]["extent"];
  // sample_20240315.tif: origin (499790, 3525910), 10 m, 420 x 420, UTM 50N.
  const double col = (e[0].get<double>() - 499790) / 10, row = (3525910 - e[3].get<double>()) / 10;
  EXPECT_DOUBLE_EQ(col, std::round(col));
  EXPECT_DOUBLE_EQ(row, std::round(row));
  EXPECT_LT(s["grid"]["height"].get<int>(), 420);
}

TEST(GridExtent, FarmlandExtentWithoutAFarmlandLayerIsAConfigError) {
  test::TempDir dir;
  const std::string path = dir / "p.yaml";
  std::ofstream(path) << "dates:\n  - {date: 2024-03-15, image: '"
                      << test::sample("sample_20240315.tif") << "'}\n"
                      << "grid: {extent: farmland}\n"
                      << "classification: " << test::source_dir()
                      << "/pipelines/rules/landuse_rules.yaml\n"
                      << "outputs: {dir: '" << (dir / "out") << "', tiles: false}\n";
  const auto r = test::run_cli({"run", path, "-q"});
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("farmland"), std::string::npos) << r.output;
}
