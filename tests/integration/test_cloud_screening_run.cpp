// Clouds and their shadows in one date of a pair with no quality layer (the later Paris date of
// issue 15's OSCD pairs): `change` must not report them as change, whether the pixels are
// reflectance or relative brightness (DN with no rule, where no absolute cloud test can work),
// and must still report a new warehouse, white and as much brighter than the ground as the
// cloud's thin parts, whose edge is sharp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "test_support.h"

using namespace farmwatch;

namespace {

constexpr int kSize = 240;

/// Where the generated later date differs from the earlier.
struct Later {
  double cloud_row = 60, cloud_col = 160, sigma = 12;            ///< a Gaussian cloud, px
  double shadow_row = 110, shadow_col = 100;                     ///< its shadow, same shape
  int warehouse_row = 150, warehouse_col = 170, warehouse = 24;  ///< a sharp white roof
  /// Cloud optical depth at a pixel (0..0.95) and shadow depth (0..0.95).
  double cloud(int r, int c) const { return blob(r - cloud_row, c - cloud_col); }
  double shadow(int r, int c) const { return blob(r - shadow_row, c - shadow_col); }
  bool in_warehouse(int r, int c) const {
    return r >= warehouse_row && r < warehouse_row + warehouse && c >= warehouse_col &&
           c < warehouse_col + warehouse;
  }
  double blob(double dr, double dc) const {
    return std::min(0.95, 1.3 * std::exp(-(dr * dr + dc * dc) / (2 * sigma * sigma)));
  }
};

/// Blocks of 8 x 8 px of built-up, vegetated and bare ground (blue, green, red, nir
/// reflectance), the same on both dates but for `later`'s cloud, shadow and warehouse.
test::RasterSpec scene(bool is_later, bool relative, const Later& l) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> pick(0, 2);
  std::normal_distribution<double> shade(1, 0.08), noise(0, 0.002);
  const double cover[3][4] = {
      {0.10, 0.09, 0.08, 0.12}, {0.04, 0.07, 0.04, 0.30}, {0.12, 0.14, 0.17, 0.22}};
  // The roof is white and bright but under the land-use rules' cloud class (blue 0.25).
  const double cloud[4] = {0.36, 0.35, 0.34, 0.37}, roof[4] = {0.22, 0.22, 0.21, 0.23};
  const double shadow_loss[4] = {0.35, 0.5, 0.6, 0.65};  // blue keeps the skylight
  const int blocks = kSize / 8;
  std::vector<int> cls(blocks * blocks);
  std::vector<double> tone(cls.size());
  for (std::size_t k = 0; k < cls.size(); ++k) cls[k] = pick(rng), tone[k] = shade(rng);
  test::RasterSpec s;
  s.width = s.height = kSize;
  s.type = GDT_UInt16;
  if (!relative) s.scale = 1e-4;
  s.descriptions = {"blue", "green", "red", "nir"};
  s.bands.assign(4, std::vector<double>(std::size_t(kSize) * kSize));
  // The ground's own texture, the same on both dates, and each date's noise.
  std::mt19937 ground(3), grain(is_later ? 11 : 5);
  std::normal_distribution<double> texture(0, 0.01);
  for (int r = 0; r < kSize; ++r)
    for (int c = 0; c < kSize; ++c) {
      const std::size_t k = std::size_t(r / 8) * blocks + c / 8;
      const double t = texture(ground);
      for (int b = 0; b < 4; ++b) {
        double v = cover[cls[k]][b] * tone[k] + t + noise(grain);
        if (is_later) {
          if (l.in_warehouse(r, c)) v = roof[b] + noise(grain);
          v *= 1 - l.shadow(r, c) * shadow_loss[b];
          const double a = l.cloud(r, c);
          v = (1 - a) * v + a * cloud[b];
        }
        s.bands[b][std::size_t(r) * kSize + c] = std::round(std::clamp(v, 0.0, 1.0) * 1e4);
      }
    }
  return s;
}

}  // namespace

class CloudScreening : public ::testing::TestWithParam<bool> {};

TEST_P(CloudScreening, ACloudAndItsShadowAreNoObservationAWarehouseIsChange) {
  const bool relative = GetParam();
  test::TempDir d;
  const Later l;
  test::write_raster(d / "s2_20200601.tif", scene(false, relative, l));
  test::write_raster(d / "s2_20210601.tif", scene(true, relative, l));
  const auto r = test::run_cli({"change", "--before", d / "s2_20200601.tif", "--after",
                                d / "s2_20210601.tif", "--out", d / "out", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto c = test::read_band(d / "out/change.tif");
  double sky = 0, sky_flagged = 0, roof = 0, roof_flagged = 0;
  for (int row = 0; row < kSize; ++row)
    for (int col = 0; col < kSize; ++col) {
      const double v = c[std::size_t(row) * kSize + col];
      const bool flagged = v >= 1 && v <= 3;
      if (l.cloud(row, col) > 0.2 || l.shadow(row, col) > 0.2) {
        ++sky;
        sky_flagged += flagged;
      }
      if (l.in_warehouse(row, col)) {
        ++roof;
        roof_flagged += flagged;
      }
    }
  EXPECT_LT(sky_flagged / sky, 0.02) << "cloud and shadow reported as change";
  EXPECT_GT(roof_flagged / roof, 0.8) << "the warehouse missed";
  const auto summary = nlohmann::json::parse(test::read_text(d / "out/summary.json"));
  const auto& screening = summary["spectral_change_test"]["cloud_screening"];
  EXPECT_EQ(screening["clouds"].get<int>(), 1) << screening.dump();
  EXPECT_EQ(screening["shadows"].get<int>(), 1) << screening.dump();
  EXPECT_GT(screening["pixels_after"].get<int>(), 0);
  EXPECT_EQ(screening["pixels_before"].get<int>(), 0);
}

INSTANTIATE_TEST_SUITE_P(ChangeWithoutQualityLayer, CloudScreening, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return i.param ? "RelativeBrightness" : "Reflectance";
                         });

TEST(BrightGround, ARoofOnBrightSoilThatTheRulesCallCloudIsChangeFromSoilToUnknown) {
  // Reflectance, no quality layer. On a lot of bright soil (blue 0.20: bare soil to the rules)
  // a grey roof appears (blue 0.30, brightness 0.30: the rules' one-date cloud), which did not
  // gain white light (red only 1.2 times brighter). It is change, not no data, and its patch
  // reads bare soil to unknown, not a change to cloud.
  test::TempDir d;
  const int size = 160;
  auto scene = [&](bool later) {
    std::mt19937 rng(later ? 11 : 5), ground(3);
    std::normal_distribution<double> noise(0, 0.003), texture(0, 0.01);
    std::uniform_int_distribution<int> pick(0, 2);
    const double cover[3][4] = {
        {0.10, 0.09, 0.08, 0.12}, {0.04, 0.07, 0.04, 0.30}, {0.12, 0.14, 0.17, 0.22}};
    const double soil[4] = {0.20, 0.22, 0.26, 0.30}, roof[4] = {0.30, 0.30, 0.31, 0.32};
    std::mt19937 blocks(7);
    std::vector<int> cls(std::size_t(size / 8) * (size / 8));
    for (auto& k : cls) k = pick(blocks);
    test::RasterSpec s;
    s.width = s.height = size;
    s.type = GDT_UInt16;
    s.scale = 1e-4;
    s.descriptions = {"blue", "green", "red", "nir"};
    s.bands.assign(4, std::vector<double>(std::size_t(size) * size));
    for (int r = 0; r < size; ++r)
      for (int c = 0; c < size; ++c) {
        const double t = texture(ground);
        const bool lot = r >= 40 && r < 100 && c >= 40 && c < 100;
        const bool on_roof = later && r >= 55 && r < 85 && c >= 55 && c < 85;
        for (int b = 0; b < 4; ++b) {
          const double base = on_roof ? roof[b]
                              : lot   ? soil[b]
                                      : cover[cls[std::size_t(r / 8) * (size / 8) + c / 8]][b];
          s.bands[b][std::size_t(r) * size + c] =
              std::round(std::clamp(base + t + noise(rng), 0.0, 1.0) * 1e4);
        }
      }
    return s;
  };
  test::write_raster(d / "s2_20200601.tif", scene(false));
  test::write_raster(d / "s2_20210601.tif", scene(true));
  const auto r = test::run_cli({"change", "--before", d / "s2_20200601.tif", "--after",
                                d / "s2_20210601.tif", "--out", d / "out", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto c = test::read_band(d / "out/change.tif");
  double roof = 0, flagged = 0;
  for (int row = 55; row < 85; ++row)
    for (int col = 55; col < 85; ++col) {
      ++roof;
      const double v = c[std::size_t(row) * size + col];
      flagged += v >= 1 && v <= 3;
    }
  EXPECT_GT(flagged / roof, 0.8) << "the roof is no data or no change";
  const std::string csv = test::read_text(d / "out/changes.csv");
  EXPECT_EQ(csv.find("云/阴影"), std::string::npos) << csv;
  EXPECT_NE(csv.find("未知"), std::string::npos) << csv;
}

TEST(NonFiniteValues, InfinityInABandIsNoDataNotChangeNorACrash) {
  // Float32 reflectance with +Inf NIR over a block in both dates and -Inf red over another in
  // the later date (a broken conversion): once a segmentation fault in the calibration, which
  // sampled them, and change where the test read them.
  test::TempDir d;
  const int size = 100;
  auto scene = [&](bool later) {
    std::mt19937 rng(later ? 2 : 1);
    std::uniform_real_distribution<double> u(0.05, 0.25);
    test::RasterSpec s;
    s.width = s.height = size;
    s.descriptions = {"blue", "green", "red", "nir"};
    s.bands.assign(4, std::vector<double>(std::size_t(size) * size));
    for (auto& band : s.bands)
      for (auto& v : band) v = u(rng);
    for (int r = 20; r < 40; ++r)
      for (int c = 20; c < 40; ++c) s.bands[3][std::size_t(r) * size + c] = INFINITY;
    if (later)
      for (int r = 50; r < 60; ++r)
        for (int c = 50; c < 60; ++c) s.bands[2][std::size_t(r) * size + c] = -INFINITY;
    return s;
  };
  test::write_raster(d / "s2_20200715.tif", scene(false));
  test::write_raster(d / "s2_20210115.tif", scene(true));
  const auto r = test::run_cli({"change", "--before", d / "s2_20200715.tif", "--after",
                                d / "s2_20210115.tif", "--out", d / "out", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto c = test::read_band(d / "out/change.tif");
  for (const auto& [row, col] : {std::pair{30, 30}, std::pair{55, 55}})
    EXPECT_EQ(c[std::size_t(row) * size + col], 255) << row << "," << col;
}
