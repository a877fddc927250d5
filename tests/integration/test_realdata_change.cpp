// Change detection on real pairs with independent reference labels: `farmwatch change` with no
// farmland layer and no options, one configuration for both. Floors: the targets of
// ../shared/docs/benchmarks.md (above CVA+Otsu and OTB's MAD on each pair).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

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
  std::string run(const std::string& a, const std::string& b,
                  const std::vector<std::string>& options = {}) {
    std::vector<std::string> args = {"change",       "--before", data + "/" + a, "--after",
                                     data + "/" + b, "--out",    dir / "out",    "-q"};
    args.insert(args.end(), options.begin(), options.end());
    const auto r = test::run_cli(args);
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

/// One OSCD Sentinel-2 city: its dates, its floors (as relative brightness, the files' DNs as
/// they are, and as reflectance) and the baselines' F1 on it (scripts/bench/accuracy_change.py,
/// 2026-11-29).
struct OscdCity {
  const char* city;
  const char* before;
  const char* after;
  double floor, floor_reflectance;
  const char* baselines;
};

// Floors a little under the F1 measured. As relative brightness, with the misregistration-
// tolerant test, hysteresis, no boundary refinement of uncalibrated pairs and the temporal cloud
// screening (0.367, 0.443, 0.524, 0.508, 0.346, 0.352, 0.608); Paris was 0.101 while its later
// date's two clouds and a cloud's shadow were reported as change. As reflectance, measured on
// 2026-11-30 (0.346, 0.410, 0.500, 0.452, 0.289, 0.342, 0.533); before that, Paris was 0.073
// (the clouds' thin edges reported, their cores no data), Abu Dhabi and Pisa 0.207 (bright
// ground taken for cloud), and the boundary refinement cut holes in heterogeneous patches.
// The seasonal exclusion and IR-MAD's two starts (2026-12-01): relative brightness 0.367,
// 0.452, 0.526, 0.523, 0.345, 0.352, 0.607; as reflectance 0.350, 0.418, 0.501, 0.454, 0.289,
// 0.343, 0.530. The normalisation fitted without the samples whose vegetation turned
// (2026-12-01): the same as relative brightness but Beihai 0.454; as reflectance 0.350, 0.423,
// 0.501, 0.454, 0.284, 0.307, 0.530 (Pisa's summer-winter pair: its fit on every sample
// absorbed part of the season, which its reference counts as no change).
// Each floor is above both baselines.
const OscdCity kOscdCities[] = {
    {"abudhabi", "20160120", "20180328", 0.34, 0.31, "CVA+Otsu 0.205, OTB MAD 0.241"},
    {"beihai", "20161209", "20180309", 0.41, 0.39, "CVA+Otsu 0.217, OTB MAD 0.332"},
    {"cupertino", "20150918", "20180326", 0.50, 0.47, "CVA+Otsu 0.395, OTB MAD 0.298"},
    {"nantes", "20150821", "20171014", 0.48, 0.43, "CVA+Otsu 0.116, OTB MAD 0.211"},
    {"paris", "20161130", "20171107", 0.30, 0.25, "CVA+Otsu 0.106, OTB MAD 0.086"},
    {"pisa", "20150704", "20180211", 0.32, 0.28, "CVA+Otsu 0.070, OTB MAD 0.155"},
    {"rennes", "20150821", "20170621", 0.58, 0.51, "CVA+Otsu 0.489, OTB MAD 0.400"}};

void PrintTo(const OscdCity& c, std::ostream* os) { *os << c.city; }
std::string city_name(const ::testing::TestParamInfo<OscdCity>& i) { return i.param.city; }

class OscdChange : public RealChange, public ::testing::WithParamInterface<OscdCity> {
 protected:
  /// Pixel F1 of `change` on the city's pair, with `options` besides the pair and --out.
  double city_f1(const std::vector<std::string>& options = {}) {
    const OscdCity& c = GetParam();
    const std::string stem = std::string("oscd_s2_change/") + c.city + "_";
    const auto change =
        run(stem + c.before + "_B02B03B04B08.tif", stem + c.after + "_B02B03B04B08.tif", options);
    return f1(
        change, data + "/" + stem + "change_gt.tif", [](double) { return true; },
        [](double r) { return r == 1; });
  }
};

TEST_P(OscdChange, PixelF1HoldsItsFloor) {
  const OscdCity& c = GetParam();
  EXPECT_GE(city_f1(), c.floor) << c.city << ": " << c.baselines;
}

INSTANTIATE_TEST_SUITE_P(SevenCities, OscdChange, ::testing::ValuesIn(kOscdCities), city_name);

class OscdReflectance : public OscdChange {};

TEST_P(OscdReflectance, PixelF1HoldsItsFloor) {
  // The same pairs with their DNs declared reflectance (as with a DN-to-reflectance rule): the
  // land-use classes then take part, and the rules' one-date cloud class meets bright ground
  // and each cloud's core (core/change_kernel.h bright_ground, io::is_sky_only).
  const OscdCity& c = GetParam();
  EXPECT_GE(city_f1({"--bands", "blue=1,green=2,red=3,nir=4", "--scale", "0.0001"}),
            c.floor_reflectance)
      << c.city << " as reflectance: " << c.baselines;
}

INSTANTIATE_TEST_SUITE_P(SevenCities, OscdReflectance, ::testing::ValuesIn(kOscdCities), city_name);

// LEVIR-CD samples: 0.5 m RGB PNG pairs with no georeference, building-change labels 0/255.
// `change` with no options (the assumed 0.5 m pixel). Floors a little under what it measured
// on 2026-12-03 (F1 0.505, 0.511, 0.242; 1.2 % of the no-change pair flagged as 非农化, 3.6 %
// before regions whose colours barely changed were dropped): the detector is unsupervised, the
// reference counts only roofs, not the driveways and lawns that came with them.
class LevirChange : public RealChange {
 protected:
  /// F1 of change.tif's value 1 against the label, and the share of pixels flagged.
  std::pair<double, double> score(const std::string& name) {
    const std::string base = data + "/levir_cd_samples/";
    const auto r = test::run_cli({"change", "--before", base + "A/" + name, "--after",
                                  base + "B/" + name, "--out", dir / name, "-q"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    const std::string change = dir / (name + "/change.tif");
    const auto c = test::read_band(change);
    double flagged = 0;
    for (double v : c) flagged += v == 1;
    return {f1(
                change, base + "label/" + name, [](double) { return true; },
                [](double label) { return label > 0; }),
            flagged / double(c.size())};
  }
};

TEST_F(LevirChange, FindsNewBuildingsOnPngPairsWithoutGeoreference) {
  EXPECT_GE(score("train_36_0512_0512.png").first, 0.45);
  EXPECT_GE(score("train_412_0512_0768.png").first, 0.45);
  EXPECT_GE(score("val_27_0000_0256.png").first, 0.15);
}

TEST_F(LevirChange, FlagsLittleWhereNothingWasBuilt) {
  // The same buildings under another sun and colour balance, shifted by about a pixel.
  EXPECT_LE(score("train_386_0512_0768.png").second, 0.025);
}

// The other very-high-resolution sets (vhr_building_change/, MANIFEST.md): pooled F1 per set,
// `change` with no options, every kind the method reports (new and demolished buildings,
// converted ground) counted as change. Floors a little under what was measured on 2026-12-03
// with development blocks and the regions' change magnitude (0.245, 0.356, 0.439, 0.334), each
// above CVA+Otsu on z-scored RGB (0.100, 0.332, 0.372, 0.203). Before blocks WHU-CD and DSIFN,
// whose labels count every land-cover change, were below it (0.315, 0.352).
struct VhrSet {
  const char* folder;
  std::vector<const char*> pairs;
  int change_above;  ///< label values above this are change
  double floor;
};

void PrintTo(const VhrSet& s, std::ostream* os) { *os << s.folder; }

class VhrChange : public RealChange, public ::testing::WithParamInterface<VhrSet> {};

TEST_P(VhrChange, PooledF1HoldsItsFloor) {
  const VhrSet& s = GetParam();
  const std::string base = data + "/vhr_building_change/" + s.folder + "/";
  double tp = 0, fp = 0, fn = 0;
  for (const char* name : s.pairs) {
    const std::string png = std::string(name) + ".png";
    const auto r = test::run_cli({"change", "--before", base + "A/" + png, "--after",
                                  base + "B/" + png, "--out", dir / name, "-q"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto c = test::read_band(dir / (std::string(name) + "/change.tif"));
    const auto l = test::read_band(base + "label/" + png);
    ASSERT_EQ(c.size(), l.size()) << name;
    for (std::size_t i = 0; i < c.size(); ++i) {
      const bool p = c[i] >= 1 && c[i] <= 3, t = l[i] > s.change_above;
      tp += p && t;
      fp += p && !t;
      fn += !p && t;
    }
  }
  EXPECT_GE(2 * tp / (2 * tp + fp + fn), s.floor) << s.folder;
}

INSTANTIATE_TEST_SUITE_P(
    FourSets, VhrChange,
    ::testing::Values(VhrSet{"levir_cd_1024", {"test_1", "test_3", "test_12"}, 0, 0.23},
                      VhrSet{"whu_cd", {"000121"}, 0, 0.34},
                      VhrSet{"dsifn", {"0_2", "2_4", "4_4", "6_3", "8_3"}, 0, 0.40},
                      VhrSet{"sztaki_airchange",
                             {"szada_2", "szada_3", "szada_4", "tiszadob_1", "tiszadob_2",
                              "tiszadob_5"},
                             127,
                             0.32}),
    [](const ::testing::TestParamInfo<VhrSet>& i) { return std::string(i.param.folder); });

// A change model trained on four DSIFN tiles' labels (farmwatch train --before/--after, at most
// 5000 pixels of each class a tile) and given to change --model on the fifth, 4_4: fields turned
// into a dense town, which the building method alone scores 0.331 on (0.183 before development
// blocks) and CVA+Otsu 0.418. It measured 0.541 on 2026-12-03, before blocks; the floor lies
// above CVA+Otsu. The model is written in the
// test's temporary folder and never kept: the labels are for research only.
TEST_F(RealChange, AChangeModelTrainedOnFourDsifnTilesFindsTheTownOnTheFifth) {
  const std::string base = data + "/vhr_building_change/dsifn/";
  std::vector<std::string> train = {"train", "--out", dir / "dsifn_model.yml",
                                    "--max-per-class", "5000", "-q"};
  for (const char* name : {"0_2", "2_4", "6_3", "8_3"}) {
    const std::string png = std::string(name) + ".png";
    train.insert(train.end(), {"--before", base + "A/" + png, "--after", base + "B/" + png,
                               "--labels", base + "label/" + png});
  }
  auto r = test::run_cli(train);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string change = run("vhr_building_change/dsifn/A/4_4.png",
                                 "vhr_building_change/dsifn/B/4_4.png",
                                 {"--model", dir / "dsifn_model.yml"});
  EXPECT_GE(f1(
                change, base + "label/4_4.png", [](double) { return true; },
                [](double label) { return label > 0; }),
            0.50);
}
