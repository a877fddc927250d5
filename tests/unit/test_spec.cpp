#include <gtest/gtest.h>

#include <fstream>

#include "farmwatch/core/error.h"
#include "farmwatch/pipeline/spec.h"
#include "test_support.h"

using namespace farmwatch;

namespace {
const std::string kRules = test::source_dir() + "/pipelines/rules/";

std::string pipeline_yaml(const std::string& extra = "") {
  return "name: t\n"
         "dates:\n"
         "  - {date: 2024-03-15, image: a.tif, bands: {red: 3, nir: 4}, scale: 0.0001}\n"
         "  - {date: 2024-08-20, image: b.tif}\n"
         "classification: " +
         kRules +
         "landuse_rules.yaml\n"
         "change_rules: " +
         kRules +
         "change_rules.yaml\n"
         "outputs: {dir: out, tiles: false}\n" +
         extra;
}

std::string config_error(const std::string& path) {
  try {
    pipeline::load_pipeline(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(PipelineSpec, LoadsYamlWithPathsRelativeToTheFile) {
  test::TempDir d;
  std::ofstream(d / "p.yaml") << pipeline_yaml("min_patch_area_m2: {non_grain: 1000}\n");
  const auto s = pipeline::load_pipeline(d / "p.yaml");
  ASSERT_EQ(s.dates.size(), 2u);
  EXPECT_EQ(s.dates[0].scenes[0].image.path, d / "a.tif");
  EXPECT_EQ((*s.dates[0].scenes[0].image.bands)[BandRole::nir], 4);
  EXPECT_DOUBLE_EQ(*s.dates[0].scenes[0].image.scale, 0.0001);
  EXPECT_FALSE(s.dates[1].scenes[0].image.bands);
  EXPECT_EQ(s.outputs.dir, d / "out");
  EXPECT_FALSE(s.outputs.tiles);
  EXPECT_DOUBLE_EQ(s.change.rules.min_area_m2(ChangeCategory::non_grain), 1000);
}

TEST(PipelineSpec, LoadsJsonToo) {
  test::TempDir d;
  std::ofstream(d / "p.json") << R"({"dates": [{"date": "2024-01-02", "image": "a.tif"}],
    "classification": ")" + kRules + R"(landuse_rules.yaml", "outputs": {"dir": "o"}})";
  const auto s = pipeline::load_pipeline(d / "p.json");
  EXPECT_EQ(s.dates.size(), 1u);
}

TEST(PipelineSpec, UnknownKeysAreErrorsNamingTheKey) {
  test::TempDir d;
  std::ofstream(d / "p.yaml") << pipeline_yaml("treshold: 3\n");
  const std::string m = config_error(d / "p.yaml");
  EXPECT_NE(m.find("treshold"), std::string::npos) << m;
  EXPECT_NE(m.find("p.yaml"), std::string::npos) << m;
  std::ofstream(d / "q.yaml") << pipeline_yaml("farmland: {path: f.gpkg, id_field: ID, crs: x}\n");
  EXPECT_NE(config_error(d / "q.yaml").find("farmland.crs"), std::string::npos);
}

TEST(PipelineSpec, BadDatesAreErrors) {
  test::TempDir d;
  std::string y = pipeline_yaml();
  std::ofstream(d / "p.yaml") << y.replace(y.find("2024-08-20"), 10, "2024-02-30");
  EXPECT_NE(config_error(d / "p.yaml").find("2024-02-30"), std::string::npos);
  y = pipeline_yaml();
  std::ofstream(d / "q.yaml") << y.replace(y.find("2024-08-20"), 10, "2023-08-20");
  EXPECT_NE(config_error(d / "q.yaml").find("later"), std::string::npos);
  EXPECT_TRUE(pipeline::valid_date("2024-02-29"));
  EXPECT_FALSE(pipeline::valid_date("2023-02-29"));
}

// Tile levels the file cannot mean are its error (exit 3), found when it is read (`--check`).
TEST(PipelineSpec, TileLevelsThatCannotBeAreErrors) {
  test::TempDir d;
  std::string y = pipeline_yaml();
  std::ofstream(d / "p.yaml") << y.replace(y.find("tiles: false"), 12,
                                           "tiles: {min_zoom: 16, max_zoom: 12}");
  EXPECT_NE(config_error(d / "p.yaml").find("min_zoom 16 is above max_zoom 12"), std::string::npos);
  y = pipeline_yaml();
  std::ofstream(d / "q.yaml") << y.replace(y.find("tiles: false"), 12,
                                           "tiles: {min_zoom: 0, grid: tianditu-c}");
  EXPECT_NE(config_error(d / "q.yaml").find("start at 1"), std::string::npos);
}

TEST(PipelineSpec, MissingRequiredKeysAreNamed) {
  test::TempDir d;
  std::ofstream(d / "p.yaml") << "dates: [{date: 2024-01-01, image: a.tif}]\n"
                                 "classification: " +
                                     kRules + "landuse_rules.yaml\n";
  EXPECT_NE(config_error(d / "p.yaml").find("outputs"), std::string::npos);
  EXPECT_NE(config_error(d / "missing.yaml").find("does not exist"), std::string::npos);
}

TEST(PipelineSpec, LayersAndTheDatabase) {
  test::TempDir d;
  const std::string p = d / "p.yaml";
  std::ofstream(p) << pipeline_yaml(
      "admin: {path: v.gpkg, code_field: XZQDM, name_field: XZQMC}\n"
      "exemptions:\n  - {name: 建设用地审批, path: approved.gpkg, layer: 批准}\n"
      "  - {name: 城镇开发边界, path: boundary.shp}\n");
  const auto s = pipeline::load_pipeline(p);
  ASSERT_TRUE(s.admin);
  EXPECT_EQ(s.admin->path, d / "v.gpkg");
  EXPECT_EQ(s.admin->id_field, "XZQDM");
  EXPECT_EQ(s.admin->name_field, "XZQMC");
  ASSERT_EQ(s.exemptions.size(), 2u);
  EXPECT_EQ(s.exemptions[0].layer.layer, "批准");
  EXPECT_EQ(s.exemptions[1].name, "城镇开发边界");
  // The database defaults to farmwatch.gpkg beside the output folder; PG: strings pass as
  // they are; none turns it off.
  EXPECT_EQ(s.database, d / "farmwatch.gpkg");
  std::ofstream(p) << pipeline_yaml("database: \"PG:dbname=fw host=db\"\n");
  EXPECT_EQ(pipeline::load_pipeline(p).database, "PG:dbname=fw host=db");
  std::ofstream(p) << pipeline_yaml("database: none\n");
  EXPECT_EQ(pipeline::load_pipeline(p).database, "");
  // Mistakes are named.
  std::ofstream(p) << pipeline_yaml("admin: {path: v.gpkg, code_field: A}\n");
  EXPECT_NE(config_error(p).find("name_field"), std::string::npos) << config_error(p);
  std::ofstream(p) << pipeline_yaml("exemptions: {name: x, path: y}\n");
  EXPECT_NE(config_error(p).find("exemptions"), std::string::npos) << config_error(p);
}
