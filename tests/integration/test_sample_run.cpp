// Runs the bundled sample pipeline once and checks its outputs against the truth written by
// scripts/make_sample_tiles.py.
#include <gtest/gtest.h>
#include <gdal_rat.h>
#include <ogrsf_frmts.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <set>
#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace farmwatch;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct Reported {
  std::string id, category, before, after, parcels;
  double area_m2, x, y, share;
};

class SampleRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    result_ = new test::CliResult(
        test::run_cli({"run", test::source_dir() + "/pipelines/sample.yaml", "--out", *dir_ / "out",
                       "--db", *dir_ / "farmwatch.gpkg", "--threads", "2"}));
    truth_ = new json(json::parse(test::read_text(test::sample("truth.json"))));
    GDALAllRegister();
    patches_ = new std::vector<Reported>();
    GDALDatasetUniquePtr ds(
        GDALDataset::Open((*dir_ / "out/changes.gpkg").c_str(), GDAL_OF_VECTOR));
    if (!ds) return;
    for (auto& f : *ds->GetLayer(0))
      patches_->push_back({f->GetFieldAsString("patch_id"), f->GetFieldAsString("category"),
                           f->GetFieldAsString("class_before"), f->GetFieldAsString("class_after"),
                           f->GetFieldAsString("parcel_ids"), f->GetFieldAsDouble("area_m2"),
                           f->GetFieldAsDouble("centroid_x"), f->GetFieldAsDouble("centroid_y"),
                           f->GetFieldAsDouble("farmland_share")});
  }
  static void TearDownTestSuite() {
    delete patches_;
    delete truth_;
    delete result_;
    delete dir_;
  }
  void SetUp() override { ASSERT_EQ(result_->exit_code, 0) << result_->output; }

  static std::string out(const std::string& f) { return *dir_ / ("out/" + f); }
  static bool inside(const json& box, double x, double y) {
    return x >= box[0].get<double>() && x <= box[2].get<double>() && y >= box[1].get<double>() &&
           y <= box[3].get<double>();
  }
  static bool overlaps(const json& box, const Reported& p, double half) {
    // A patch overlaps a box if its centroid is within the box grown by `half` metres.
    return p.x >= box[0].get<double>() - half && p.x <= box[2].get<double>() + half &&
           p.y >= box[1].get<double>() - half && p.y <= box[3].get<double>() + half;
  }

  static test::TempDir* dir_;
  static test::CliResult* result_;
  static json* truth_;
  static std::vector<Reported>* patches_;
};
test::TempDir* SampleRun::dir_ = nullptr;
test::CliResult* SampleRun::result_ = nullptr;
json* SampleRun::truth_ = nullptr;
std::vector<Reported>* SampleRun::patches_ = nullptr;

const std::map<std::string, std::string> kCategoryLabel = {
    {"non_agricultural", "非农化"}, {"non_grain", "非粮化"}, {"other_change", "其他变化"}};
const std::map<std::string, std::string> kClassName = {{"cropland", "耕地"},
                                                       {"built_up", "建设用地"},
                                                       {"water", "坑塘水面"},
                                                       {"orchard", "园地"},
                                                       {"forest", "林地"}};

}  // namespace

TEST_F(SampleRun, PrintsWhereTheOutputsAre) {
  EXPECT_NE(result_->output.find("outputs: "), std::string::npos);
  for (const char* f : {"landuse_2024-03-15.tif", "landuse_2024-08-20.tif", "change.tif",
                        "changes.gpkg", "changes.geojson", "changes.csv", "summary.json"})
    EXPECT_TRUE(fs::exists(out(f))) << f;
}

TEST_F(SampleRun, EveryTruePatchIsFoundWithItsCategoryClassesParcelsAndArea) {
  for (const auto& t : (*truth_)["patches"]) {
    const std::string name = t["name"];
    const Reported* hit = nullptr;
    for (const auto& p : *patches_)
      if (inside(t["box"], p.x, p.y)) hit = &p;
    ASSERT_NE(hit, nullptr) << "no patch found for " << name;
    EXPECT_EQ(hit->category, kCategoryLabel.at(t["category"])) << name;
    EXPECT_EQ(hit->before, kClassName.at(t["before"])) << name;
    EXPECT_EQ(hit->after, kClassName.at(t["after"])) << name;
    const double area = t["area_m2"];
    EXPECT_NEAR(hit->area_m2, area, 0.10 * area) << name;
    std::string parcels;
    for (const auto& id : t["parcels"]) {
      if (!parcels.empty()) parcels += ';';
      parcels += id.get<std::string>();
    }
    EXPECT_EQ(hit->parcels, parcels) << name;
    EXPECT_NEAR(hit->share, parcels.empty() ? 0.0 : 1.0, 0.05) << name;
  }
}

TEST_F(SampleRun, NothingIsReportedOnSeasonalOrHarvestedFieldsOrBelowTheMinimumArea) {
  for (const auto& n : (*truth_)["not_reported"])
    for (const auto& p : *patches_)
      EXPECT_FALSE(overlaps(n["box"], p, 0))
          << p.id << " (" << p.category << ") lies on " << n["name"].get<std::string>();
}

TEST_F(SampleRun, NoFarmlandPatchesBeyondTheTruth) {
  std::size_t farmland_truth = 0, farmland_reported = 0;
  for (const auto& t : (*truth_)["patches"]) farmland_truth += t["category"] != "other_change";
  for (const auto& p : *patches_) farmland_reported += p.category != "其他变化";
  EXPECT_EQ(farmland_reported, farmland_truth);
}

TEST_F(SampleRun, LandUseRastersArePalettedTiledWithOverviewsAndNodata) {
  GDALDatasetUniquePtr ds(GDALDataset::Open(out("landuse_2024-08-20.tif").c_str(), GDAL_OF_RASTER));
  ASSERT_TRUE(ds);
  GDALRasterBand* b = ds->GetRasterBand(1);
  EXPECT_EQ(b->GetRasterDataType(), GDT_Byte);
  ASSERT_NE(b->GetColorTable(), nullptr);
  int has = 0;
  EXPECT_EQ(b->GetNoDataValue(&has), 255);
  EXPECT_TRUE(has);
  int bx = 0, by = 0;
  b->GetBlockSize(&bx, &by);
  EXPECT_EQ(bx, 512);
  EXPECT_GE(b->GetOverviewCount(), 1);
  const char* layout = ds->GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE");
  ASSERT_NE(layout, nullptr);
  EXPECT_STREQ(layout, "COG");
  // The analysis grid is the pipeline's: EPSG:4527, 10 m.
  double gt[6];
  ds->GetGeoTransform(gt);
  EXPECT_DOUBLE_EQ(gt[1], 10);
  EXPECT_STREQ(ds->GetSpatialRef()->GetAuthorityCode(nullptr), "4527");
}

TEST_F(SampleRun, ChangeRasterIsCodedAndMasksCloudsAndNodata) {
  GDALDatasetUniquePtr ds(GDALDataset::Open(out("change.tif").c_str(), GDAL_OF_RASTER));
  ASSERT_TRUE(ds);
  double gt[6];
  ds->GetGeoTransform(gt);
  const auto v = test::read_band(out("change.tif"));
  const int w = ds->GetRasterXSize();
  for (double x : v) EXPECT_TRUE(x == 0 || x == 1 || x == 2 || x == 3 || x == 255) << x;
  auto at = [&](double x, double y) {
    const int c = static_cast<int>((x - gt[0]) / gt[1]), r = static_cast<int>((y - gt[3]) / gt[5]);
    return v[static_cast<size_t>(r) * w + c];
  };
  const auto& cloud = (*truth_)["cloud_after"]["centre"];
  EXPECT_EQ(at(cloud[0], cloud[1]), 255);
  // Row through the middle: the west edge of date 1 is nodata.
  EXPECT_EQ(v[static_cast<size_t>(ds->GetRasterYSize() / 2) * w + 2], 255);
  for (const auto& t : (*truth_)["patches"]) {
    const double cx = 0.5 * (t["box"][0].get<double>() + t["box"][2].get<double>());
    const double cy = 0.5 * (t["box"][1].get<double>() + t["box"][3].get<double>());
    const std::string cat = t["category"];
    EXPECT_EQ(at(cx, cy), cat == "non_agricultural" ? 1 : cat == "non_grain" ? 2 : 3);
  }
}

TEST_F(SampleRun, GeoJsonIsRfc7946InLonLat) {
  const auto gj = json::parse(test::read_text(out("changes.geojson")));
  EXPECT_EQ(gj["type"], "FeatureCollection");
  EXPECT_FALSE(gj.contains("crs"));
  ASSERT_EQ(gj["features"].size(), patches_->size());
  for (const auto& f : gj["features"]) {
    const bool multi = f["geometry"]["type"] == "MultiPolygon";
    EXPECT_TRUE(multi || f["geometry"]["type"] == "Polygon");
    const auto& pt =
        multi ? f["geometry"]["coordinates"][0][0][0] : f["geometry"]["coordinates"][0][0];
    EXPECT_NEAR(pt[0].get<double>(), 117.02, 0.1);
    EXPECT_NEAR(pt[1].get<double>(), 31.85, 0.1);
    EXPECT_NEAR(f["properties"]["centroid_lon"].get<double>(), 117.02, 0.1);
    EXPECT_NEAR(f["properties"]["area_mu"].get<double>(),
                f["properties"]["area_m2"].get<double>() * 3 / 2000, 0.01);
  }
}

TEST_F(SampleRun, CsvOpensInExcelWithChineseText) {
  const std::string csv = test::read_text(out("changes.csv"));
  ASSERT_GE(csv.size(), 3u);
  EXPECT_EQ(csv.substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_NE(csv.find("patch_id,category"), std::string::npos);
  EXPECT_NE(csv.find("非农化"), std::string::npos);
  EXPECT_EQ(static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')),
            patches_->size() + 1);
}

TEST_F(SampleRun, SummaryCountsMatchThePatches) {
  const auto s = json::parse(test::read_text(out("summary.json")));
  EXPECT_EQ(s["changes"]["patches"].get<std::size_t>(), patches_->size());
  int n = 0;
  for (const auto& [k, c] : s["changes"]["categories"].items()) n += c["patches"].get<int>();
  EXPECT_EQ(static_cast<std::size_t>(n), patches_->size());
  EXPECT_TRUE(s.contains("farmwatch_version"));
  EXPECT_TRUE(s["timings_s"].contains("classify"));
  EXPECT_EQ(s["inputs"]["farmland"]["parcels"], 49);
  EXPECT_TRUE(s["grid"]["resampled_inputs"].get<bool>());
}

// Tiles of every published layer in both grids; their pixels are checked against exact warps
// in test_map_tiles.cpp.
TEST_F(SampleRun, TilesOfEveryLayerInBothGrids) {
  const auto s = json::parse(test::read_text(out("summary.json")));
  for (const char* grid : {"webmercator", "tianditu-c"})
    for (const char* layer : {"landuse_2024-03-15", "landuse_2024-08-20", "change"}) {
      const auto& t = s["outputs"]["tiles"][grid][layer];
      ASSERT_TRUE(t.is_object()) << grid << " " << layer;
      EXPECT_GT(t["tiles"].get<int>(), 0);
      EXPECT_EQ(t["max_zoom"], 16);  // outputs.tiles.max_zoom in sample.yaml
      EXPECT_TRUE(fs::exists(out("tiles/" + t["tilejson"].get<std::string>())));
      EXPECT_TRUE(fs::exists(out(std::string("tiles/") + grid + "/tilematrixset.json")));
    }
  EXPECT_TRUE(fs::exists(out("tiles/webmercator/change.mbtiles")));
  const auto tj = json::parse(test::read_text(out("tiles/webmercator/landuse_2024-08-20/tilejson.json")));
  std::set<std::string> labels;
  for (const auto& e : tj["farmwatch:legend"]) labels.insert(e["label"].get<std::string>());
  EXPECT_TRUE(labels.count("耕地")) << tj.dump();
}

TEST_F(SampleRun, ChangeTilesShowOnlyChangeOverATransparentBackground) {
  std::size_t opaque = 0, pixels = 0;
  for (const auto& e : fs::recursive_directory_iterator(out("tiles/webmercator/change"))) {
    if (e.path().extension() != ".png") continue;
    GDALDatasetUniquePtr tile(GDALDataset::Open(e.path().c_str(), GDAL_OF_RASTER));
    ASSERT_TRUE(tile);
    GDALRasterBand* b = tile->GetRasterBand(1);
    const GDALColorTable* ct = b->GetColorTable();
    ASSERT_TRUE(ct) << e.path() << ": a palette PNG";
    std::vector<std::uint8_t> idx(256 * 256);
    ASSERT_EQ(b->RasterIO(GF_Read, 0, 0, 256, 256, idx.data(), 256, 256, GDT_Byte, 0, 0, nullptr),
              CE_None);
    for (auto i : idx) opaque += ct->GetColorEntry(i)->c4 != 0;
    pixels += idx.size();
  }
  ASSERT_GT(pixels, 0u);
  EXPECT_GT(opaque, 0u);
  EXPECT_LT(opaque, pixels / 20);  // the four patches, not the unchanged land
}

// What QGIS and a spreadsheet need to show the outputs right without styling by hand.
TEST_F(SampleRun, ClassRastersTablesAndSpreadsheetsOpenRightInGisTools) {
  // change.tif: "no change" transparent in the colour table itself, class names beside it.
  GDALDatasetUniquePtr ch(GDALDataset::Open(out("change.tif").c_str(), GDAL_OF_RASTER));
  ASSERT_TRUE(ch);
  GDALRasterBand* b = ch->GetRasterBand(1);
  ASSERT_TRUE(b->GetColorTable());
  EXPECT_EQ(b->GetColorTable()->GetColorEntry(0)->c4, 0);
  EXPECT_EQ(b->GetColorTable()->GetColorEntry(1)->c4, 255);
  char** names = b->GetCategoryNames();
  ASSERT_TRUE(names && CSLCount(names) >= 4);
  EXPECT_STREQ(names[1], "非农化");
  ASSERT_TRUE(b->GetDefaultRAT());
  EXPECT_GE(b->GetDefaultRAT()->GetRowCount(), 4);
  // Land use: a QGIS style with the class names; the raster attribute table with GB/T codes.
  const std::string qml = test::read_text(out("landuse_2024-08-20.qml"));
  EXPECT_NE(qml.find("type=\"paletted\""), std::string::npos);
  EXPECT_NE(qml.find("耕地"), std::string::npos);
  GDALDatasetUniquePtr lu(GDALDataset::Open(out("landuse_2024-08-20.tif").c_str(), GDAL_OF_RASTER));
  const GDALRasterAttributeTable* rat = lu->GetRasterBand(1)->GetDefaultRAT();
  ASSERT_TRUE(rat);
  bool gbt = false;
  for (int r = 0; r < rat->GetRowCount(); ++r)
    gbt = gbt || std::string(rat->GetValueAsString(r, 2)) == "0103";
  EXPECT_TRUE(gbt);
  // GeoPackage field aliases in gpkg_data_columns.
  GDALDatasetUniquePtr gpkg(GDALDataset::Open(out("changes.gpkg").c_str(), GDAL_OF_VECTOR));
  ASSERT_TRUE(gpkg);
  OGRLayer* sql = gpkg->ExecuteSQL(
      "SELECT title FROM gpkg_data_columns WHERE table_name = 'changes' AND column_name = "
      "'patch_id'",
      nullptr, nullptr);
  ASSERT_TRUE(sql);
  std::unique_ptr<OGRFeature> f(sql->GetNextFeature());
  ASSERT_TRUE(f);
  EXPECT_STREQ(f->GetFieldAsString(0), "监测编号");
  gpkg->ReleaseResultSet(sql);
  // QGIS 3.22 does not read those: its default style (layer_styles) carries the aliases and
  // draws the patches by category in the change colours.
  OGRLayer* styles = gpkg->GetLayerByName("layer_styles");
  ASSERT_TRUE(styles);
  std::unique_ptr<OGRFeature> style(styles->GetNextFeature());
  ASSERT_TRUE(style);
  EXPECT_STREQ(style->GetFieldAsString("f_table_name"), "changes");
  EXPECT_STREQ(style->GetFieldAsString("f_geometry_column"), "geom");
  EXPECT_EQ(style->GetFieldAsInteger("useAsDefault"), 1);
  const std::string patch_qml = style->GetFieldAsString("styleQML");
  for (const char* s : {"type=\"categorizedSymbol\" attr=\"category\"", "value=\"非农化\"",
                        "<alias field=\"patch_id\" name=\"监测编号\"/>", "230,30,30,255"})
    EXPECT_NE(patch_qml.find(s), std::string::npos) << s;
  // Every type in the .csvt is one QGIS's delimited-text reader accepts (it rejects the whole
  // file for one it does not know, such as Integer64, and reads 0103 as 103).
  const std::string csvt = test::read_text(out("changes.csvt"));
  std::stringstream types(csvt.substr(0, csvt.find_first_of("\r\n")));
  for (std::string t; std::getline(types, t, ',');)
    EXPECT_TRUE(std::regex_match(t, std::regex(R"((Integer|Real|String|Date|DateTime|Time)(\(\d+(\.\d+)?\))?)")))
        << t;
  // CSV: a .csvt keeps codes as text; the workbook holds them as text too.
  GDALDatasetUniquePtr csv(GDALDataset::Open(out("changes.csv").c_str(), GDAL_OF_VECTOR));
  GDALDatasetUniquePtr xlsx(GDALDataset::Open(out("changes.xlsx").c_str(), GDAL_OF_VECTOR));
  ASSERT_TRUE(csv && xlsx);
  for (GDALDataset* ds : {csv.get(), xlsx.get()}) {
    OGRFeatureDefn* d = ds->GetLayer(0)->GetLayerDefn();
    const int k = d->GetFieldIndex("gbt_before");
    ASSERT_GE(k, 0) << ds->GetDescription();
    EXPECT_EQ(d->GetFieldDefn(k)->GetType(), OFTString) << ds->GetDescription();
    std::unique_ptr<OGRFeature> row(ds->GetLayer(0)->GetNextFeature());
    ASSERT_TRUE(row);
    EXPECT_EQ(std::string(row->GetFieldAsString(k)).size(), 4u) << row->GetFieldAsString(k);
  }
}

TEST_F(SampleRun, ReportHasCoordinatesMuAndAPrintStylesheet) {
  const std::string html = test::read_text(out("report.html"));
  for (const char* s : {"@media print", "@page{size:A4", "CGCS2000", "面积(亩)", "置信度",
                        "生成时间", "EPSG:4527", "index.html"})
    EXPECT_NE(html.find(s), std::string::npos) << s;
  // The 非农化 patch comes first (farmland categories first, larger first).
  const auto first = html.find("<tr id='");
  ASSERT_NE(first, std::string::npos);
  EXPECT_NE(html.substr(first, 200).find("非农化"), std::string::npos) << html.substr(first, 200);
}
