#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "farmwatch/core/error.h"
#include "farmwatch/io/sensor_profile.h"
#include "test_support.h"

using namespace farmwatch;

TEST(LandsatMtl, LevelOneIsTopOfAtmosphereCorrectedForSunElevation) {
  test::TempDir d;
  std::ofstream(d / "LC08_X_MTL.txt")
      << "GROUP = L1_METADATA_FILE\n"
         "  GROUP = IMAGE_ATTRIBUTES\n    SUN_ELEVATION = 30.0\n"
         "  END_GROUP = IMAGE_ATTRIBUTES\n"
         "  GROUP = RADIOMETRIC_RESCALING\n"
         "    REFLECTANCE_MULT_BAND_4 = 2.0000E-05\n"
         "    REFLECTANCE_ADD_BAND_4 = -0.100000\n"
         "  END_GROUP = RADIOMETRIC_RESCALING\nEND_GROUP = L1_METADATA_FILE\nEND\n";
  const auto c = io::landsat_calibration(d / "LC08_X_MTL.txt", {{3, 4}});
  // sin(30 deg) = 0.5: factors double.
  EXPECT_NEAR(c.bands.at(3).mult, 4e-5, 1e-12);
  EXPECT_NEAR(c.bands.at(3).add, -0.2, 1e-12);
  EXPECT_NE(c.source.find("TOA"), std::string::npos);
  // A band the MTL does not describe is an error naming the key.
  try {
    io::landsat_calibration(d / "LC08_X_MTL.txt", {{1, 2}});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("REFLECTANCE_MULT_BAND_2"), std::string::npos);
  }
}

TEST(LandsatMtl, CollectionTwoLevelTwoIsSurfaceReflectanceWithoutSunCorrection) {
  test::TempDir d;
  std::ofstream(d / "LC09_Y_MTL.txt")
      << "GROUP = LANDSAT_METADATA_FILE\n  GROUP = IMAGE_ATTRIBUTES\n    SUN_ELEVATION = 30.0\n"
         "  END_GROUP = IMAGE_ATTRIBUTES\n  GROUP = LEVEL2_SURFACE_REFLECTANCE_PARAMETERS\n"
         "    REFLECTANCE_MULT_BAND_2 = 2.75E-05\n    REFLECTANCE_ADD_BAND_2 = -0.2\n"
         "    REFLECTANCE_MULT_BAND_5 = 2.75E-05\n    REFLECTANCE_ADD_BAND_5 = -0.2\n"
         "  END_GROUP = LEVEL2_SURFACE_REFLECTANCE_PARAMETERS\nEND_GROUP = LANDSAT_METADATA_FILE\n";
  const auto c = io::landsat_calibration(d / "LC09_Y_MTL.txt", {{4, 5}});
  EXPECT_DOUBLE_EQ(c.bands.at(4).mult, 2.75e-5);
  EXPECT_DOUBLE_EQ(c.bands.at(4).add, -0.2);
  EXPECT_NE(c.source.find("surface reflectance"), std::string::npos);
}

TEST(LandsatMtl, FoundBesideTheImageByProductId) {
  test::TempDir d;
  std::ofstream(d / "LC08_A_MTL.txt") << "X = 1\n";
  std::ofstream(d / "LC08_B_MTL.txt") << "X = 1\n";
  EXPECT_EQ(io::find_landsat_mtl(d / "LC08_B_SR_B4.TIF"), d / "LC08_B_MTL.txt");
  EXPECT_EQ(io::find_landsat_mtl(d / "stack.tif"), "");  // two candidates: ambiguous
}

TEST(Sentinel2, BaselineFourAddsTheMinus1000Offset) {
  const auto new_baseline = io::sentinel2_calibration(4, "04.00", "");
  EXPECT_DOUBLE_EQ(new_baseline.bands.at(1).mult, 1e-4);
  EXPECT_DOUBLE_EQ(new_baseline.bands.at(4).add, -0.1);
  EXPECT_DOUBLE_EQ(io::sentinel2_calibration(4, "02.09", "").bands.at(1).add, 0.0);
  EXPECT_THROW(io::sentinel2_calibration(4, "", ""), InputError);
}

TEST(Sentinel2, OffsetAndBaselineAreReadFromTheProductXml) {
  test::TempDir d;
  std::ofstream(d / "MTD_MSIL2A.xml")
      << "<n1:Level-2A_User_Product><General_Info><Product_Info><PROCESSING_BASELINE>05.10"
         "</PROCESSING_BASELINE></Product_Info></General_Info><BOA_ADD_OFFSET_VALUES_LIST>"
         "<BOA_ADD_OFFSET band_id=\"0\">-1000</BOA_ADD_OFFSET></BOA_ADD_OFFSET_VALUES_LIST>"
         "</n1:Level-2A_User_Product>";
  const auto c = io::sentinel2_calibration(2, "", d / "MTD_MSIL2A.xml");
  EXPECT_DOUBLE_EQ(c.bands.at(2).add, -0.1);
  EXPECT_NE(c.source.find("05.10"), std::string::npos);
}
