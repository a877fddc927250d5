// Cloud masks on real Sentinel-2 L1C (../shared/data/eolearn_slovenia_s2): of five dates,
// 2015-07-31 and 2015-08-20 are fully cloudy. L1C has no SCL, so the spectral cloud test must
// mask them (and leave the three clear dates alone), and the s2cloudless mask shipped with the
// data must work as a quality layer. Skipped when ../shared/data is absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace farmwatch;

namespace {

class SloveniaClouds : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string data = test::shared_data_dir();
    if (data.empty())
      GTEST_SKIP() << "../shared/data is not beside the repository: real-data tests skipped";
    dir = data + "/eolearn_slovenia_s2/";
  }
  std::string dn(const std::string& date) const {
    return dir + "s2l1c_" + date + "_B02B03B04B08_dn.tif";
  }
  /// Share of nodata pixels in the land-use map `farmwatch classify` makes with `extra`.
  double masked_share(const std::string& image, const std::vector<std::string>& extra) const {
    std::vector<std::string> args = {"classify",     "--in",    image,   "--out",
                                     tmp / "lu.tif", "--scale", "0.0001"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = test::run_cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    if (r.exit_code != 0) return -1;
    const auto v = test::read_band(tmp / "lu.tif");
    return static_cast<double>(std::count(v.begin(), v.end(), 255.0)) /
           static_cast<double>(v.size());
  }
  std::string dir;
  test::TempDir tmp;
};

}  // namespace

TEST_F(SloveniaClouds, SpectralTestMasksTheCloudyDatesAndNotTheClearOnes) {
  for (const char* cloudy : {"20150731", "20150820"})
    EXPECT_GE(masked_share(dn(cloudy), {"--quality", "spectral"}), 0.98) << cloudy;
  for (const char* clear : {"20150711", "20150830", "20150909"})
    EXPECT_LE(masked_share(dn(clear), {"--quality", "spectral"}), 0.02) << clear;
}

TEST_F(SloveniaClouds, S2cloudlessMaskBandOfTheDateIsAQualityLayer) {
  // Band 2 of the 68-date CLM stack is 2015-07-31, band 1 is 2015-07-11.
  const std::string clm = dir + "cloudmask_clm_68dates.tif";
  EXPECT_EQ(masked_share(dn("20150731"), {"--quality", clm, "--quality-band", "2"}), 1.0);
  EXPECT_EQ(masked_share(dn("20150711"), {"--quality", clm, "--quality-band", "1"}), 0.0);
}

TEST_F(SloveniaClouds, ACloudySceneIsSkippedAndTheClearOneUsed) {
  std::ofstream(tmp / "p.yaml") << "dates:\n"
                                << "  - date: 2015-07-31\n"
                                << "    scenes:\n"
                                << "      - {image: '" << dn("20150731")
                                << "', scale: 0.0001, quality: spectral}\n"
                                << "      - {image: '" << dn("20150711")
                                << "', date: 2015-07-11, scale: 0.0001,"
                                << " quality: spectral}\n"
                                << "classification: " << test::source_dir()
                                << "/pipelines/rules/landuse_rules.yaml\n"
                                << "outputs: {dir: '" << (tmp / "out") << "', tiles: false}\n";
  const auto r = test::run_cli({"run", tmp / "p.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.output;  // a cloudy scene is skipped, not failed
  const auto s = nlohmann::json::parse(test::read_text(tmp / "out/summary.json"));
  const auto& scenes = s["inputs"]["dates"][0]["scenes"];
  ASSERT_EQ(scenes.size(), 2u);
  EXPECT_EQ(scenes[0]["status"], "skipped") << scenes.dump(1);
  EXPECT_NE(scenes[0]["reason"].get<std::string>().find("cloudy"), std::string::npos);
  EXPECT_GE(scenes[0]["cloud_share_sampled"].get<double>(), 0.95);
  EXPECT_EQ(scenes[1]["status"], "used");
  EXPECT_EQ(s["failed_scenes"], 0);
  // Only the clear scene: the map has (almost) no nodata.
  const auto v = test::read_band(tmp / "out/landuse_2015-07-31.tif");
  EXPECT_LE(std::count(v.begin(), v.end(), 255.0), static_cast<long>(v.size() / 50));

  // With the clear scene gone as well, the date has nothing left: a clear error, exit 4.
  std::ofstream(tmp / "q.yaml") << "dates:\n"
                                << "  - {date: 2015-07-31, image: '" << dn("20150731")
                                << "', scale: 0.0001,"
                                << " quality: spectral}\n"
                                << "classification: " << test::source_dir()
                                << "/pipelines/rules/landuse_rules.yaml\n"
                                << "outputs: {dir: '" << (tmp / "out2") << "', tiles: false}\n";
  const auto q = test::run_cli({"run", tmp / "q.yaml"});
  EXPECT_EQ(q.exit_code, 4) << q.output;
  EXPECT_NE(q.output.find("no usable scene"), std::string::npos) << q.output;
  EXPECT_NE(q.output.find("cloudy"), std::string::npos) << q.output;
}
