// Learned classification on the Slovenian Sentinel-2 patch with the protocol of
// ../shared/docs/benchmarks.md: the three clear dates' 13 TOA bands, trained on polygons with
// even FID, tested on those with odd FID. Floors: the targets (OTB's random forest: 0.758 /
// 0.468 there).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace farmwatch;

TEST(RealClassify, SloveniaAccuracyAndKappaAboveTheTargets) {
  const std::string data = test::shared_data_dir();
  if (data.empty()) GTEST_SKIP() << "../shared/data is not beside the repository: skipped";
  const std::string s = data + "/eolearn_slovenia_s2/";
  test::TempDir d;
  std::vector<std::string> train = {"train"}, classify = {"classify", "--model", d / "m.yml"};
  for (const char* date : {"20150711", "20150830", "20150909"}) {
    const std::string img = s + "s2l1c_" + date + "_13band_toa.tif";
    train.insert(train.end(), {"--image", img});
    classify.insert(classify.end(), {"--in", img});
  }
  train.insert(train.end(), {"--labels", s + "lulc_raba_polygons.gpkg", "--field", "LULC_ID",
                             "--where", "fid % 2 = 0 AND LULC_ID > 0", "--class-table",
                             test::source_dir() + "/pipelines/classes/eolearn_slovenia.csv",
                             "--out", d / "m.yml"});
  auto r = test::run_cli(train);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  classify.insert(classify.end(), {"--out", d / "map.tif"});
  r = test::run_cli(classify);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("1 耕地"), std::string::npos) << r.output;  // from the class table
  r = test::run_cli({"evaluate", "--map", d / "map.tif", "--reference",
                     s + "lulc_raba_polygons.gpkg", "--field", "LULC_ID", "--where",
                     "fid % 2 = 1 AND LULC_ID > 0", "--out", d / "ev"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(test::read_text(d / "ev/accuracy.json"));
  EXPECT_GE(j["overall_accuracy"].get<double>(), 0.85);
  EXPECT_GE(j["kappa"].get<double>(), 0.65);
  EXPECT_EQ(j["codes"].size(), 5u);  // every class of the test polygons mapped or missed
}
