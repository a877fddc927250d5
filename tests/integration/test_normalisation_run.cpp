// A later date read brighter (reflectance x 1.15 + 0.01, as a different season's sun and
// atmosphere would): the run must find that on pseudo-invariant pixels, undo it, and report the
// same patches.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace farmwatch;

TEST(Normalisation, ABrighterLaterDateIsBroughtBackAndReported) {
  test::TempDir d;
  {
    GDALAllRegister();
    GDALDatasetUniquePtr src(
        GDALDataset::Open(test::sample("sample_20240820.tif").c_str(), GDAL_OF_RASTER));
    GDALDriver* gtiff = GetGDALDriverManager()->GetDriverByName("GTiff");
    GDALDatasetUniquePtr copy(
        gtiff->CreateCopy((d / "bright.tif").c_str(), src.get(), false, nullptr, nullptr, nullptr));
    const int w = copy->GetRasterXSize(), h = copy->GetRasterYSize();
    std::vector<double> v(static_cast<std::size_t>(w) * h);
    for (int b = 1; b <= 4; ++b) {
      GDALRasterBand* band = copy->GetRasterBand(b);
      ASSERT_EQ(band->RasterIO(GF_Read, 0, 0, w, h, v.data(), w, h, GDT_Float64, 0, 0, nullptr),
                CE_None);
      for (auto& x : v)
        if (x != 0) x = x * 1.15 + 100;  // DN scale 0.0001: reflectance x 1.15 + 0.01
      ASSERT_EQ(band->RasterIO(GF_Write, 0, 0, w, h, v.data(), w, h, GDT_Float64, 0, 0, nullptr),
                CE_None);
    }
  }
  test::write_sample_pipeline(d, d / "bright.tif");
  const auto r = test::run_cli({"run", d / "p.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto s = nlohmann::json::parse(test::read_text(d / "out/summary.json"));
  const auto& n = s["radiometric_normalisation"];
  ASSERT_TRUE(n["applied"].get<bool>()) << n.dump();
  for (const char* band : {"blue", "green", "red", "nir"}) {
    EXPECT_NEAR(n["bands"][band]["gain"].get<double>(), 1.15, 0.03) << band << " " << n.dump();
    EXPECT_NEAR(n["bands"][band]["offset"].get<double>(), 0.01, 0.005) << band << " " << n.dump();
  }
  const auto& cats = s["changes"]["categories"];
  EXPECT_EQ(cats["non_agricultural"]["patches"], 1);
  EXPECT_EQ(cats["non_grain"]["patches"], 2);
  EXPECT_EQ(cats["other_change"]["patches"], 1);
}
