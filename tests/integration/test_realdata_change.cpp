// Change detection on real pairs with independent reference labels: `farmwatch change` with no
// farmland layer and no options, one configuration for both. Floors: the targets of
// ../shared/docs/benchmarks.md (above CVA+Otsu and OTB's MAD on each pair).
#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.h"

using namespace farmwatch;
namespace fs = std::filesystem;

namespace {

/// Pixel F1 of the change class of `change` (values 1-3) against `reference`, scoring only
/// pixels where `scored(ref)`, counting `is_change(ref)` as change.
template <typename Scored, typename IsChange>
double f1(const std::string& change, const std::string& reference, Scored scored,
          IsChange is_change) {
  const auto c = test::read_band(change), r = test::read_band(reference);
  EXPECT_EQ(c.size(), r.size());
  double tp = 0, fp = 0, fn = 0;
  for (std::size_t i = 0; i < c.size() && i < r.size(); ++i) {
    if (!scored(r[i])) continue;
    const bool p = c[i] >= 1 && c[i] <= 3, t = is_change(r[i]);
    tp += p && t;
    fp += p && !t;
    fn += !p && t;
  }
  return tp == 0 ? 0 : 2 * tp / (2 * tp + fp + fn);
}

class RealChange : public ::testing::Test {
 protected:
  void SetUp() override {
    data = test::shared_data_dir();
    if (data.empty())
      GTEST_SKIP() << "../shared/data is not beside the repository: real-data tests skipped";
  }
  std::string run(const std::string& a, const std::string& b) {
    const auto r = test::run_cli({"change", "--before", data + "/" + a, "--after", data + "/" + b,
                                  "--out", dir / "out", "-q"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return (dir.path() / "out" / "change.tif").string();
  }
  std::string data;
  test::TempDir dir;
};

}  // namespace

TEST_F(RealChange, NanjingLandsatFiveF1AboveTheBaselines) {
  // 8-bit DNs without calibration: compared as relative brightness. Labelled pixels only.
  const auto c = run("landsat_change_cn/nanjing_20000503_6band.tif",
                     "landsat_change_cn/nanjing_20020712_6band.tif");
  const double f = f1(
      c, data + "/landsat_change_cn/nanjing_reference_samples.tif", [](double r) { return r != 0; },
      [](double r) { return r == 2; });
  EXPECT_GE(f, 0.80) << "CVA+Otsu 0.739, OTB MAD 0.771";
}

TEST_F(RealChange, RennesSentinelTwoF1AboveTheBaselines) {
  const auto c = run("oscd_s2_change/rennes_20150821_B02B03B04B08.tif",
                     "oscd_s2_change/rennes_20170621_B02B03B04B08.tif");
  const double f = f1(
      c, data + "/oscd_s2_change/rennes_change_gt.tif", [](double) { return true; },
      [](double r) { return r == 1; });
  EXPECT_GE(f, 0.55) << "CVA+Otsu 0.502, OTB MAD 0.400";
}
