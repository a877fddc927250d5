// Real third-party imagery from ../shared/data (see its MANIFEST.md). Skipped when absent.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace farmwatch;

namespace {
class RealData : public ::testing::Test {
 protected:
  void SetUp() override {
    data = test::shared_data_dir();
    if (data.empty()) GTEST_SKIP() << "../shared/data is not beside the repository: real-data tests skipped";
  }
  std::string data;
};
}  // namespace

TEST_F(RealData, SentinelTwoChangePairRunsOnItsOwnGrid) {
  test::TempDir d;
  const std::string base = data + "/oscd_s2_change/rennes_";
  const auto r = test::run_cli({"change", "--before", base + "20150821_B02B03B04B08.tif", "--after",
                                base + "20170621_B02B03B04B08.tif", "--scale", "0.0001", "--out",
                                d / "c"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto v = test::read_band(d / "c/change.tif");
  EXPECT_EQ(v.size(), 563u * 339u);
  for (double x : v) ASSERT_TRUE(x == 0 || x == 1 || x == 2 || x == 3 || x == 255) << x;
}

TEST_F(RealData, LandsatBandsAreFoundByTheirDescriptions) {
  const auto r = test::run_cli({"info", data + "/landsat_misc/satellite_L8_20130707_B2-B7_dn.tif", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  std::vector<std::string> roles;
  for (const auto& b : j["bands"]) roles.push_back(b.value("role", ""));
  EXPECT_EQ(roles, (std::vector<std::string>{"blue", "green", "red", "nir", "swir1", "swir2"}));
}

TEST_F(RealData, IntegerDnWithoutAScaleIsRefusedClearly) {
  test::TempDir d;
  const std::string img = data + "/landsat_change_cn/nanjing_20000503_6band.tif";
  const auto r = test::run_cli({"classify", "--in", img, "--out", d / "x.tif"});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("scale"), std::string::npos) << r.output;
  EXPECT_EQ(test::run_cli({"classify", "--in", img, "--out", d / "x.tif", "--scale", "0.004"}).exit_code, 0);
}
