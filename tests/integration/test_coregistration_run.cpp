// Two dates that do not line up: the later sample image georeferenced 15 m east and 7 m south
// of where it belongs (1.5 and 0.7 pixels). The run must measure the shift, correct it, and
// report the same patches as with aligned dates.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace farmwatch;

TEST(Coregistration, AShiftedLaterDateIsMeasuredCorrectedAndReported) {
  test::TempDir d;
  {
    GDALAllRegister();
    GDALDatasetUniquePtr src(
        GDALDataset::Open(test::sample("sample_20240820.tif").c_str(), GDAL_OF_RASTER));
    GDALDriver* gtiff = GetGDALDriverManager()->GetDriverByName("GTiff");
    GDALDatasetUniquePtr copy(gtiff->CreateCopy((d / "shifted.tif").c_str(), src.get(), false,
                                                nullptr, nullptr, nullptr));
    double gt[6];
    copy->GetGeoTransform(gt);
    gt[0] += 15;
    gt[3] -= 7;
    copy->SetGeoTransform(gt);
  }
  test::write_sample_pipeline(d, d / "shifted.tif");
  const auto r = test::run_cli({"run", d / "p.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto s = nlohmann::json::parse(test::read_text(d / "out/summary.json"));
  const auto& c = s["coregistration"];
  ASSERT_TRUE(c["applied"].get<bool>()) << c.dump();
  EXPECT_NEAR(c["shift_px"][0].get<double>(), 1.5, 0.15) << c.dump();
  EXPECT_NEAR(c["shift_px"][1].get<double>(), 0.7, 0.15) << c.dump();
  // The same patches as the aligned sample: one 非农化, two 非粮化, one other change.
  const auto& cats = s["changes"]["categories"];
  EXPECT_EQ(cats["non_agricultural"]["patches"], 1);
  EXPECT_EQ(cats["non_grain"]["patches"], 2);
  EXPECT_EQ(cats["other_change"]["patches"], 1);
  EXPECT_NEAR(cats["non_grain"]["area_m2"].get<double>(), 13000 + 18000, 0.1 * 31000);
}

TEST(Coregistration, AlignedSampleNeedsNoCorrection) {
  test::TempDir d;
  const auto r = test::run_cli({"run", test::source_dir() + "/pipelines/sample.yaml", "--out",
                                d / "o", "--db", d / "farmwatch.gpkg"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto s = nlohmann::json::parse(test::read_text(d / "o/summary.json"));
  const auto& shift = s["coregistration"]["shift_px"];
  EXPECT_LT(std::hypot(shift[0].get<double>(), shift[1].get<double>()), 0.1)
      << s["coregistration"].dump();
  EXPECT_FALSE(s["coregistration"]["applied"].get<bool>());
}
