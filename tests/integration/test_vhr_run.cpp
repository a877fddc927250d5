// A pipeline over two drone orthomosaics (very-high-resolution RGB, no near-infrared): the
// building method compares the dates, as `farmwatch change` does on such a pair, and the run's
// patches, parcels and reports come from its new buildings.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <gdal_priv.h>
#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace farmwatch;
namespace fs = std::filesystem;

namespace {

struct Ortho {
  bool new_building_on_farmland = true;  ///< else only the house of both dates has a parcel
  int collar = 0;  ///< columns on the west of the earlier image transparent (alpha 0, black)
  bool dark_roof = false;  ///< the new roof dark grey (the RGB rules do not call it built-up)
  bool pulled_down = false;  ///< the dates swapped: the house stands earlier, not later
};

/// The generated pair (test::make_vhr_pair) as 0.5 m GeoTIFFs in UTM 50N, a farmland layer
/// with a parcel under the new building and one under the house of both dates, and p.yaml
/// classifying with `rules`. Returns the pipeline's path.
std::string write_ortho_pipeline(const test::TempDir& dir, const std::string& rules,
                                 const Ortho& o = {}) {
  const auto p = test::make_vhr_pair(1);
  test::RasterSpec a = test::vhr_ortho(p, false);
  if (o.collar) {
    a.bands.push_back(std::vector<double>(std::size_t(a.width) * a.height, 255));
    a.descriptions.push_back("alpha");
    for (int row = 0; row < a.height; ++row)
      for (int col = 0; col < o.collar; ++col)
        for (int k = 0; k < 4; ++k) a.bands[k][std::size_t(row) * a.width + col] = 0;
  }
  test::RasterSpec b = test::vhr_ortho(p, true);
  if (o.pulled_down) std::swap(a, b);
  test::write_raster(dir / "ortho_20240315.tif", a);
  if (o.collar) {
    GDALDatasetUniquePtr ds(GDALDataset::Open((dir / "ortho_20240315.tif").c_str(),
                                              GDAL_OF_RASTER | GDAL_OF_UPDATE));
    ds->GetRasterBand(4)->SetColorInterpretation(GCI_AlphaBand);
  }
  if (o.dark_roof) {
    const auto& roof = p.built;
    for (int row = roof[1]; row < roof[1] + roof[3]; ++row)
      for (int col = roof[0] + 1; col < roof[0] + roof[2] + 1; ++col)  // shifted east by 1
        for (int k = 0; k < 3; ++k)
          b.bands[k][std::size_t(row) * b.width + col] = 70 + ((row * 7 + col * 3) % 9);
  }
  test::write_raster(dir / "ortho_20240820.tif", b);
  // Grid origin (500000, 3500000), 0.5 m: pixel (col, row) is at x 500000 + col/2,
  // y 3500000 - row/2. A parcel around each roof, 5 m beyond it.
  auto around = [](const std::array<int, 4>& roof) {
    const double x0 = 500000 + roof[0] * 0.5 - 5, x1 = 500000 + (roof[0] + roof[2]) * 0.5 + 5;
    const double y0 = 3500000 - (roof[1] + roof[3]) * 0.5 - 5, y1 = 3500000 - roof[1] * 0.5 + 5;
    return "POLYGON((" + std::to_string(x0) + " " + std::to_string(y0) + "," +
           std::to_string(x1) + " " + std::to_string(y0) + "," + std::to_string(x1) + " " +
           std::to_string(y1) + "," + std::to_string(x0) + " " + std::to_string(y1) + "," +
           std::to_string(x0) + " " + std::to_string(y0) + "))";
  };
  std::vector<std::pair<std::string, std::string>> parcels{{"P-old", around(p.existing)}};
  if (o.new_building_on_farmland) parcels.emplace_back("P-new", around(p.built));
  test::write_parcels(dir / "farmland.gpkg", parcels, 32650);
  const std::string path = dir / "p.yaml";
  std::ofstream(path) << "name: drone\n"
                         "dates:\n"
                         "  - {date: 2024-03-15, image: ortho_20240315.tif}\n"
                         "  - {date: 2024-08-20, image: ortho_20240820.tif}\n"
                         "farmland: {path: farmland.gpkg, id_field: 地块编号}\n"
                         "classification: " << rules << "\n"
                         "change_rules: " << test::source_dir() << "/pipelines/rules/change_rules.yaml\n"
                         "min_patch_area_m2: {non_agricultural: 50, other_change: 50}\n"
                         "database: farmwatch.gpkg\n"
                         "outputs: {dir: out}\n";
  return path;
}

std::string rgb_rules() { return test::source_dir() + "/pipelines/rules/landuse_rules_rgb.yaml"; }

/// The features of a run's changes.geojson in its output folder `out`.
nlohmann::json patches_in(const fs::path& out) {
  return nlohmann::json::parse(test::read_text((out / "changes.geojson").string()))["features"];
}

/// `farmwatch run -q` of the pair `o` classified with the RGB rules.
test::CliResult run_ortho(const test::TempDir& dir, const Ortho& o) {
  return test::run_cli({"run", write_ortho_pipeline(dir, rgb_rules(), o), "-q"});
}

}  // namespace

TEST(VhrRun, PipelineOfOrthomosaicsReportsTheNewBuildingOnItsParcel) {
  test::TempDir dir;
  const auto r = test::run_cli({"run", write_ortho_pipeline(dir, rgb_rules()), "-v"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("very-high-resolution RGB: new and demolished buildings and converted ground by the building method"),
            std::string::npos)
      << r.output;
  const fs::path out = dir.path() / "out";
  const auto summary = nlohmann::json::parse(test::read_text((out / "summary.json").string()));
  EXPECT_EQ(summary["building_change"]["name"], "building and ground change (very-high-resolution RGB)");
  EXPECT_FALSE(summary.contains("spectral_change_test"));

  // One patch: the new house (roof and shadow), 非农化 on the parcel under it; the house that
  // stands in both dates (seen under another colour balance and shifted by a pixel) is none.
  const auto patches = patches_in(out);
  ASSERT_EQ(patches.size(), 1u) << patches.dump();
  const auto& f = patches[0]["properties"];
  EXPECT_EQ(f["category_code"], "non_agricultural");
  EXPECT_EQ(f["change_kind_code"], "new_building");
  EXPECT_EQ(f["change_kind"], "新建建筑");
  EXPECT_NE(test::read_text((out / "report.html").string()).find("<small>新建建筑</small>"),
            std::string::npos);
  // The viewer's popup data has it too.
  std::string vectors;
  for (const auto& e : fs::recursive_directory_iterator(out / "vectors"))
    if (e.is_regular_file()) vectors += test::read_text(e.path().string());
  EXPECT_NE(vectors.find("\"change_kind\":\"新建建筑\""), std::string::npos) << vectors;
  EXPECT_EQ(f["parcel_ids"], "P-new");
  EXPECT_EQ(f["class_after"], "建设用地");
  EXPECT_GT(f["confidence"].get<double>(), 0) << f.dump();
  // Within the object `farmwatch change` finds on the pair (roof and shadow), and all of the
  // roof: the run leaves out what its land-use maps did not observe (the RGB rules' deep
  // shadow), and its patches are 4-connected (the method's objects 8-connected).
  const auto c = test::run_cli({"change", "--before", dir / "ortho_20240315.tif", "--after",
                                dir / "ortho_20240820.tif", "--out", dir / "by_change", "-q"});
  ASSERT_EQ(c.exit_code, 0) << c.output;
  const auto by_change = patches_in(dir.path() / "by_change");
  ASSERT_EQ(by_change.size(), 1u) << by_change.dump();
  const auto px = f["pixels"].get<std::int64_t>(),
             object_px = by_change[0]["properties"]["pixels"].get<std::int64_t>();
  EXPECT_LE(px, object_px);
  const auto& roof = test::make_vhr_pair(1).built;
  EXPECT_GE(px, roof[2] * roof[3]);
  // The map outputs of every run: land use of both dates, imagery, change.
  for (const char* name : {"change.tif", "landuse_2024-03-15.tif", "landuse_2024-08-20.tif",
                           "imagery_2024-08-20.tif", "report.html", "changes.gpkg"})
    EXPECT_TRUE(fs::exists(out / name)) << name;
  // change.tif marks the building's pixels, and no others.
  const auto change = test::read_band((out / "change.tif").string());
  std::size_t flagged = 0;
  for (double v : change) flagged += v == 1;
  EXPECT_EQ(static_cast<std::int64_t>(flagged), f["pixels"].get<std::int64_t>());
  EXPECT_TRUE(fs::exists(dir.path() / "farmwatch.gpkg"));
}

TEST(VhrRun, AHousePulledDownIsBuiltUpLandInTheEarlierLandUse) {
  // The later date has lost the house on the parcel P-new: built-up land to the grass the RGB
  // rules see, which the change rules call other change, and 建设用地 in the earlier land use.
  test::TempDir dir;
  Ortho o;
  o.pulled_down = true;
  const auto r = run_ortho(dir, o);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const fs::path out = dir.path() / "out";
  const auto summary = nlohmann::json::parse(test::read_text((out / "summary.json").string()));
  const auto patches = patches_in(out);
  ASSERT_EQ(patches.size(), 1u) << summary.dump(1);
  const auto& f = patches[0]["properties"];
  EXPECT_EQ(f["category_code"], "other_change");
  EXPECT_EQ(f["change_kind_code"], "demolished_building");
  EXPECT_EQ(f["class_before"], "建设用地");
  EXPECT_EQ(f["parcel_ids"], "P-new");
  EXPECT_EQ(summary["building_change"]["objects_by_kind"]["demolished_building"], 1)
      << summary["building_change"].dump();
  EXPECT_EQ(summary["building_change"]["objects_by_kind"]["new_building"], 0);
  // The earlier land use has built-up land where the house stood.
  const auto& roof = test::make_vhr_pair(1).built;
  const auto landuse = test::read_band((out / "landuse_2024-03-15.tif").string());
  const int width = test::make_vhr_pair(1).width;
  const double centre =
      landuse[std::size_t(roof[1] + roof[3] / 2) * width + roof[0] + 1 + roof[2] / 2];
  EXPECT_EQ(centre, 7) << "建设用地 in the RGB rules";
}

TEST(VhrRun, RulesThatNeedNearInfraredAreRefusedWithTheRgbRulesNamed) {
  test::TempDir dir;
  const auto r = test::run_cli(
      {"run", write_ortho_pipeline(dir, test::source_dir() + "/pipelines/rules/landuse_rules.yaml")});
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("need the nir band"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("landuse_rules_rgb.yaml"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir.path() / "out"));
}

TEST(VhrRun, ShardsAndGridsCoarserThanTheMethodAreRefused) {
  test::TempDir dir;
  const std::string p =
      write_ortho_pipeline(dir, rgb_rules());
  const auto r = test::run_cli({"run", p, "--shard", "0/2"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("run without shards"), std::string::npos) << r.output;
  std::ofstream(p, std::ios::app) << "grid: {resolution: 5}\n";
  const auto coarse = test::run_cli({"run", p});
  EXPECT_EQ(coarse.exit_code, 3) << coarse.output;
  EXPECT_NE(coarse.output.find("works at 2"), std::string::npos) << coarse.output;
  EXPECT_FALSE(fs::exists(dir.path() / "out"));
}

TEST(VhrRun, TheCollarOfAnOrthomosaicIsNoData) {
  // The earlier image's west 40 columns are transparent and black (its alpha band): nothing
  // there is a change, and the new building is found as without the collar.
  test::TempDir dir;
  const auto r = run_ortho(dir, {true, 40});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const fs::path out = dir.path() / "out";
  const auto change = test::read_band((out / "change.tif").string());
  const int width = test::make_vhr_pair(1).width;
  std::size_t in_collar_not_nodata = 0;
  for (std::size_t i = 0; i < change.size(); ++i)
    in_collar_not_nodata += static_cast<int>(i % width) < 40 && change[i] != 255;
  EXPECT_EQ(in_collar_not_nodata, 0u);
  const auto patches = patches_in(out);
  ASSERT_EQ(patches.size(), 1u) << patches.dump();
  EXPECT_EQ(patches[0]["properties"]["parcel_ids"], "P-new");
}

TEST(VhrRun, ABuildingOffFarmlandIsWhatTheChangeRulesSayNotNonAgricultural) {
  // Only the house of both dates has a parcel: the new one is outside farmland, which the
  // change rules (outside_farmland: report) make other_change.
  test::TempDir dir;
  const auto r = run_ortho(dir, {false, 0});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto patches = patches_in(dir.path() / "out");
  ASSERT_EQ(patches.size(), 1u) << patches.dump();
  EXPECT_EQ(patches[0]["properties"]["category_code"], "other_change");
  EXPECT_EQ(patches[0]["properties"]["parcel_ids"], "");
}

TEST(VhrRun, ADarkRoofIsBuiltUpLandInTheLaterLandUse) {
  // The RGB rules call a dark grey roof bare soil or shadow; the building method finds it, and
  // the later land use, the patch's class after and its category agree: 建设用地, 非农化.
  test::TempDir dir;
  const auto r = run_ortho(dir, {true, 0, true});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const fs::path out = dir.path() / "out";
  const auto patches = patches_in(out);
  ASSERT_EQ(patches.size(), 1u) << patches.dump();
  EXPECT_EQ(patches[0]["properties"]["category_code"], "non_agricultural");
  EXPECT_EQ(patches[0]["properties"]["class_after"], "建设用地");
  const auto& roof = test::make_vhr_pair(1).built;
  const auto after = test::read_band((out / "landuse_2024-08-20.tif").string());
  const int width = test::make_vhr_pair(1).width;
  EXPECT_EQ(after[std::size_t(roof[1] + roof[3] / 2) * width + roof[0] + roof[2] / 2], 7)
      << "built_up in the later land use at the roof's centre";
}
