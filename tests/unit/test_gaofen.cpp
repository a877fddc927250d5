// Gaofen scenes: a GF-2 PMS1 multispectral file with its scene XML, calibrated from the built-in
// table to TOA reflectance, checked against a hand computation with independent sun formulas
// (Spencer's declination and equation of time, the 0.033 eccentricity term).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "farmwatch/core/error.h"
#include "farmwatch/core/sun.h"
#include "farmwatch/io/gdal_setup.h"
#include "farmwatch/io/image_source.h"
#include "test_support.h"

using namespace farmwatch;
namespace fs = std::filesystem;

namespace {

constexpr double kLat = 32.05, kLon = 118.78;  // Nanjing

/// Solar zenith (deg) by Spencer (1971): declination and equation of time as Fourier series.
double spencer_zenith(int doy, double utc_hour, double lat, double lon) {
  const double g = 2 * M_PI / 365 * (doy - 1 + (utc_hour - 12) / 24);
  const double decl = 0.006918 - 0.399912 * std::cos(g) + 0.070257 * std::sin(g) -
                      0.006758 * std::cos(2 * g) + 0.000907 * std::sin(2 * g) -
                      0.002697 * std::cos(3 * g) + 0.00148 * std::sin(3 * g);
  const double eot = 229.18 * (0.000075 + 0.001868 * std::cos(g) - 0.032077 * std::sin(g) -
                               0.014615 * std::cos(2 * g) - 0.040849 * std::sin(2 * g));
  const double ha = ((utc_hour * 60 + eot + 4 * lon) / 4 - 180) * M_PI / 180;
  const double r = M_PI / 180;
  return std::acos(std::sin(lat * r) * std::sin(decl) +
                   std::cos(lat * r) * std::cos(decl) * std::cos(ha)) /
         r;
}

struct SceneXml {
  std::string satellite = "GF2", sensor = "PMS1", time = "2018-05-10 02:45:00";
  std::string zenith_tag;  ///< value written under SolarZenith; empty: no tag
};

/// GF2_PMS1_..-MSS1.tiff: 4 bands UInt16, 20 x 20 px of 4 m, DN 0 fill in the first column,
/// DN 300/400/350/900 elsewhere; the scene XML beside it.
std::string make_scene(const fs::path& dir, const SceneXml& x) {
  const std::string stem = x.satellite + "_" + x.sensor +
                           "_E118.8_N32.1_20180510_L1A0003150000-MSS" + x.sensor.substr(3);
  const fs::path tif = dir / (stem + ".tiff");
  test::RasterSpec s;
  s.width = s.height = 20;
  s.res = 4;
  s.type = GDT_UInt16;
  for (double dn : {300.0, 400.0, 350.0, 900.0}) {
    std::vector<double> b(400, dn);
    for (int y = 0; y < 20; ++y) b[static_cast<std::size_t>(y * 20)] = 0;
    s.bands.push_back(b);
  }
  test::write_raster(tif.string(), s);
  std::ofstream xml(dir / (stem + ".xml"));
  xml << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ProductMetaData>\n<SatelliteID>"
      << x.satellite << "</SatelliteID>\n<SensorID>" << x.sensor << "</SensorID>\n"
      << "<ReceiveTime>2018-05-10 05:00:00</ReceiveTime>\n<CenterTime>" << x.time
      << "</CenterTime>\n<CenterLatitude>" << kLat << "</CenterLatitude>\n<CenterLongitude>" << kLon
      << "</CenterLongitude>\n";
  if (!x.zenith_tag.empty()) xml << "<SolarZenith>" << x.zenith_tag << "</SolarZenith>\n";
  xml << "</ProductMetaData>\n";
  return tif.string();
}

class Gaofen : public ::testing::Test {
 protected:
  void SetUp() override { io::setup_gdal(nullptr); }
  test::TempDir dir;
  const std::set<BandRole> vnir{BandRole::blue, BandRole::green, BandRole::red, BandRole::nir};

  io::ImageInfo inspect(const std::string& path, const std::string& table = "") {
    io::ImageRequest req;
    req.path = path;
    req.calibration_table = table;
    return io::inspect_image(req, vnir);
  }
};

}  // namespace

TEST_F(Gaofen, MultispectralFileCalibratesToToaReflectanceFromTheTable) {
  const int doy = 130;  // 10 May 2018
  const double z = spencer_zenith(doy, 2.75, kLat, kLon);
  // The product writes the sun's elevation under SolarZenith, as many GF products do.
  SceneXml x;
  x.zenith_tag = std::to_string(90 - z);
  const auto info = inspect(make_scene(dir.path(), x));
  EXPECT_EQ(info.bands[BandRole::blue], 1);
  EXPECT_EQ(info.bands[BandRole::nir], 4);
  EXPECT_NE(info.calibration_source.find("GF2 PMS1 2018"), std::string::npos)
      << info.calibration_source;
  EXPECT_NE(info.calibration_source.find("holds the elevation"), std::string::npos)
      << info.calibration_source;

  io::GridReader r(info, info.grid, io::Resampling::reflectance);
  ReflectanceBlock b;
  std::vector<PixelState> st;
  r.read_reflectance({0, 0, 20, 20}, b, &st);
  // GF-2 PMS1 2018: gains 0.1644 (red), 0.1788 (nir); ESUN 1541.79, 1086.47.
  const double d2 = 1 / (1 + 0.033 * std::cos(2 * M_PI * doy / 365));
  const double cz = std::cos(z * M_PI / 180);
  const double red = M_PI * 350 * 0.1644 * d2 / (1541.79 * cz);
  const double nir = M_PI * 900 * 0.1788 * d2 / (1086.47 * cz);
  EXPECT_NEAR(b.plane(BandRole::red)[5], red, red * 0.005);
  EXPECT_NEAR(b.plane(BandRole::nir)[5], nir, nir * 0.005);
  EXPECT_GT(nir, 0.3);  // a plausible vegetation reading, so the formula is the right way up
  EXPECT_EQ(st[0], PixelState::nodata);  // DN 0: the fill around the scene
  EXPECT_TRUE(std::isnan(b.plane(BandRole::red)[0]));
}

TEST_F(Gaofen, BeijingTimeAndUtcGiveTheSameCalibration) {
  const auto utc = inspect(make_scene(dir.path(), {}));
  fs::create_directories(dir.path() / "bj");
  SceneXml x;
  x.time = "2018-05-10 10:45:00";  // the same instant, UTC+8
  const auto bj = inspect(make_scene(dir.path() / "bj", x));
  const auto red = static_cast<std::size_t>(BandRole::red);
  EXPECT_NEAR(bj.calibration[red].mult, utc.calibration[red].mult, 1e-9);
  EXPECT_NE(bj.calibration_source.find("Beijing"), std::string::npos) << bj.calibration_source;
  EXPECT_NE(utc.calibration_source.find("UTC"), std::string::npos) << utc.calibration_source;
}

TEST_F(Gaofen, YearsTakeTheNewestGainsNotAfterTheSceneAndSayWhich) {
  SceneXml x;
  x.time = "2021-05-10 02:45:00";
  auto info = inspect(make_scene(dir.path(), x));
  EXPECT_NE(info.calibration_source.find("2018 gains"), std::string::npos);
  EXPECT_NE(info.calibration_source.find("for a 2021 scene"), std::string::npos);
  fs::create_directories(dir.path() / "2017");
  x.time = "2017-05-10 02:45:00";
  info = inspect(make_scene(dir.path() / "2017", x));
  EXPECT_NE(info.calibration_source.find("2017 gains"), std::string::npos)
      << info.calibration_source;
  const auto red = static_cast<std::size_t>(BandRole::red);
  // 2017's red gain is 0.1424 against 2018's 0.1644.
  EXPECT_NEAR(
      info.calibration[red].mult / inspect(make_scene(dir.path(), {})).calibration[red].mult,
      0.1424 / 0.1644, 0.01);
}

TEST_F(Gaofen, AScannedFolderFindsTheMultispectralFile) {
  const std::string tif = make_scene(dir.path(), {});
  // A PAN file beside it (one band) is not taken.
  test::RasterSpec pan;
  pan.bands.assign(1, std::vector<double>(16, 500));
  pan.type = GDT_UInt16;
  test::write_raster(
      (dir.path() / "GF2_PMS1_E118.8_N32.1_20180510_L1A0003150000-PAN1.tiff").string(), pan);
  std::ofstream(dir.path() / "GF2_PMS1_E118.8_N32.1_20180510_L1A0003150000-PAN1.xml")
      << "<ProductMetaData><SatelliteID>GF2</SatelliteID></ProductMetaData>";
  const auto info = inspect(dir.path().string());
  EXPECT_EQ(info.band_count, 4);
  EXPECT_EQ(info.grid.width, 20);
}

TEST_F(Gaofen, ASensorTheTableLacksIsAClearErrorAndATableCanBeGiven) {
  SceneXml x;
  x.satellite = "GF1";
  x.sensor = "WFV1";
  const std::string tif = make_scene(dir.path(), x);
  try {
    inspect(tif);
    FAIL() << "GF1 WFV1 calibrated from a table without it";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("GF1 WFV1"), std::string::npos) << m;
    EXPECT_NE(m.find(".xml"), std::string::npos) << m;
  }
  const std::string table = (dir.path() / "office.csv").string();
  std::ofstream(table) << "satellite,sensor,year,band,gain,offset,esun,source\n"
                          "GF1,WFV1,2018,1,0.2,0,1970,test\nGF1,WFV1,2018,2,0.2,0,1850,test\n"
                          "GF1,WFV1,2018,3,0.2,0,1570,test\nGF1,WFV1,2018,4,0.2,0,1080,test\n";
  const auto info = inspect(tif, table);
  EXPECT_NE(info.calibration_source.find("office.csv"), std::string::npos);
}

TEST_F(Gaofen, ALevelOneASceneWithoutAMapGridSaysToOrthorectify) {
  const fs::path tif = dir.path() / "GF2_PMS1_E118.8_N32.1_20180510_L1A0003150000-MSS1.tiff";
  test::RasterSpec s;
  s.epsg.clear();
  s.type = GDT_UInt16;
  s.bands.assign(4, std::vector<double>(16, 300));
  test::write_raster(tif.string(), s);
  {
    GDALDatasetUniquePtr ds(GDALDataset::Open(tif.c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE));
    double gt[6] = {0, 1, 0, 0, 0, 1};
    ds->SetGeoTransform(gt);
    ds->SetMetadataItem("LINE_OFF", "10", "RPC");
  }
  std::ofstream(dir.path() / "GF2_PMS1_E118.8_N32.1_20180510_L1A0003150000-MSS1.xml")
      << "<ProductMetaData><SatelliteID>GF2</SatelliteID></ProductMetaData>";
  try {
    inspect(tif.string());
    FAIL() << "an unprojected L1A scene was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("orthorectify"), std::string::npos) << e.what();
  }
}

TEST(Sun, MatchesTheAnglesLandsatMetadataQuotes) {
  // LC08 path 195 row 25, 2013-07-07 10:17:42 UTC, centre of the scene's corners:
  // SUN_ELEVATION 58.99675, EARTH_SUN_DISTANCE 1.0166988 in its MTL.
  const double lat = (51.34342 + 49.18527) / 2, lon = (7.42064 + 10.73461) / 2;
  const double z = solar_zenith_deg({2013, 7, 7, 10 + 17 / 60.0 + 42.17 / 3600}, lat, lon);
  EXPECT_NEAR(90 - z, 58.99675, 0.3);
  EXPECT_NEAR(earth_sun_distance_au(day_of_year(2013, 7, 7)), 1.0166988, 3e-4);
  // LE07, 2001-07-30 10:04:53 UTC: SUN_ELEVATION 53.87765, EARTH_SUN_DISTANCE 1.0151738.
  const double z7 = solar_zenith_deg({2001, 7, 30, 10 + 4 / 60.0 + 52.92 / 3600},
                                     (51.26868 + 49.27238) / 2, (7.28558 + 10.68405) / 2);
  EXPECT_NEAR(90 - z7, 53.87765, 0.3);
  EXPECT_NEAR(earth_sun_distance_au(day_of_year(2001, 7, 30)), 1.0151738, 3e-4);
  EXPECT_EQ(day_of_year(2024, 3, 1), 61);
  EXPECT_EQ(day_of_year(2023, 12, 31), 365);
}
