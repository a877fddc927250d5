// A later date read brighter (reflectance x 1.15 + 0.01, as a different season's sun and
// atmosphere would): the run must find that on pseudo-invariant pixels, undo it, and report the
// same patches.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <tuple>

#include "test_support.h"

using namespace farmwatch;

namespace {
/// Reflectance of cropland, new built-up land and bare soil (blue, green, red, NIR).
constexpr double crops[4] = {0.04, 0.07, 0.05, 0.35}, built[4] = {0.10, 0.12, 0.13, 0.20},
                 bare[4] = {0.12, 0.15, 0.18, 0.25};

/// An n x n Landsat-like raster at 30 m: blue, green, red and NIR as UInt16 reflectance x 1e4
/// (scale 1e-4), every pixel 0.
test::RasterSpec landsat_like(int n) {
  test::RasterSpec s;
  s.width = s.height = n;
  s.res = 30;
  s.type = GDT_UInt16;
  s.scale = 1e-4;
  s.descriptions = {"blue", "green", "red", "nir"};
  s.bands.assign(4, std::vector<double>(std::size_t(n) * n));
  return s;
}
}  // namespace

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

// Rapid urban growth (the field report of issue 15: a Landsat pair where change was widespread):
// a generated 30 m scene of 10 x 10 px blocks of crops, forest, built-up and bare land, where 40 %
// (then 60 %) of all blocks are built up by the later date, read with its own gain and offset
// per band. `change` with no options must find the new built-up land and little else; before
// the IR-MAD started from the two-population split, it found nothing at 40 % (the canonical
// correlations absorbed the change), and with the split over bands z-scored per date nothing at
// 60 % (the later date's statistics were the change's).
// Each scene is drawn from its own seed: with several kinds of change, whether the smallest
// kind (bare land built up, every band about 20 % darker) falls with the unchanged pixels at
// IR-MAD's first split depends on the draw; there it was absorbed by the canonical variates
// (recall 0.001-0.005 on generated 30 m scenes) until IR-MAD ran from a second start too.
class WidespreadChange : public ::testing::TestWithParam<std::tuple<double, int>> {};

TEST_P(WidespreadChange, IsFound) {
  const auto [share, seed] = GetParam();  // share of all blocks built up
  test::TempDir d;
  const int n = 200, blocks = n / 10;
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> spread(0, 0.045), noise(0, 0.006);
  const double cover[4][4] = {{0.04, 0.07, 0.05, 0.35},   // crops
                              {0.03, 0.05, 0.03, 0.28},   // forest
                              {0.10, 0.12, 0.13, 0.20},   // built-up
                              {0.12, 0.15, 0.18, 0.25}};  // bare
  const double gain[4] = {1.1, 1.05, 1.08, 0.92}, offset[4] = {0.01, 0.005, 0, 0.02};
  std::vector<int> before(blocks * blocks), after(blocks * blocks);
  std::vector<double> shade(blocks * blocks);
  for (int k = 0; k < blocks * blocks; ++k) {
    const double r = u(rng);
    before[k] = r < 0.45 ? 0 : r < 0.65 ? 1 : r < 0.85 ? 2 : 3;
    after[k] = before[k] != 2 && u(rng) < share / 0.8 ? 2 : before[k];  // 80 % not built up
    shade[k] = 1 + spread(rng);
  }
  auto scene = [&](const std::vector<int>& cls, bool later) {
    test::RasterSpec s = landsat_like(n);
    for (int row = 0; row < n; ++row)
      for (int col = 0; col < n; ++col) {
        const int k = row / 10 * blocks + col / 10;
        for (int b = 0; b < 4; ++b) {
          double v = cover[cls[k]][b] * shade[k] + noise(rng);
          if (later) v = gain[b] * v + offset[b];
          s.bands[b][std::size_t(row) * n + col] = std::round(std::clamp(v, 0.0, 1.0) * 1e4);
        }
      }
    return s;
  };
  test::write_raster(d / "landsat_20200601.tif", scene(before, false));
  test::write_raster(d / "landsat_20230601.tif", scene(after, true));
  const auto r = test::run_cli({"change", "--before", d / "landsat_20200601.tif", "--after",
                                d / "landsat_20230601.tif", "--out", d / "out", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // Seed 5 at 60 %: the co-registration took the edges of the changed blocks for a shift of one
  // block (10 pixels, 0.505 of edge correlation against 0.433 at none), IR-MAD then fitted the
  // blocks against their neighbours and collapsed (canonical correlations 0.13 and 0.11) and
  // nothing was found. The peak near no shift is now taken (core: phase_shift).
  const auto summary = nlohmann::json::parse(test::read_text(d / "out/summary.json"));
  const auto& test_report = summary["spectral_change_test"];
  EXPECT_FALSE(test_report.contains("warning")) << test_report.dump();
  const auto& coregistration = summary["coregistration"];
  if (coregistration.value("applied", false)) {
    EXPECT_LT(std::hypot(coregistration["shift_px"][0].get<double>(),
                         coregistration["shift_px"][1].get<double>()),
              1.0)
        << coregistration.dump();
  }
  const auto c = test::read_band(d / "out/change.tif");
  double tp = 0, fp = 0, fn = 0;
  std::array<double, 4> built{}, found{};  // per earlier cover: pixels built up, found
  for (int row = 0; row < n; ++row)
    for (int col = 0; col < n; ++col) {
      const int k = row / 10 * blocks + col / 10;
      const bool truth = after[k] != before[k];
      const double v = c[std::size_t(row) * n + col];
      const bool flagged = v >= 1 && v <= 3;
      tp += flagged && truth;
      fp += flagged && !truth;
      fn += !flagged && truth;
      if (truth) {
        ++built[std::size_t(before[k])];
        found[std::size_t(before[k])] += flagged;
      }
    }
  // Each kind found: absorbed by the canonical variates, a kind's recall is near 0 (bare land
  // built up: 0.002-0.004 in the scenes of seeds 5 and 6 at 40 %, 3 at 60 %, before IR-MAD ran
  // from its second start; 0.73-0.99 since).
  for (std::size_t k : {0u, 1u, 3u})
    EXPECT_GT(found[k] / std::max(1.0, built[k]), 0.5) << "recall of "
                                                       << (k == 0   ? "crops"
                                                           : k == 1 ? "forest"
                                                                    : "bare land")
                                                       << " built up";
  // Seed 3 measured recall 0.94 and 0.80 with the first start alone (bare land built up
  // absorbed at 60 %), precision 0.999 and 0.9997.
  EXPECT_GT(tp / (tp + fn), share < 0.5 ? 0.85 : 0.75) << "recall";
  EXPECT_GT(tp / (tp + fp), 0.9) << "precision";
}

std::string widespread_name(const ::testing::TestParamInfo<std::tuple<double, int>>& i) {
  return "Percent" + std::to_string(static_cast<int>(std::get<0>(i.param) * 100)) + "Seed" +
         std::to_string(std::get<1>(i.param));
}
INSTANTIATE_TEST_SUITE_P(Normalisation, WidespreadChange,
                         ::testing::Combine(::testing::Values(0.4), ::testing::Values(3, 4, 5, 6)),
                         widespread_name);
INSTANTIATE_TEST_SUITE_P(Normalisation60, WidespreadChange,
                         ::testing::Combine(::testing::Values(0.6), ::testing::Values(3, 4, 5, 6)),
                         widespread_name);

// New urban land on 30 m pixels whose classes flicker: each pixel of three developments on
// cropland is built-up (7 in 10) or bare ground at random (the rules call cropland to bare soil
// allowed, so without a farmland layer other change; cropland to built-up 非农化). Each single
// pixel of other change (900 m², under its 1000 m²) was a patch of its own and was dropped: holes
// in the developments. They now join the 非农化 around them (core/change_fragments.h).
TEST(ChangeFragments, AFlickeringDevelopmentIsFoundWholeNotFullOfHoles) {
  test::TempDir d;
  constexpr int n = 120;
  std::mt19937 rng(17);
  std::normal_distribution<double> noise(0, 0.004);
  auto developed = [](int row, int col) {
    return (row >= 10 && row < 40 && col >= 10 && col < 50) ||
           (row >= 60 && row < 100 && col >= 20 && col < 45) ||
           (row >= 70 && row < 110 && col >= 70 && col < 110);
  };
  test::RasterSpec before = landsat_like(n), after = landsat_like(n);
  double developed_pixels = 0;
  for (int row = 0; row < n; ++row)
    for (int col = 0; col < n; ++col) {
      const std::size_t i = std::size_t(row) * n + col;
      const bool dev = developed(row, col);
      developed_pixels += dev;
      const double* later = !dev ? crops : rng() % 10 < 7 ? built : bare;
      for (int b = 0; b < 4; ++b) {
        before.bands[b][i] = std::round((crops[b] + noise(rng)) * 1e4);
        after.bands[b][i] = std::round((later[b] + noise(rng)) * 1e4);
      }
    }
  test::write_raster(d / "landsat_20200601.tif", before);
  test::write_raster(d / "landsat_20230601.tif", after);
  const auto r = test::run_cli({"change", "--before", d / "landsat_20200601.tif", "--after",
                                d / "landsat_20230601.tif", "--out", d / "out", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto c = test::read_band(d / "out/change.tif");
  double found = 0, false_alarms = 0, non_agricultural = 0;
  for (int row = 0; row < n; ++row)
    for (int col = 0; col < n; ++col) {
      const double v = c[std::size_t(row) * n + col];
      const bool flagged = v >= 1 && v <= 3;
      if (developed(row, col)) {
        found += flagged;
        non_agricultural += v == 1;
      } else {
        false_alarms += flagged;
      }
    }
  // Measured: 0.973 of the developments' pixels with the single pixels dropped, 1.000 now.
  EXPECT_GT(found / developed_pixels, 0.99) << non_agricultural / developed_pixels << " 非农化";
  EXPECT_LT(false_alarms, 20);
}

// Patches a pixel apart or touching at a corner: built-up and bare ground alternating pixel by
// pixel over cropland at 30 m (found by a new user's odd inputs). Each built-up pixel is a
// patch of its own, and the boundary refinement let each take the bare pixels beside it, so
// that four patches took the same pixel: 200 patches of 960 pixels, 864,691 m², over 400
// changed pixels of 360,000 m². A pixel another patch could take too now joins none.
TEST(Patches, NoPixelIsInTwoPatches) {
  test::TempDir d;
  constexpr int n = 40;
  test::RasterSpec before = landsat_like(n), after = landsat_like(n);
  for (int row = 0; row < n; ++row)
    for (int col = 0; col < n; ++col) {
      const bool region = row >= 10 && row < 30 && col >= 10 && col < 30;
      const double* later = !region ? crops : (row + col) % 2 ? bare : built;
      for (int b = 0; b < 4; ++b) {
        before.bands[b][std::size_t(row) * n + col] = std::round(crops[b] * 1e4);
        after.bands[b][std::size_t(row) * n + col] = std::round(later[b] * 1e4);
      }
    }
  test::write_raster(d / "a.tif", before);
  test::write_raster(d / "b.tif", after);
  const auto r = test::run_cli(
      {"change", "--before", d / "a.tif", "--after", d / "b.tif", "--out", d / "out", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto c = test::read_band(d / "out/change.tif");
  double reported = 0;
  for (double v : c) reported += v >= 1 && v <= 3;
  const auto patches = nlohmann::json::parse(test::read_text(d / "out/changes.geojson"));
  double pixels = 0, area = 0;
  for (const auto& f : patches["features"]) {
    pixels += f["properties"]["pixels"].get<double>();
    area += f["properties"]["area_m2"].get<double>();
  }
  ASSERT_GT(reported, 0);
  EXPECT_EQ(pixels, reported);
  EXPECT_NEAR(area, reported * 900, reported * 900 * 0.01);
}
