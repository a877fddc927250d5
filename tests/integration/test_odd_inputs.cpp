// Exit code 1 means a bug in farmwatch. Every command is run over a folder of odd inputs made
// here (empty files, text named .tif, images with no georeference, a truncated GeoTIFF, a
// folder where a file is expected, missing files, no CRS, no features, GBK text, curves,
// south-up rasters...): none may exit 1 or crash, and those that fail must name the file.
#include <gtest/gtest.h>
#include <ogrsf_frmts.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "test_support.h"

using namespace farmwatch;
namespace fs = std::filesystem;

namespace {

const char* kSquare =
    "POLYGON((500050 3499750,500250 3499750,500250 3499950,500050 3499950,500050 3499750))";

/// A 48 x 36 UInt16 four-band scene at 10 m in UTM 50N, reflectance = DN x 0.0001 - 0.1.
test::RasterSpec scene() {
  test::RasterSpec s;
  s.width = 48;
  s.height = 36;
  s.type = GDT_UInt16;
  s.scale = 0.0001;
  s.offset = -0.1;
  s.descriptions = {"B02 blue", "B03 green", "B04 red", "B08 nir"};
  s.bands.assign(4, std::vector<double>(std::size_t(s.width) * s.height));
  for (int r = 0; r < s.height; ++r)
    for (int c = 0; c < s.width; ++c) {
      const bool green = (r / 12 + c / 16) % 2 == 0;
      const double refl[4] = {0.04, 0.07, green ? 0.04 : 0.16, green ? 0.42 : 0.22};
      for (int b = 0; b < 4; ++b)
        s.bands[b][std::size_t(r) * s.width + c] =
            std::round((refl[b] + 0.01 * std::sin(r + 2.0 * c) + 0.1) / 0.0001);
    }
  return s;
}

/// The folder of inputs, shared by the tests of this file.
class OddInputs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    const test::TempDir& d = *dir_;
    GDALAllRegister();
    fs::create_directories(d.path() / "out");
    // Good ones, to pair with the odd ones.
    test::write_raster(d / "good.tif", scene());
    test::VectorSpec labels;
    labels.fields = {"id", "code"};
    labels.features = {{{"p1", "1"}, kSquare}};
    test::write_vector(d / "good.gpkg", labels);
    // A class map, by the program itself.
    test::run_cli({"classify", "--in", d / "good.tif", "--out", d / "classes.tif"});

    // Rasters.
    auto s = scene();
    s.south_up = true;
    test::write_raster(d / "south_up.tif", s);
    s = scene();
    s.epsg.clear();
    test::write_raster(d / "no_crs.tif", s);
    // Scenes one pixel high or wide, and 2 x 2 (too small for co-registration's windows).
    for (const auto& [name, width, height] :
         {std::tuple{"one_row.tif", 300, 1}, std::tuple{"one_column.tif", 1, 300},
          std::tuple{"two_by_two.tif", 2, 2}}) {
      s = scene();
      s.width = width;
      s.height = height;
      for (auto& band : s.bands) band.assign(std::size_t(width) * height, band.front());
      for (std::size_t i = 0; i < s.bands[3].size(); ++i) s.bands[3][i] += double(i % 7) * 50;
      test::write_raster(d / name, s);
    }
    for (const char* e : {"empty.tif", "empty.gpkg", "empty.shp", "empty.yaml"})
      std::ofstream(d / e).flush();
    std::ofstream(d / "text.tif") << "this is not a GeoTIFF\n";
    fs::create_directories(d / "folder.tif");
    test::write_png(d / "photo.png", 32, 32, scene().bands);
    {
      // A JPEG with no georeference.
      GDALDatasetUniquePtr png(GDALDataset::Open((d / "photo.png").c_str(), GDAL_OF_RASTER));
      GDALDriver* jpeg = GetGDALDriverManager()->GetDriverByName("JPEG");
      const char* no_aux[] = {"WORLDFILE=NO", nullptr};
      CPLSetConfigOption("GDAL_PAM_ENABLED", "NO");
      GDALDatasetUniquePtr(jpeg->CreateCopy((d / "photo.jpg").c_str(), png.get(), FALSE,
                                            const_cast<char**>(no_aux), nullptr, nullptr));
      CPLSetConfigOption("GDAL_PAM_ENABLED", nullptr);
    }
    {
      // A GeoTIFF cut short, as a download stopped halfway leaves it.
      auto big = scene();
      big.width = 480;
      big.height = 360;
      for (auto& b : big.bands) b.assign(std::size_t(big.width) * big.height, 1500);
      test::write_raster(d / "whole.tif", big);
      const auto size = fs::file_size(d / "whole.tif");
      fs::copy_file(d / "whole.tif", d / "truncated.tif");
      fs::resize_file(d / "truncated.tif", size / 2);
      fs::remove(d / "whole.tif");
    }
    // Vectors.
    test::VectorSpec v = labels;
    v.features.clear();
    test::write_vector(d / "zero_features.gpkg", v);
    v = labels;
    v.epsg = 0;
    test::write_vector(d / "no_crs.gpkg", v);
    v = labels;
    v.features = {{{"circle", "1"},
                   "CURVEPOLYGON(CIRCULARSTRING(500100 3499850,500200 3499850,500100 3499850))"}};
    test::write_vector(d / "curves.gpkg", v);
    v = labels;
    v.driver = "ESRI Shapefile";
    v.layer = "gbk";
    v.fields = {"id", "code", "村名"};
    v.features = {{{"东湖001", "1", "东湖村"}, kSquare}};
    v.layer_options = {"ENCODING=CP936"};
    test::write_vector(d / "gbk.shp", v);
    fs::remove(d / "gbk.cpg");
    v.layer = "bad_text";
    v.features = {{{"\xFF\xFE"
                    "01",
                    "1", "x"},
                   kSquare}};
    v.layer_options = {"ENCODING="};
    test::write_vector(d / "bad_text.shp", v);
    fs::remove(d / "bad_text.cpg");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static std::string at(const std::string& name) { return *dir_ / name; }
  static std::string out(const std::string& name) { return (dir_->path() / "out" / name).string(); }

  static std::vector<std::string> rasters() {
    return {"good.tif",   "south_up.tif",  "no_crs.tif",  "empty.tif",
            "empty.gpkg", "text.tif",      "folder.tif",  "photo.png",
            "photo.jpg",  "truncated.tif", "missing.tif", "good.gpkg",
            "one_row.tif", "one_column.tif", "two_by_two.tif"};
  }
  static std::vector<std::string> vectors() {
    return {"good.gpkg", "zero_features.gpkg", "no_crs.gpkg",  "curves.gpkg",
            "gbk.shp",   "bad_text.shp",       "empty.shp",    "empty.gpkg",
            "text.tif",  "folder.tif",         "missing.gpkg", "good.tif"};
  }

  /// Runs farmwatch; fails the test if it exits 1 or dies, or fails without naming `file`.
  static void expect_handled(const std::vector<std::string>& args, const std::string& file) {
    std::string line = "farmwatch";
    for (const auto& a : args) line += " " + a;
    const auto r = test::run_cli(args);
    EXPECT_NE(r.exit_code, 1) << line << "\n" << r.output;
    EXPECT_NE(r.exit_code, -1) << line << " died\n" << r.output;
    if (r.exit_code != 0) {
      EXPECT_NE(r.output.find(fs::path(file).filename().string()), std::string::npos)
          << line << " does not name " << file << "\n"
          << r.output;
    }
  }

  static test::TempDir* dir_;
};
test::TempDir* OddInputs::dir_ = nullptr;

}  // namespace

TEST_F(OddInputs, InfoDescribesOrRefusesEveryFile) {
  for (const auto& f : {"good.tif", "south_up.tif", "no_crs.tif", "empty.tif", "empty.gpkg",
                        "empty.shp", "empty.yaml", "text.tif", "folder.tif", "photo.png",
                        "photo.jpg", "truncated.tif", "missing.tif", "zero_features.gpkg",
                        "no_crs.gpkg", "curves.gpkg", "gbk.shp", "bad_text.shp", "good.gpkg"}) {
    expect_handled({"info", at(f)}, f);
    expect_handled({"info", at(f), "--json"}, f);
  }
}

TEST_F(OddInputs, RasterCommandsHandleEveryRaster) {
  for (const auto& f : rasters()) {
    const std::string x = at(f);
    expect_handled({"classify", "--in", x, "--out", out("c.tif")}, f);
    expect_handled({"change", "--before", x, "--after", x, "--out", out("change_" + f)}, f);
    expect_handled({"change", "--before", at("good.tif"), "--after", x, "--out", out("ch2_" + f)},
                   f);
    expect_handled(
        {"warp", "--in", x, "--out", out("w.tif"), "--crs", "EPSG:32650", "--resolution", "10"}, f);
    expect_handled({"tiles", "--in", x, "--out", out("tiles_" + f)}, f);
  }
}

TEST_F(OddInputs, ZonalEvaluateAndTrainHandleEveryPair) {
  for (const auto& f : rasters()) {
    const std::string x = at(f);
    expect_handled({"zonal", "--classes", x, "--parcels", at("good.gpkg"), "--id-field", "id",
                    "--out", out("z.csv")},
                   f);
    expect_handled({"evaluate", "--map", x, "--reference", at("good.gpkg"), "--field", "code"}, f);
    expect_handled({"train", "--image", x, "--labels", at("good.gpkg"), "--field", "code", "--out",
                    out("m.yml"), "--trees", "5"},
                   f);
  }
  for (const auto& f : vectors()) {
    const std::string y = at(f);
    expect_handled({"zonal", "--classes", at("classes.tif"), "--parcels", y, "--id-field", "id",
                    "--out", out("z.csv")},
                   f);
    expect_handled({"evaluate", "--map", at("classes.tif"), "--reference", y, "--field", "code"},
                   f);
    expect_handled({"train", "--image", at("good.tif"), "--labels", y, "--field", "code", "--out",
                    out("m.yml"), "--trees", "5"},
                   f);
  }
}

TEST_F(OddInputs, OutputsInAMissingFolderAreRefusedNamingThem) {
  const std::string missing = at("no_such_folder");
  expect_handled({"classify", "--in", at("good.tif"), "--out", missing + "/c.tif"},
                 "no_such_folder");
  expect_handled({"warp", "--in", at("good.tif"), "--out", missing + "/w.tif", "--crs",
                  "EPSG:32650", "--resolution", "10"},
                 "no_such_folder");
  expect_handled({"zonal", "--classes", at("classes.tif"), "--parcels", at("good.gpkg"),
                  "--id-field", "id", "--out", missing + "/z.csv"},
                 "no_such_folder");
  expect_handled({"train", "--image", at("good.tif"), "--labels", at("good.gpkg"), "--field",
                  "code", "--out", missing + "/m.yml", "--trees", "5"},
                 "no_such_folder");
}

TEST_F(OddInputs, RunHandlesOddPipelineFilesImagesAndLayers) {
  const std::string rules = test::source_dir() + "/pipelines/rules/";
  auto pipeline = [&](const std::string& name, const std::string& image,
                      const std::string& farmland) {
    const std::string path = at(name);
    std::ofstream(path) << "dates:\n"
                        << "  - {date: 2024-03-15, image: '" << image << "'}\n"
                        << "  - {date: 2024-08-20, image: '" << at("good.tif") << "'}\n"
                        << "farmland: {path: '" << farmland << "', id_field: id}\n"
                        << "classification: " << rules << "landuse_rules.yaml\n"
                        << "change_rules: " << rules << "change_rules.yaml\n"
                        << "database: none\n"
                        << "outputs: {dir: '" << out(name + ".d") << "', tiles: false}\n";
    return path;
  };
  expect_handled({"run", at("empty.yaml")}, "empty.yaml");
  expect_handled({"run", at("text.tif")}, "text.tif");
  expect_handled({"run", at("missing.yaml")}, "missing.yaml");
  expect_handled({"run", at("folder.tif")}, "folder.tif");
  for (const auto& f : rasters())
    expect_handled({"run", pipeline("image_" + f + ".yaml", at(f), at("good.gpkg"))}, f);
  for (const auto& f : vectors())
    expect_handled({"run", pipeline("farmland_" + f + ".yaml", at("good.tif"), at(f))}, f);
}
