// Product folders as delivered: a Sentinel-2 L2A SAFE with 10 m and 20 m JPEG 2000 band files
// and an SCL, a Landsat Collection 2 Level-2 scene folder, and what happens when a band file
// is missing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "farmwatch/core/error.h"
#include "farmwatch/io/gdal_setup.h"
#include "farmwatch/io/image_source.h"
#include "test_support.h"

using namespace farmwatch;
namespace fs = std::filesystem;

namespace {

/// A one-band raster of `n` x `n` pixels of `res` metres, constant `v` except `special` in the
/// top-left quadrant, as a lossless JPEG 2000 (or GeoTIFF when `jp2` is false).
void band_file(const std::string& path, int n, double res, double v, double special,
               bool jp2 = true) {
  test::RasterSpec s;
  s.width = s.height = n;
  s.res = res;
  s.type = GDT_UInt16;
  s.bands.assign(1, std::vector<double>(static_cast<std::size_t>(n * n), v));
  for (int y = 0; y < n / 2; ++y)
    for (int x = 0; x < n / 2; ++x) s.bands[0][static_cast<std::size_t>(y * n + x)] = special;
  if (!jp2) {
    test::write_raster(path, s);
    return;
  }
  test::write_raster(path + ".tmp.tif", s);
  GDALDatasetUniquePtr src(GDALDataset::Open((path + ".tmp.tif").c_str(), GDAL_OF_RASTER));
  const char* opts[] = {"REVERSIBLE=YES", "QUALITY=100", nullptr};
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("JP2OpenJPEG");
  GDALDatasetUniquePtr(
      drv->CreateCopy(path.c_str(), src.get(), false, const_cast<char**>(opts), nullptr, nullptr));
  fs::remove(path + ".tmp.tif");
}

/// S2B_MSIL2A_...SAFE with baseline 05.09 (DN offset -1000): 40 x 40 px at 10 m for B02, B03,
/// B04, B08; 20 x 20 px at 20 m for B11, B12 and the SCL, whose top-left quadrant is cloud.
std::string make_safe(const test::TempDir& d) {
  const fs::path safe = fs::path(d / "S2B_MSIL2A_20240820T030519_N0509_R075_T50RQT.SAFE");
  const fs::path img = safe / "GRANULE/L2A_T50RQT_A038000_20240820T031234/IMG_DATA";
  fs::create_directories(img / "R10m");
  fs::create_directories(img / "R20m");
  std::ofstream(safe / "MTD_MSIL2A.xml")
      << "<?xml version=\"1.0\"?>\n<n1:Level-2A_User_Product><General_Info><Product_Info>"
         "<PROCESSING_BASELINE>05.09</PROCESSING_BASELINE></Product_Info>"
         "<Product_Image_Characteristics><QUANTIFICATION_VALUES_LIST>"
         "<BOA_QUANTIFICATION_VALUE unit=\"none\">10000</BOA_QUANTIFICATION_VALUE>"
         "</QUANTIFICATION_VALUES_LIST><BOA_ADD_OFFSET_VALUES_LIST>"
         "<BOA_ADD_OFFSET band_id=\"0\">-1000</BOA_ADD_OFFSET></BOA_ADD_OFFSET_VALUES_LIST>"
         "</Product_Image_Characteristics></General_Info></n1:Level-2A_User_Product>\n";
  const std::string p10 = (img / "R10m/T50RQT_20240820T030519_").string();
  const std::string p20 = (img / "R20m/T50RQT_20240820T030519_").string();
  band_file(p10 + "B02_10m.jp2", 40, 10, 1500, 1500);  // reflectance 0.05
  band_file(p10 + "B03_10m.jp2", 40, 10, 1800, 1800);
  band_file(p10 + "B04_10m.jp2", 40, 10, 1600, 1600);
  band_file(p10 + "B08_10m.jp2", 40, 10, 5000, 5000);  // 0.40
  band_file(p20 + "B11_20m.jp2", 20, 20, 3000, 3000);  // 0.20
  band_file(p20 + "B12_20m.jp2", 20, 20, 2000, 2000);
  band_file(p20 + "SCL_20m.jp2", 20, 20, 4, 9);  // vegetation; cloud (9) top-left
  return safe.string();
}

class Products : public ::testing::Test {
 protected:
  void SetUp() override { io::setup_gdal(nullptr); }
  test::TempDir dir;
  const std::set<BandRole> all{BandRole::blue, BandRole::green, BandRole::red,
                               BandRole::nir,  BandRole::swir1, BandRole::swir2};
};

}  // namespace

TEST_F(Products, SentinelTwoSafeStacks10And20MetreBandsWithOffsetAndScl) {
  io::ImageRequest req;
  req.path = make_safe(dir);
  const auto info = io::inspect_image(req, all);
  EXPECT_EQ(info.grid.width, 40);
  EXPECT_DOUBLE_EQ(info.grid.res(), 10);
  EXPECT_EQ(info.quality_kind, QualityKind::sentinel2_scl);
  EXPECT_NE(info.calibration_source.find("05.09"), std::string::npos) << info.calibration_source;
  io::GridReader r(info, info.grid, io::Resampling::reflectance);
  ReflectanceBlock b;
  std::vector<PixelState> st;
  r.read_reflectance({0, 0, 40, 40}, b, &st);
  const std::size_t clear = 30 * 40 + 30, cloudy = 5 * 40 + 5;
  EXPECT_NEAR(b.plane(BandRole::blue)[clear], 0.05, 1e-6);
  EXPECT_NEAR(b.plane(BandRole::nir)[clear], 0.40, 1e-6);
  EXPECT_NEAR(b.plane(BandRole::swir1)[clear], 0.20, 1e-6);  // 20 m band on the 10 m grid
  EXPECT_NEAR(b.plane(BandRole::swir2)[clear], 0.10, 1e-6);
  EXPECT_EQ(st[cloudy], PixelState::cloud);
  EXPECT_TRUE(std::isnan(b.plane(BandRole::red)[cloudy]));
  EXPECT_EQ(st[clear], PixelState::clear);

  // The MTD XML names the product as well as its folder does.
  req.path = req.path + "/MTD_MSIL2A.xml";
  EXPECT_EQ(io::inspect_image(req, all).grid.width, 40);
}

TEST_F(Products, AMissingBandFileNamesTheProductAndTheBand) {
  const std::string safe = make_safe(dir);
  for (const auto& e : fs::recursive_directory_iterator(safe))
    if (e.path().filename().string().find("_B11_") != std::string::npos) {
      fs::remove(e.path());
      break;
    }
  io::ImageRequest req;
  req.path = safe;
  try {
    io::inspect_image(req, all);
    FAIL() << "a SAFE without B11 was accepted for swir1";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("B11"), std::string::npos) << m;
    EXPECT_NE(m.find("swir1"), std::string::npos) << m;
    EXPECT_NE(m.find(".SAFE"), std::string::npos) << m;
  }
  // Rules that need no SWIR still run on it.
  EXPECT_NO_THROW(io::inspect_image(req, {BandRole::red, BandRole::nir}));
}

TEST_F(Products, LandsatCollectionTwoFolderUsesItsMtlAndQaPixel) {
  const fs::path f = dir.path() / "LC09_L2SP_120038_20240820_20240822_02_T1";
  fs::create_directories(f);
  const std::string id = (f / "LC09_L2SP_120038_20240820_20240822_02_T1_").string();
  std::ofstream(id + "MTL.txt")
      << "GROUP = LANDSAT_METADATA_FILE\n  GROUP = IMAGE_ATTRIBUTES\n    SUN_ELEVATION = 60.0\n"
         "  END_GROUP = IMAGE_ATTRIBUTES\n  GROUP = LEVEL2_SURFACE_REFLECTANCE_PARAMETERS\n";
  {
    std::ofstream mtl(id + "MTL.txt", std::ios::app);
    for (int b = 1; b <= 7; ++b)
      mtl << "    REFLECTANCE_MULT_BAND_" << b << " = 2.75E-05\n    REFLECTANCE_ADD_BAND_" << b
          << " = -0.2\n";
    mtl << "  END_GROUP = LEVEL2_SURFACE_REFLECTANCE_PARAMETERS\nEND_GROUP = "
           "LANDSAT_METADATA_FILE\n";
  }
  for (int b = 1; b <= 7; ++b)
    band_file(id + "SR_B" + std::to_string(b) + ".TIF", 8, 30, 10000 + 1000 * b, 10000 + 1000 * b,
              false);
  band_file(id + "QA_PIXEL.TIF", 8, 30, 1u << 6, 1u << 3, false);  // clear; cloud top-left
  io::ImageRequest req;
  req.path = f.string();
  const auto info = io::inspect_image(req, all);
  EXPECT_EQ(info.quality_kind, QualityKind::landsat_qa_pixel);
  EXPECT_NE(info.calibration_source.find("surface reflectance"), std::string::npos);
  io::GridReader r(info, info.grid, io::Resampling::reflectance);
  ReflectanceBlock b;
  r.read_reflectance({0, 0, 8, 8}, b);
  const std::size_t clear = 7 * 8 + 7;
  // OLI: red is B4, nir B5, swir2 B7.
  EXPECT_NEAR(b.plane(BandRole::red)[clear], 14000 * 2.75e-5 - 0.2, 1e-6);
  EXPECT_NEAR(b.plane(BandRole::nir)[clear], 15000 * 2.75e-5 - 0.2, 1e-6);
  EXPECT_NEAR(b.plane(BandRole::swir2)[clear], 17000 * 2.75e-5 - 0.2, 1e-6);
  EXPECT_TRUE(std::isnan(b.plane(BandRole::red)[0]));
}

TEST_F(Products, AFolderThatIsNoProductIsRefused) {
  fs::create_directories(dir.path() / "empty");
  io::ImageRequest req;
  req.path = dir / "empty";
  EXPECT_THROW(io::inspect_image(req, all), InputError);
}
