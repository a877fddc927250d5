// The monitoring database over several runs, through the CLI as an office uses it: patches keep
// their ids from night to night, an analyst's decision sticks, a failed run leaves nothing
// behind. The same suite runs on a GeoPackage and on a real PostgreSQL + PostGIS server
// (started by tests/support/postgis.sh; skipped with the reason where it cannot be).
#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "test_support.h"

namespace farmwatch::test {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

/// A pipeline over the sample with the villages, the approved-construction layer and `db`.
std::string write_pipeline(const TempDir& dir, const std::string& name, const std::string& date,
                           const std::string& later_image, const std::string& db) {
  const std::string rules = source_dir() + "/pipelines/rules/";
  const std::string path = dir / (name + ".yaml");
  std::ofstream(path) << "dates:\n"
                      << "  - {date: 2024-03-15, image: '" << sample("sample_20240315.tif")
                      << "'}\n"
                      << "  - {date: " << date << ", image: '" << later_image << "'}\n"
                      << "farmland: {path: '" << sample("farmland.gpkg")
                      << "', id_field: 地块编号}\n"
                      << "admin: {path: '" << sample("villages.gpkg")
                      << "', code_field: XZQDM, name_field: XZQMC}\n"
                      << "exemptions:\n  - {name: 建设用地审批, path: '"
                      << sample("approved_construction.gpkg") << "'}\n"
                      << "grid: {crs: 'EPSG:4527', resolution: 10}\n"
                      << "classification: " << rules << "landuse_rules.yaml\n"
                      << "change_rules: " << rules << "change_rules.yaml\n"
                      << "database: \"" << db << "\"\n"
                      << "outputs: {dir: '" << (dir / name) << "', tiles: false}\n";
  return path;
}

/// A copy of the later sample image with a new 120 x 90 m yard (built-up DNs) in parcel
/// 3401230010025, given as its box in EPSG:4527.
std::string image_with_new_yard(const TempDir& dir) {
  GDALAllRegister();
  const std::string out = dir / "sample_20240910.tif";
  fs::copy_file(sample("sample_20240820.tif"), out);
  std::unique_ptr<GDALDataset> ds(GDALDataset::Open(out.c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE));
  double gt[6];
  ds->GetGeoTransform(gt);
  OGRSpatialReference gk, utm;
  gk.importFromEPSG(4527);
  utm.importFromEPSG(32650);
  gk.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  utm.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> to_gk(OGRCreateCoordinateTransformation(&utm, &gk));
  const double box[4] = {39501820, 3525120, 39501940, 3525210};
  const std::uint16_t dn[4] = {1700, 1800, 1900, 2200};  // built-up reflectance x 10000
  for (int row = 0; row < ds->GetRasterYSize(); ++row)
    for (int col = 0; col < ds->GetRasterXSize(); ++col) {
      double x = gt[0] + (col + 0.5) * gt[1], y = gt[3] + (row + 0.5) * gt[5];
      to_gk->Transform(1, &x, &y);
      if (x < box[0] || x >= box[2] || y < box[1] || y >= box[3]) continue;
      for (int b = 0; b < 4; ++b) {
        std::uint16_t v = dn[b];
        EXPECT_EQ(ds->GetRasterBand(b + 1)->RasterIO(GF_Write, col, row, 1, 1, &v, 1, 1, GDT_UInt16,
                                                     0, 0, nullptr),
                  CE_None);
      }
    }
  return out;
}

json patches_geojson(const std::string& db, std::vector<std::string> filter = {}) {
  std::vector<std::string> args{"patches", "--db", db, "--format", "geojson"};
  args.insert(args.end(), filter.begin(), filter.end());
  const auto r = run_cli(args);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return json::parse(r.output);
}

std::map<std::string, std::string> status_by_id(const json& fc) {
  std::map<std::string, std::string> m;
  for (const auto& f : fc["features"])
    m[f["properties"]["patch_id"].get<std::string>()] = f["properties"]["status"];
  return m;
}

/// patch_id -> "category_label/status_label" as stored in the database's patches table.
std::map<std::string, std::string> stored_labels(const std::string& db) {
  GDALAllRegister();
  std::unique_ptr<GDALDataset> ds(GDALDataset::Open(db.c_str(), GDAL_OF_VECTOR));
  std::map<std::string, std::string> m;
  if (!ds || !ds->GetLayerByName("patches")) return m;
  for (auto& f : *ds->GetLayerByName("patches"))
    m[f->GetFieldAsString("patch_id")] = std::string(f->GetFieldAsString("category_label")) +
                                         "/" + f->GetFieldAsString("status_label");
  return m;
}

/// The database a test writes to: a GeoPackage in its folder, or a fresh PostGIS database.
class Monitoring : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "gpkg") {
      db_ = dir_ / "farmwatch.gpkg";
      return;
    }
    const fs::path pg = FARMWATCH_TEST_POSTGIS_DIR;
    if (!fs::exists(pg / "connection"))
      GTEST_SKIP() << "no PostgreSQL + PostGIS server for this test: "
                   << (fs::exists(pg / "skipped") ? read_text((pg / "skipped").string())
                                                  : "tests/support/postgis.sh did not run");
    // One database per test, copied from the template that has PostGIS.
    const std::string name =
        std::string("t_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::string clean = std::regex_replace(name, std::regex("[^A-Za-z0-9_]"), "_");
    for (auto& c : clean) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string psql = "psql -q -h " + pg.string() + " -U farmwatch -d postgres -c ";
    ASSERT_EQ(std::system((psql + "'DROP DATABASE IF EXISTS " + clean + "' > /dev/null").c_str()),
              0);
    ASSERT_EQ(
        std::system((psql + "'CREATE DATABASE " + clean + " TEMPLATE farmwatch_test'").c_str()), 0);
    db_ = "PG:host=" + pg.string() + " dbname=" + clean + " user=farmwatch";
  }

  CliResult run(const std::string& name, const std::string& date, const std::string& image,
                const std::string& env = "") {
    return run_cli({"run", write_pipeline(dir_, name, date, image, db_)}, env);
  }

  /// The same run through tests/support/hooked_run.cpp: "fail" throws just before the
  /// database commits.
  CliResult hooked_run(const std::string& mode, const std::string& name, const std::string& date,
                       const std::string& image) {
    const std::string cmd = std::string("'") + FARMWATCH_HOOKED_RUN + "' " + mode + " '" +
                            write_pipeline(dir_, name, date, image, db_) + "' 2>&1";
    CliResult r;
    FILE* p = ::popen(cmd.c_str(), "r");
    char buf[4096];
    while (p && std::fgets(buf, sizeof buf, p)) r.output += buf;
    const int status = p ? ::pclose(p) : -1;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }

  TempDir dir_;
  std::string db_;
};

TEST_P(Monitoring, PatchesKeepTheirIdsAcrossRunsAndAnalystDecisionsStick) {
  const auto first = run("march_august", "2024-08-20", sample("sample_20240820.tif"));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const auto before = status_by_id(patches_geojson(db_));
  ASSERT_EQ(before.size(), 4u);
  for (const auto& [id, status] : before) {
    EXPECT_EQ(id.rfind("FW20240820-", 0), 0u) << id;
    EXPECT_EQ(status, "new") << id;
  }

  // The 非农化 yard is checked in the field.
  const auto fc = patches_geojson(db_, {"--category", "非农化"});
  ASSERT_EQ(fc["features"].size(), 1u);
  const std::string yard = fc["features"][0]["properties"]["patch_id"];
  const auto check = run_cli({"patch", yard, "--db", db_, "--status", "verified", "--note",
                              "现场核查: 硬化场地", "--by", "张三"});
  ASSERT_EQ(check.exit_code, 0) << check.output;

  // A later night: the same changes are still there, and a new yard has appeared.
  const auto second = run("march_september", "2024-09-10", image_with_new_yard(dir_));
  ASSERT_EQ(second.exit_code, 0) << second.output;
  const auto after = status_by_id(patches_geojson(db_));
  ASSERT_EQ(after.size(), 5u);
  for (const auto& [id, status] : before)
    EXPECT_EQ(after.at(id), id == yard ? "verified" : "persisting") << id;
  EXPECT_EQ(after.at("FW20240910-0001"), "new");
  const auto fresh = patches_geojson(db_, {"--status", "new"});
  ASSERT_EQ(fresh["features"].size(), 1u);
  EXPECT_NEAR(fresh["features"][0]["properties"]["area_m2"].get<double>(), 10800, 200);
  EXPECT_EQ(fresh["features"][0]["properties"]["parcels"], "3401230010025");
  EXPECT_EQ(patches_geojson(db_, {"--category", "非农化"})["features"].size(), 2u);
  EXPECT_EQ(patches_geojson(db_, {"--since", "2024-09-01"})["features"].size(), 5u);
  EXPECT_EQ(patches_geojson(db_, {"--unit", "西岗村"})["features"].size(), 2u);

  // The database holds the reports' Chinese labels too, kept with every change of status.
  const auto labels = stored_labels(db_);
  ASSERT_EQ(labels.size(), 5u);
  EXPECT_EQ(labels.at(yard), "非农化/已核实");
  EXPECT_EQ(labels.at("FW20240910-0001"), "非农化/新发现");
  for (const auto& [id, status] : before)
    if (id != yard) {
      EXPECT_NE(labels.at(id).find("/持续存在"), std::string::npos) << id;
    }

  // The second run's reports carry the ids and statuses too.
  const std::string csv = read_text(dir_ / "march_september/changes.csv");
  EXPECT_NE(csv.find(yard + ",非农化"), std::string::npos);
  EXPECT_NE(csv.find("已核实"), std::string::npos);

  // The yard's history: found, verified, found again.
  const auto history = run_cli({"patch", yard, "--db", db_});
  ASSERT_EQ(history.exit_code, 0) << history.output;
  const auto p1 = history.output.find("detected"), p2 = history.output.find("verified  ");
  const auto p3 = history.output.find("persisting");
  EXPECT_TRUE(p1 != std::string::npos && p2 != std::string::npos && p3 != std::string::npos &&
              p1 < p2 && p2 < p3)
      << history.output;
  EXPECT_NE(history.output.find("张三"), std::string::npos);
  EXPECT_NE(history.output.find("现场核查: 硬化场地"), std::string::npos);
}

TEST_P(Monitoring, AFailedRunLeavesTheDatabaseAndTheOutputsAsTheyWere) {
  const auto first = run("nightly", "2024-08-20", sample("sample_20240820.tif"));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const std::string summary = read_text(dir_ / "nightly/summary.json");
  const auto before = patches_geojson(db_);
  const auto history = run_cli({"patch", "FW20240820-0001", "--db", db_}).output;

  const auto failed = hooked_run("fail", "nightly", "2024-09-10", image_with_new_yard(dir_));
  EXPECT_EQ(failed.exit_code, 5) << failed.output;
  EXPECT_NE(failed.output.find("monitoring database"), std::string::npos) << failed.output;
  EXPECT_EQ(patches_geojson(db_), before);
  EXPECT_EQ(run_cli({"patch", "FW20240820-0001", "--db", db_}).output, history);
  EXPECT_EQ(read_text(dir_ / "nightly/summary.json"), summary);
}

TEST_P(Monitoring, AKilledRunLeavesTheDatabaseAsItWas) {
  ASSERT_EQ(run("nightly", "2024-08-20", sample("sample_20240820.tif")).exit_code, 0);
  const auto before = patches_geojson(db_);
  // The second run is killed (SIGKILL) while its transaction is open, all rows written.
  const std::string marker = dir_ / "holding";
  const std::string cmd =
      std::string("'") + FARMWATCH_HOOKED_RUN + "' hold '" +
      write_pipeline(dir_, "nightly", "2024-09-10", image_with_new_yard(dir_), db_) + "' '" +
      marker + "' > '" + (dir_ / "log") + "' 2>&1 & echo $!";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_TRUE(p);
  long pid = 0;
  ASSERT_EQ(std::fscanf(p, "%ld", &pid), 1);
  ::pclose(p);
  for (int i = 0; i < 600 && !fs::exists(marker); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(fs::exists(marker)) << read_text(dir_ / "log");
  ASSERT_EQ(std::system(("kill -9 " + std::to_string(pid)).c_str()), 0);
  for (int i = 0;
       i < 100 && std::system(("kill -0 " + std::to_string(pid) + " 2>/dev/null").c_str()) == 0;
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(patches_geojson(db_), before);
  // And the next run works on it as usual.
  ASSERT_EQ(run("nightly", "2024-09-10", dir_ / "sample_20240910.tif").exit_code, 0);
  EXPECT_EQ(patches_geojson(db_)["features"].size(), 5u);
}

TEST_P(Monitoring, ParcelHistoryShowsClassSharesPatchesAndChips) {
  ASSERT_EQ(run("night", "2024-08-20", sample("sample_20240820.tif")).exit_code, 0);
  const auto r = run_cli({"parcel", "3401230010031", "--db", db_, "--chips", dir_ / "chips"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("2024-03-15"), std::string::npos);
  EXPECT_NE(r.output.find("建设用地"), std::string::npos) << r.output;  // the yard's class
  EXPECT_NE(r.output.find("FW20240820-0001"), std::string::npos);
  EXPECT_NE(r.output.find("西岗村"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ / "chips/3401230010031_2024-03-15.png"));
  EXPECT_TRUE(fs::exists(dir_ / "chips/3401230010031_2024-08-20.png"));

  const auto unknown = run_cli({"parcel", "NO-SUCH-PARCEL", "--db", db_});
  EXPECT_EQ(unknown.exit_code, 4);
  EXPECT_NE(unknown.output.find("has no parcel 'NO-SUCH-PARCEL'"), std::string::npos);
  const auto no_patch = run_cli({"patch", "FW-0", "--db", db_, "--status", "dismissed"});
  EXPECT_EQ(no_patch.exit_code, 4);
  EXPECT_NE(no_patch.output.find("has no patch 'FW-0'"), std::string::npos);
  const auto bad_status = run_cli({"patch", "FW20240820-0001", "--db", db_, "--status", "gone"});
  EXPECT_EQ(bad_status.exit_code, 2);
}

TEST_P(Monitoring, ADatabaseFromBeforeTheLabelsGetsThemFromTheKeys) {
  const auto first = run("march_august", "2024-08-20", sample("sample_20240820.tif"));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  {  // as a database made before the label columns
    GDALAllRegister();
    std::unique_ptr<GDALDataset> ds(GDALDataset::Open(db_.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE));
    ASSERT_TRUE(ds);
    OGRLayer* l = ds->GetLayerByName("patches");
    for (const char* c : {"category_label", "status_label"})
      ASSERT_EQ(l->DeleteField(l->GetLayerDefn()->GetFieldIndex(c)), OGRERR_NONE) << c;
  }
  ASSERT_TRUE(stored_labels(db_).begin()->second == "/");
  // Any command that opens it adds them.
  const auto listed = run_cli({"patches", "--db", db_});
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  std::map<std::string, int> counts;
  for (const auto& [id, l] : stored_labels(db_)) ++counts[l];
  EXPECT_EQ(counts, (std::map<std::string, int>{{"其他变化/新发现", 1}, {"非农化/新发现", 1}, {"非粮化/新发现", 2}}));
}

INSTANTIATE_TEST_SUITE_P(Backends, Monitoring, ::testing::Values("gpkg", "postgis"));

// ---- what one run reports, on the sample's truth ---------------------------------------------

TEST(MonitoringRun, PatchesGetUnitsParcelAreasAndReasonableness) {
  TempDir dir;
  const std::string p =
      write_pipeline(dir, "out", "2024-08-20", sample("sample_20240820.tif"), dir / "db.gpkg");
  const auto r = run_cli({"run", p});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Creating the database warns of nothing (GDAL used to, of its temporary name's extension).
  EXPECT_EQ(r.output.find("warning"), std::string::npos) << r.output;
  const json truth = json::parse(read_text(sample("truth.json")));
  const json gj = json::parse(read_text(dir / "out/changes.geojson"));
  ASSERT_EQ(gj["features"].size(), truth["patches"].size());
  for (const auto& t : truth["patches"]) {
    const json* found = nullptr;
    const auto& b = t["box"];
    for (const auto& f : gj["features"]) {
      const double x = f["properties"]["centroid_x"], y = f["properties"]["centroid_y"];
      if (x > b[0].get<double>() && x < b[2].get<double>() && y > b[1].get<double>() &&
          y < b[3].get<double>())
        found = &f["properties"];
    }
    ASSERT_TRUE(found) << t["name"];
    const json& f = *found;
    EXPECT_EQ(f["unit_name"], t["unit"]) << t["name"];
    EXPECT_EQ(f["reasonable"].get<std::string>(), t["reasonable"].get<bool>() ? "合理" : "")
        << t["name"];
    if (t["reasonable"].get<bool>()) {
      EXPECT_EQ(f["reasonable_basis"], "建设用地审批");
    }
    // Patch-parcel overlaps: all of a patch inside one parcel is its whole area.
    if (!t["parcels"].empty()) {
      const std::string expect = t["parcels"][0].get<std::string>() + ":";
      const std::string got = f["parcel_areas_m2"];
      ASSERT_EQ(got.rfind(expect, 0), 0u) << got;
      EXPECT_NEAR(std::stod(got.substr(expect.size())), f["area_m2"].get<double>(), 1.0);
    }
  }

  // Per parcel and date, the class areas add up to the parcel (exact coverage fractions).
  std::map<std::pair<std::string, std::string>, double> sums;
  std::istringstream csv(read_text(dir / "out/parcel_classes.csv"));
  std::string line;
  std::getline(csv, line);  // header
  while (std::getline(csv, line)) {
    std::vector<std::string> cells;
    std::stringstream ls(line);
    for (std::string c; std::getline(ls, c, ',');) cells.push_back(c);
    ASSERT_EQ(cells.size(), 8u) << line;
    sums[{cells[0], cells[2]}] += std::stod(cells[6]);
  }
  EXPECT_EQ(sums.size(), 49u * 2);
  for (const auto& [key, area] : sums)  // every sample parcel is 380 m x 280 m
    EXPECT_NEAR(area, 106400, 106400 * 2e-4) << key.first << " " << key.second;

  // report.html opens from the folder: every picture it shows is there.
  const std::string html = read_text(dir / "out/report.html");
  const std::regex img("src='([^']+)'");
  int images = 0;
  for (std::sregex_iterator it(html.begin(), html.end(), img), end; it != end; ++it, ++images)
    EXPECT_TRUE(fs::exists(dir / ("out/" + (*it)[1].str()))) << (*it)[1];
  EXPECT_EQ(images, 8);
  EXPECT_NE(html.find("西岗村"), std::string::npos);
}

TEST(MonitoringErrors, CorruptOrLockedDatabaseStopsTheRunWithItsName) {
  TempDir dir;
  const std::string db = dir / "farmwatch.gpkg";
  std::ofstream(db) << "this is not a GeoPackage";
  const std::string p = write_pipeline(dir, "out", "2024-08-20", sample("sample_20240820.tif"), db);
  const auto corrupt = run_cli({"run", p});
  EXPECT_EQ(corrupt.exit_code, 4) << corrupt.output;
  EXPECT_NE(corrupt.output.find(db), std::string::npos) << corrupt.output;
  EXPECT_FALSE(fs::exists(dir / "out"));
  EXPECT_EQ(read_text(db), "this is not a GeoPackage");

  GDALAllRegister();
  // Another process holds a write transaction: the run fails naming the database, and the
  // outputs are not swapped in.
  fs::remove(db);
  ASSERT_EQ(run_cli({"run", p}).exit_code, 0);
  const std::string summary = read_text(dir / "out/summary.json");
  {
    std::unique_ptr<GDALDataset> holder(
        GDALDataset::Open(db.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE));
    ASSERT_TRUE(holder);
    ASSERT_EQ(holder->StartTransaction(), OGRERR_NONE);
    OGRLayer* runs = holder->GetLayerByName("runs");
    OGRFeature f(runs->GetLayerDefn());
    f.SetField("pipeline", "held by a test");
    ASSERT_EQ(runs->CreateFeature(&f), OGRERR_NONE);
    const auto locked = run_cli({"run", p});
    EXPECT_NE(locked.exit_code, 0);
    EXPECT_NE(locked.output.find("monitoring database '" + db + "'"), std::string::npos)
        << locked.output;
    EXPECT_NE(locked.output.find("another process"), std::string::npos) << locked.output;
    holder->RollbackTransaction();
  }
  EXPECT_EQ(read_text(dir / "out/summary.json"), summary);

  const auto no_db = run_cli({"patches"}, "FARMWATCH_DB=");
  EXPECT_EQ(no_db.exit_code, 2);
  EXPECT_NE(no_db.output.find("--db"), std::string::npos);
  const auto missing = run_cli({"patches", "--db", dir / "nope.gpkg"});
  EXPECT_EQ(missing.exit_code, 4);
  EXPECT_NE(missing.output.find("nope.gpkg' does not exist"), std::string::npos);
}

}  // namespace
}  // namespace farmwatch::test
