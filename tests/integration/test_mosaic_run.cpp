// Several scenes for one date: the later sample date delivered as a nearer scene with a cloud
// over the yard, a farther clear scene that differs elsewhere, a download cut short, and a
// scene of somewhere else. The run must composite clear-before-cloudy and nearest-date-first,
// record which scene gave each pixel, skip the two bad scenes with their reasons, find the
// same patches as the single clean scene, and exit 6 (partial).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace farmwatch;
namespace fs = std::filesystem;

namespace {

struct Pixel {
  int col, row;
};

/// The pixel of the sample's later image at map coordinates (EPSG:4527 box centre -> image).
Pixel pixel_at(GDALDataset& ds, double x, double y) {
  OGRSpatialReference gk, img;
  gk.importFromEPSG(4527);
  gk.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  img.importFromWkt(ds.GetProjectionRef());
  img.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&gk, &img));
  ct->Transform(1, &x, &y);
  double gt[6];
  ds.GetGeoTransform(gt);
  return {static_cast<int>((x - gt[0]) / gt[1]), static_cast<int>((y - gt[3]) / gt[5])};
}

GDALDatasetUniquePtr copy_of(const std::string& from, const std::string& to) {
  GDALAllRegister();
  GDALDatasetUniquePtr src(GDALDataset::Open(from.c_str(), GDAL_OF_RASTER));
  GDALDriver* gtiff = GetGDALDriverManager()->GetDriverByName("GTiff");
  return GDALDatasetUniquePtr(
      gtiff->CreateCopy(to.c_str(), src.get(), false, nullptr, nullptr, nullptr));
}

}  // namespace

TEST(Mosaic, CloudFilledFromAnotherSceneBadScenesSkippedExitPartial) {
  test::TempDir d;
  const auto truth = nlohmann::json::parse(test::read_text(test::sample("truth.json")));
  const auto& yard = truth["patches"][0];
  ASSERT_EQ(yard["name"], "yard");
  const double yx = 0.5 * (yard["box"][0].get<double>() + yard["box"][2].get<double>());
  const double yy = 0.5 * (yard["box"][1].get<double>() + yard["box"][3].get<double>());
  Pixel yard_px{}, decoy_px{};
  {
    // near.tif: the clean image; near_clm.tif: a cloud mask over the yard (and 3 px around).
    auto near = copy_of(test::sample("sample_20240820.tif"), d / "near.tif");
    yard_px = pixel_at(*near, yx, yy);
    const int w = near->GetRasterXSize(), h = near->GetRasterYSize();
    test::RasterSpec m;
    m.width = w;
    m.height = h;
    m.type = GDT_Byte;
    double gt[6];
    near->GetGeoTransform(gt);
    m.origin_x = gt[0];
    m.origin_y = gt[3];
    m.res = gt[1];
    m.epsg = "EPSG:32650";
    m.bands.assign(1, std::vector<double>(static_cast<std::size_t>(w) * h, 0));
    for (int r = yard_px.row - 9; r <= yard_px.row + 9; ++r)
      for (int c = yard_px.col - 9; c <= yard_px.col + 9; ++c) m.bands[0][r * w + c] = 1;
    test::write_raster(d / "near_clm.tif", m);

    // far.tif: clear everywhere, but with a yard-like block pasted on a field 100 px away:
    // were the farther scene preferred, that block would come out as a patch.
    auto far = copy_of(test::sample("sample_20240820.tif"), d / "far.tif");
    decoy_px = {yard_px.col - 40, yard_px.row + 60};
    for (int b = 1; b <= far->GetRasterCount(); ++b) {
      std::uint16_t v = 0;
      ASSERT_EQ(far->GetRasterBand(b)->RasterIO(GF_Read, yard_px.col, yard_px.row, 1, 1, &v, 1, 1,
                                                GDT_UInt16, 0, 0, nullptr),
                CE_None);
      std::vector<std::uint16_t> block(12 * 12, v);
      ASSERT_EQ(
          far->GetRasterBand(b)->RasterIO(GF_Write, decoy_px.col - 6, decoy_px.row - 6, 12, 12,
                                          block.data(), 12, 12, GDT_UInt16, 0, 0, nullptr),
          CE_None);
    }
  }
  // A download cut short, and a scene of somewhere else.
  fs::copy_file(test::sample("sample_20240820.tif"), d / "cut.tif");
  fs::resize_file(d / "cut.tif", fs::file_size(d / "cut.tif") / 2);
  {
    auto other = copy_of(test::sample("sample_20240820.tif"), d / "elsewhere.tif");
    double gt[6];
    other->GetGeoTransform(gt);
    gt[0] += 300000;
    other->SetGeoTransform(gt);
  }
  const std::string rules = test::source_dir() + "/pipelines/rules/";
  std::ofstream(d / "p.yaml") << "dates:\n"
                              << "  - {date: 2024-03-15, image: '"
                              << test::sample("sample_20240315.tif") << "'}\n"
                              << "  - date: 2024-08-20\n"
                              << "    scenes:\n"
                              << "      - {image: '" << (d / "far.tif") << "', date: 2024-08-26}\n"
                              << "      - {image: '" << (d / "cut.tif") << "', date: 2024-08-20}\n"
                              << "      - {image: '" << (d / "elsewhere.tif")
                              << "', date: 2024-08-21}\n"
                              << "      - image: '" << (d / "near.tif") << "'\n"
                              << "        date: 2024-08-19\n"
                              << "        quality: {path: '" << (d / "near_clm.tif")
                              << "', kind: cloud_mask}\n"
                              << "farmland: {path: '" << test::sample("farmland.gpkg")
                              << "', id_field: 地块编号}\n"
                              << "grid: {crs: 'EPSG:4527', resolution: 10}\n"
                              << "classification: " << rules << "landuse_rules.yaml\n"
                              << "change_rules: " << rules << "change_rules.yaml\n"
                              << "outputs: {dir: '" << (d / "out") << "', tiles: false}\n";
  const auto r = test::run_cli({"run", d / "p.yaml", "--threads", "2"});
  ASSERT_EQ(r.exit_code, 6) << r.output;
  EXPECT_NE(r.output.find("cut.tif"), std::string::npos) << r.output;
  const auto s = nlohmann::json::parse(test::read_text(d / "out/summary.json"));
  EXPECT_EQ(s["failed_scenes"], 2);
  const auto& scenes = s["inputs"]["dates"][1]["scenes"];
  ASSERT_EQ(scenes.size(), 4u) << scenes.dump(1);
  // Nearest acquisition first: cut (0 days), then elsewhere and near (1 day, as listed), then
  // far (6 days).
  EXPECT_NE(scenes[0]["image"].get<std::string>().find("cut.tif"), std::string::npos);
  EXPECT_EQ(scenes[0]["status"], "failed");
  EXPECT_NE(scenes[0]["reason"].get<std::string>().find("cannot be read"), std::string::npos)
      << scenes[0].dump();
  EXPECT_NE(scenes[1]["image"].get<std::string>().find("elsewhere.tif"), std::string::npos);
  EXPECT_EQ(scenes[1]["status"], "failed");
  EXPECT_NE(scenes[1]["reason"].get<std::string>().find("does not overlap"), std::string::npos);
  EXPECT_NE(scenes[2]["image"].get<std::string>().find("near.tif"), std::string::npos);
  EXPECT_EQ(scenes[2]["status"], "used");
  EXPECT_EQ(scenes[3]["status"], "used");
  EXPECT_GT(scenes[3]["pixels_used"].get<std::int64_t>(), 200);  // the cloud's area
  EXPECT_GT(scenes[2]["pixels_used"].get<std::int64_t>(),
            50 * scenes[3]["pixels_used"].get<std::int64_t>());

  // The same patches as the clean single scene: the yard, seen by the far scene through the
  // near one's cloud, and no patch at the decoy.
  const auto& cats = s["changes"]["categories"];
  EXPECT_EQ(cats["non_agricultural"]["patches"], 1) << cats.dump();
  EXPECT_NEAR(cats["non_agricultural"]["area_m2"].get<double>(), 10800, 1100);
  EXPECT_EQ(cats["non_grain"]["patches"], 2);
  EXPECT_EQ(cats["other_change"]["patches"], 1);

  // source_2024-08-20.tif: 2 (far) under the cloud, 1 (near) elsewhere.
  const std::string src = d / "out/source_2024-08-20.tif";
  ASSERT_TRUE(fs::exists(src));
  GDALDatasetUniquePtr sds(GDALDataset::Open(src.c_str(), GDAL_OF_RASTER));
  const Pixel yard_on_grid = pixel_at(*sds, yx, yy);
  const auto v = test::read_band(src);
  const int w = sds->GetRasterXSize();
  EXPECT_EQ(v[yard_on_grid.row * w + yard_on_grid.col], 2);
  EXPECT_EQ(v[(yard_on_grid.row + 40) * w + yard_on_grid.col + 40], 1);
  EXPECT_STREQ(sds->GetMetadataItem("FARMWATCH_SCENE_2"), (d / "far.tif").c_str());

  // The composite does not depend on the thread count.
  const auto one = test::run_cli({"run", d / "p.yaml", "--threads", "1", "--out", d / "out1"});
  ASSERT_EQ(one.exit_code, 6) << one.output;
  for (const char* f : {"source_2024-08-20.tif", "landuse_2024-08-20.tif", "change.tif"})
    EXPECT_EQ(test::read_text(d / (std::string("out/") + f)),
              test::read_text(d / (std::string("out1/") + f)))
        << f;
}
