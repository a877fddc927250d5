// The minimum mapping unit of change.tif: small change regions go, whatever their categories.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "farmwatch/core/error.h"
#include "farmwatch/core/quality_mask.h"
#include "farmwatch/io/change_sieve.h"
#include "farmwatch/io/gdal_setup.h"
#include "test_support.h"

using namespace farmwatch;

namespace {
/// Writes `change` and `cand` (w x h, Byte) as change.tif and cand.tif in `d`; returns their
/// raster spec (its bands the candidates) for more rasters of the same grid.
test::RasterSpec write_change_and_candidates(const test::TempDir& d, int w, int h,
                                             const std::vector<double>& change,
                                             const std::vector<double>& cand) {
  test::RasterSpec s;
  s.width = w;
  s.height = h;
  s.type = GDT_Byte;
  s.bands = {change};
  test::write_raster(d / "change.tif", s);
  s.bands = {cand};
  test::write_raster(d / "cand.tif", s);
  return s;
}
/// Writes `bright` as the change vector delta.tif in `d` (its blue, green and red bands each
/// the brightening) on the grid of `s`, and returns a screening that reads it.
io::CloudScreening screening_over(const test::TempDir& d, test::RasterSpec s,
                                  const std::vector<double>& bright) {
  s.type = GDT_Float32;
  s.bands = {bright, bright, bright};
  test::write_raster(d / "delta.tif", s);
  io::CloudScreening scr;
  scr.change_vector = d / "delta.tif";
  scr.blue_band = 1, scr.green_band = 2, scr.red_band = 3;
  return scr;
}
}  // namespace

TEST(ChangeSieve, RegionsUnderTheMinimumGoAndMixedCategoriesCountAsOneRegion) {
  io::setup_gdal(nullptr);
  test::TempDir d;
  const int n = 20;
  std::vector<double> v(n * n, 0);
  auto set = [&](int r, int c, double x) { v[static_cast<std::size_t>(r * n + c)] = x; };
  for (int c = 0; c < 3; ++c) set(2, 2 + c, 3);  // 3 pixels: goes
  for (int r = 10; r < 13; ++r)                  // 3 x 4 of 非农化 beside other change: stays
    for (int c = 10; c < 14; ++c) set(r, c, c < 12 ? 1 : 3);
  set(18, 18, 255);  // nodata stays nodata
  test::RasterSpec s;
  s.width = s.height = n;
  s.type = GDT_Byte;
  s.nodata = 255;
  s.has_nodata = true;
  s.bands = {v};
  test::write_raster(d / "change.tif", s);
  s.bands = {std::vector<double>(n * n, 0)};
  s.has_nodata = false;
  test::write_raster(d / "cand.tif", s);
  const auto counts = io::sieve_change(d / "change.tif", d / "cand.tif", {.min_pixels = 9});
  const auto c = test::read_band(d / "change.tif"), k = test::read_band(d / "cand.tif");
  EXPECT_EQ(c[2 * n + 3], 0);
  EXPECT_EQ(c[10 * n + 10], 1);
  EXPECT_EQ(c[12 * n + 13], 3);
  EXPECT_EQ(c[18 * n + 18], 255);
  EXPECT_EQ(k[18 * n + 18], 0);
  EXPECT_EQ(k[10 * n + 10], 1);
  EXPECT_EQ(counts[1], 6);
  EXPECT_EQ(counts[3], 6);
  EXPECT_EQ(counts[255], 1);
}

TEST(ChangeSieve, WithSeedsOnlyRegionsHoldingASeedPixelStay) {
  // Hysteresis: a U-shaped region taller than the sieve's 256-row chunks whose only seed is at
  // the foot of its right arm (its two arms meet only at the bottom, so they are one region
  // only once the rows below are read), a square with no seed, and a diagonal chain (8-connected)
  // seeded at one end.
  io::setup_gdal(nullptr);
  test::TempDir d;
  const int w = 40, h = 600;
  std::vector<double> change(std::size_t(w) * h, 0), cand(change.size(), 0);
  auto set = [&](int r, int c, double v, bool seed) {
    change[std::size_t(r) * w + c] = v;
    cand[std::size_t(r) * w + c] = v + (seed ? io::kSeedBit : 0);
  };
  for (int r = 10; r < 590; ++r)
    for (int c : {2, 3, 10, 11}) set(r, c, 3, false);
  for (int r = 588; r < 590; ++r)
    for (int c = 2; c < 12; ++c) set(r, c, 3, false);
  set(580, 11, 1, true);
  for (int r = 20; r < 25; ++r)
    for (int c = 20; c < 25; ++c) set(r, c, 2, false);
  for (int k = 0; k < 12; ++k) set(100 + k, 20 + k, 1, k == 11);
  auto s = write_change_and_candidates(d, w, h, change, cand);
  io::sieve_change(d / "change.tif", d / "cand.tif", {.min_pixels = 9, .need_seed = true});
  const auto c = test::read_band(d / "change.tif"), k = test::read_band(d / "cand.tif");
  auto at = [&](const std::vector<double>& v, int r, int col) {
    return v[std::size_t(r) * w + col];
  };
  EXPECT_EQ(at(c, 10, 2), 3) << "the left arm's top joins the seed through the bottom";
  EXPECT_EQ(at(c, 580, 11), 1);
  EXPECT_EQ(at(c, 22, 22), 0) << "no seed: no change";
  EXPECT_EQ(at(c, 100, 20), 1) << "the diagonal chain is one 8-connected region";
  EXPECT_EQ(at(k, 10, 2), 3) << "candidates: the values without the seed bit";
  EXPECT_EQ(at(k, 22, 22), 0);
  // Without seeds asked for, the square stays (the sieve alone).
  s.bands = {change};
  test::write_raster(d / "change2.tif", s);
  s.bands = {cand};
  test::write_raster(d / "cand2.tif", s);
  io::sieve_change(d / "change2.tif", d / "cand2.tif", {.min_pixels = 9});
  EXPECT_EQ(test::read_band(d / "change2.tif")[22 * w + 22], 2);
}

TEST(ChangeSieve, ARegionsSizeIsCountedAcrossItsArmsAndRowChunks) {
  // A V whose arms (each 6 pixels, diagonal: 8-connected) start above row 256 (the sieve's
  // first chunk) and meet only below it: 13 pixels, kept at a minimum of 13, dropped at 14; a
  // pixel of nodata (255) beside it is neither counted nor cleared.
  io::setup_gdal(nullptr);
  test::TempDir d;
  const int w = 30, h = 320;
  std::vector<double> v(std::size_t(w) * h, 0);
  auto set = [&](int r, int c, double x) { v[std::size_t(r) * w + c] = x; };
  for (int k = 0; k < 6; ++k) {
    set(252 + k, 5 + k, 1);   // left arm, down and right: rows 252-257
    set(252 + k, 17 - k, 2);  // right arm, down and left
  }
  set(258, 11, 3);  // the foot both arms touch
  set(259, 11, 255);
  test::RasterSpec s;
  s.width = w;
  s.height = h;
  s.type = GDT_Byte;
  s.bands = {v};
  for (int min : {13, 14}) {
    test::write_raster(d / "change.tif", s);
    test::write_raster(d / "cand.tif", s);
    const auto counts = io::sieve_change(d / "change.tif", d / "cand.tif", {.min_pixels = min});
    const auto c = test::read_band(d / "change.tif");
    EXPECT_EQ(counts[1] + counts[2] + counts[3], min == 13 ? 13 : 0) << min;
    EXPECT_EQ(c[std::size_t(252) * w + 5], min == 13 ? 1 : 0) << min;
    EXPECT_EQ(c[std::size_t(259) * w + 11], 255) << min;
  }
}

TEST(ChangeSieve, RandomSpeckleKeepsExactlyTheEightConnectedRegionsThatPassTheRule) {
  // Speckle at several densities (runs of every length, regions with holes, arms meeting
  // diagonally, across the 256-row chunks), sieved at a minimum of 5 pixels with seeds; the
  // kept pixels must be those of an independent flood fill's 8-connected regions of at least
  // 5 pixels holding a seed.
  io::setup_gdal(nullptr);
  const int w = 97, h = 300, min = 5;
  for (const double density : {0.15, 0.35, 0.55}) {
    test::TempDir d;
    std::mt19937 rng(static_cast<unsigned>(density * 1000));
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<double> change(std::size_t(w) * h, 0), cand(change.size(), 0);
    for (std::size_t i = 0; i < change.size(); ++i)
      if (u(rng) < density) {
        change[i] = 1 + static_cast<int>(u(rng) * 3);
        cand[i] = change[i] + (u(rng) < 0.05 ? io::kSeedBit : 0);
      }
    write_change_and_candidates(d, w, h, change, cand);
    io::sieve_change(d / "change.tif", d / "cand.tif", {.min_pixels = min, .need_seed = true});
    const auto c = test::read_band(d / "change.tif");
    // The reference: a flood fill of each 8-connected region.
    std::vector<int> region(change.size(), -1);
    std::vector<char> keep;
    for (std::size_t start = 0; start < change.size(); ++start) {
      if (change[start] == 0 || region[start] >= 0) continue;
      const int id = static_cast<int>(keep.size());
      std::vector<std::size_t> stack{start};
      region[start] = id;
      std::size_t size = 0;
      bool seeded = false;
      while (!stack.empty()) {
        const std::size_t i = stack.back();
        stack.pop_back();
        ++size;
        seeded = seeded || cand[i] >= io::kSeedBit;
        const int r = static_cast<int>(i) / w, col = static_cast<int>(i) % w;
        for (int dr = -1; dr <= 1; ++dr)
          for (int dc = -1; dc <= 1; ++dc) {
            const int rr = r + dr, cc = col + dc;
            if (rr < 0 || rr >= h || cc < 0 || cc >= w) continue;
            const std::size_t j = std::size_t(rr) * w + cc;
            if (change[j] != 0 && region[j] < 0) {
              region[j] = id;
              stack.push_back(j);
            }
          }
      }
      keep.push_back(size >= std::size_t(min) && seeded);
    }
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < change.size(); ++i) {
      const double expected = change[i] != 0 && keep[static_cast<std::size_t>(region[i])] ? change[i] : 0;
      wrong += c[i] != expected;
    }
    EXPECT_EQ(wrong, 0u) << "density " << density << ": " << keep.size() << " regions";
  }
}

TEST(ChangeSieve, CloudScreeningMakesASoftEdgedCloudAndItsShadowNoDataNotASharpRoof) {
  // Four seeded regions with the later date's sky bits: a cloud whose brightening fades over
  // many pixels (a Gaussian; it straddles row 256, where the sieve's row chunks meet), a roof
  // as bright inside but with a sharp edge, a shadow 130 pixels from the cloud, and two ponds as
  // dark as a shadow: one 240 pixels from it, one beside it where the ground's pattern is gone.
  // With shadows allowed 200 pixels from their cloud, the cloud and the shadow become no data,
  // the roof and the ponds stay change.
  io::setup_gdal(nullptr);
  test::TempDir d;
  const int w = 300, h = 300;
  const std::size_t n = std::size_t(w) * h;
  std::vector<double> change(n, 0), cand(n, 0), bright(n, 0);
  const double cloud_bits = (kCloudLater << io::kSkyShift) | io::kSeedBit | 1;
  const double shadow_bits =
      (kShadowLater << io::kSkyShift) | io::kPatternKeptBit | io::kSeedBit | 1;
  const double water_bits = (kShadowLater << io::kSkyShift) | io::kSeedBit | 1;
  std::int64_t cloud = 0, shadow = 0;
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      const std::size_t i = std::size_t(r) * w + c;
      const double d2 = (r - 256.0) * (r - 256.0) + (c - 80.0) * (c - 80.0);
      const double haze = 0.25 * std::exp(-d2 / 200.0);
      if (haze > 0.03) {
        change[i] = 1, cand[i] = cloud_bits, bright[i] = haze, ++cloud;
      } else if (r >= 100 && r < 120 && c >= 200 && c < 220) {
        change[i] = 1, cand[i] = cloud_bits, bright[i] = 0.2;
      } else if (const double dark =
                     0.15 *
                     std::exp(-((r - 200.0) * (r - 200.0) + (c - 200.0) * (c - 200.0)) / 100.0);
                 dark > 0.03) {  // a soft shadow
        change[i] = 1, cand[i] = shadow_bits, bright[i] = -dark, ++shadow;
      } else if (r >= 20 && r < 40 && c >= 20 && c < 40) {  // a pond dug far from the cloud
        change[i] = 1, cand[i] = shadow_bits, bright[i] = -0.1;
      } else if (r >= 250 && r < 270 && c >= 150 && c < 170) {  // a pond dug beside it
        change[i] = 1, cand[i] = water_bits, bright[i] = -0.1;
      }
    }
  io::CloudScreening scr =
      screening_over(d, write_change_and_candidates(d, w, h, change, cand), bright);
  scr.max_shadow_distance_px = 200;
  const auto counts = io::sieve_change(d / "change.tif", d / "cand.tif",
                                       {.min_pixels = 9, .need_seed = true, .screening = &scr});
  const auto c = test::read_band(d / "change.tif"), k = test::read_band(d / "cand.tif");
  auto at = [&](const std::vector<double>& v, int r, int col) {
    return v[std::size_t(r) * w + col];
  };
  EXPECT_EQ(at(c, 256, 80), 255) << "the cloud's core";
  EXPECT_EQ(at(c, 250, 80), 255) << "the cloud above row 256";
  EXPECT_EQ(at(c, 110, 210), 1) << "the sharp roof";
  EXPECT_EQ(at(k, 110, 210), 1) << "candidates: the change value alone";
  EXPECT_EQ(at(c, 200, 200), 255) << "the shadow";
  EXPECT_EQ(at(k, 200, 200), 0);
  EXPECT_EQ(at(c, 30, 30), 1) << "the pond: too far from the cloud to be its shadow";
  EXPECT_EQ(at(c, 260, 160), 1) << "the pond beside it: no ground pattern shows through";
  EXPECT_EQ(scr.clouds, 1);
  EXPECT_EQ(scr.shadows, 1);
  EXPECT_EQ(scr.pixels[0], 0);
  EXPECT_EQ(scr.pixels[1], cloud + shadow);
  EXPECT_EQ(counts[255], cloud + shadow);
  EXPECT_EQ(counts[1], 1200);
}

TEST(ChangeSieve, ACloudsCoreTheRulesTookOutIsJudgedWithItsThinEdgeAndStaysNoData) {
  // Reflectance data: the land-use rules call a cloud's bright core cloud (no data in
  // change.tif; its candidates carry only sky bits, io::is_sky_only) and its thin edge change.
  // The edge alone, a ring about 22 pixels wide whose outer half is too thin to look white, has
  // fewer than half its pixels cloud: no cloud. Judged with its core (which straddles row 256,
  // where the sieve's row chunks meet), the whole is a soft-edged cloud and the ring becomes no
  // data too. A sharp white roof beside it, cored the same way, stays change, and its core stays
  // no data. Sky-only pixels never count towards a change region's size or seeds: a second
  // cloud's core whose only changed pixels are a seeded fragment of 4 pixels loses the fragment
  // to the size rule, and that cloud, which took nothing out, is not counted.
  io::setup_gdal(nullptr);
  test::TempDir d;
  const int w = 300, h = 330;
  const std::size_t n = std::size_t(w) * h;
  std::vector<double> change(n, 0), cand(n, 0), bright(n, 0);
  const double sky_only = kCloudLater << io::kSkyShift;
  const int edge_bits = io::kSeedBit | 1;  // the thinnest cloud: not white enough to flag
  const int thin_bits = (kCloudLater << io::kSkyShift) | edge_bits;
  std::int64_t ring = 0;
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      const std::size_t i = std::size_t(r) * w + c;
      const double d2 = (r - 256.0) * (r - 256.0) + (c - 90.0) * (c - 90.0);
      const double haze = 0.4 * std::exp(-d2 / 800.0);
      const double d2b = (r - 60.0) * (r - 60.0) + (c - 60.0) * (c - 60.0);
      const double haze_b = 0.4 * std::exp(-d2b / 200.0);
      if (haze > 0.2) {  // the core, the rules' cloud
        change[i] = 255, cand[i] = sky_only, bright[i] = haze;
      } else if (haze > 0.03) {
        change[i] = 1, cand[i] = haze > 0.08 ? thin_bits : edge_bits, bright[i] = haze, ++ring;
      } else if (r >= 140 && r < 160 && c >= 200 && c < 240) {  // the roof: core and rim
        const bool core = r >= 142 && r < 158 && c >= 202 && c < 238;
        change[i] = core ? 255 : 1, cand[i] = core ? sky_only : edge_bits, bright[i] = 0.3;
      } else if (haze_b > 0.03) {  // the second cloud: all core but a fragment on its edge
        const bool fragment = r >= 60 && r < 62 && c >= 78 && c < 80;
        change[i] = fragment ? 1 : 255, cand[i] = fragment ? edge_bits : sky_only;
        bright[i] = haze_b;
      }
    }
  io::CloudScreening scr =
      screening_over(d, write_change_and_candidates(d, w, h, change, cand), bright);
  const auto counts = io::sieve_change(d / "change.tif", d / "cand.tif",
                                       {.min_pixels = 9, .need_seed = true, .screening = &scr});
  const auto c = test::read_band(d / "change.tif"), k = test::read_band(d / "cand.tif");
  auto at = [&](const std::vector<double>& v, int r, int col) {
    return v[std::size_t(r) * w + col];
  };
  EXPECT_EQ(at(c, 256 - 25, 90), 255) << "the thin edge above row 256, judged with its core";
  EXPECT_EQ(at(c, 256 + 25, 90), 255) << "the thin edge below row 256";
  EXPECT_EQ(at(c, 256, 90 + 25), 255);
  EXPECT_EQ(at(c, 141, 220), 1) << "the roof's rim";
  EXPECT_EQ(at(k, 150, 220), 0) << "candidates: no sky bits left";
  EXPECT_EQ(at(c, 60, 78), 0) << "the fragment: under 9 pixels without the core";
  EXPECT_EQ(scr.clouds, 1);
  EXPECT_EQ(scr.shadows, 0);
  EXPECT_EQ(scr.pixels[1], ring);
  EXPECT_EQ(counts[1], 20 * 40 - 16 * 36);

  // Without its core the ring is not a cloud: under half of it looks like cloud.
  for (std::size_t i = 0; i < n; ++i)
    if (cand[i] == sky_only) cand[i] = 0;
  write_change_and_candidates(d, w, h, change, cand);
  io::CloudScreening alone = scr;
  io::sieve_change(d / "change.tif", d / "cand.tif",
                   {.min_pixels = 9, .need_seed = true, .screening = &alone});
  EXPECT_EQ(alone.clouds, 0);
  EXPECT_EQ(test::read_band(d / "change.tif")[std::size_t(256) * w + 90 + 25], 1);
}

TEST(ChangeSieve, ARegionTheSeasonExplainsGoesButARoofBesideItAndAMixedSiteStay) {
  io::setup_gdal(nullptr);
  test::TempDir d;
  const int n = 60;
  std::vector<double> change(std::size_t(n) * n, 0), cand(change.size(), 0);
  const double seed = io::kSeedBit;
  auto fill = [&](int r0, int r1, int c0, int c1, double bits) {
    for (int r = r0; r < r1; ++r)
      for (int c = c0; c < c1; ++c) {
        change[std::size_t(r) * n + c] = 3;
        cand[std::size_t(r) * n + c] = 3 + bits;
      }
  };
  // A field that turned with the season (20 x 20), a two-pixel fragment inside it that is not
  // seasonal, and a roof (6 x 6) beside it: one region, 91 % seasonal.
  fill(5, 25, 5, 25, io::kSeasonalBit + seed);
  fill(15, 16, 15, 17, 0);
  fill(5, 11, 25, 31, seed);
  // A site half soil (seasonal), half paved, on its own: half seasonal, so change.
  fill(40, 50, 5, 10, io::kSeasonalBit);
  fill(40, 50, 10, 15, seed);
  // A region of pixels that look like shadow: the bit is the shadow's pattern, not the season.
  fill(40, 50, 40, 50, io::kPatternKeptBit + (kShadowLater << io::kSkyShift) + seed);
  write_change_and_candidates(d, n, n, change, cand);
  io::SeasonalExclusion seasonal;
  const auto counts = io::sieve_change(d / "change.tif", d / "cand.tif",
                                       {.min_pixels = 9, .need_seed = true, .seasonal = &seasonal});
  const auto c = test::read_band(d / "change.tif");
  auto at = [&](int r, int col) { return c[std::size_t(r) * n + col]; };
  EXPECT_EQ(at(10, 10), 0) << "the field is the season";
  EXPECT_EQ(at(15, 15), 0) << "a fragment of the field stays with it";
  EXPECT_EQ(at(7, 27), 3) << "the roof beside the field is change";
  EXPECT_EQ(at(45, 6), 3) << "the soil half of a site with paving is change";
  EXPECT_EQ(at(45, 12), 3);
  EXPECT_EQ(at(45, 45), 3) << "shadow-like pixels are not seasonal";
  EXPECT_EQ(seasonal.regions, 1);
  EXPECT_EQ(seasonal.pixels, 400);
  EXPECT_EQ(counts[3], 36 + 100 + 100);
  // Without the exclusion, the field stays change.
  write_change_and_candidates(d, n, n, change, cand);
  io::sieve_change(d / "change.tif", d / "cand.tif", {.min_pixels = 9, .need_seed = true});
  EXPECT_EQ(test::read_band(d / "change.tif")[10 * n + 10], 3);
}

namespace {
/// A scene for the sieve with everything it decides on, much of it across the edges of cells of
/// 64 pixels: soft clouds (cores the rules took out among them) and the shadows near them,
/// sharp roofs as bright, ponds, fields the season explains beside roofs, unseeded regions and
/// scattered noise; each drawn at random from `seed`.
struct SieveScene {
  int w = 301, h = 263;
  std::vector<double> change, cand, bright;
  explicit SieveScene(unsigned seed) {
    const std::size_t n = std::size_t(w) * h;
    change.assign(n, 0), cand.assign(n, 0), bright.assign(n, 0);
    std::mt19937 rng(seed);
    auto uni = [&](double a, double b) {
      return std::uniform_real_distribution<double>(a, b)(rng);
    };
    const double seed_bit = io::kSeedBit;
    auto set = [&](int r, int c, double v, double bits, double b) {
      if (r < 0 || r >= h || c < 0 || c >= w) return;
      const std::size_t i = std::size_t(r) * w + c;
      change[i] = v, cand[i] = bits, bright[i] = b;
    };
    for (int k = 0; k < 4; ++k) {  // clouds, their shadows and cores, of either date
      const int date = k % 2;
      const double cr = uni(40, 220), cc = uni(40, 260), s2 = uni(60, 260);
      const double sr = cr + uni(-60, 60), sc = cc + uni(-60, 60);
      for (int r = 0; r < h; ++r)
        for (int c = 0; c < w; ++c) {
          const double haze = 0.25 * std::exp(-((r - cr) * (r - cr) + (c - cc) * (c - cc)) / s2);
          const double dark = 0.15 * std::exp(-((r - sr) * (r - sr) + (c - sc) * (c - sc)) / s2);
          const double cloud = (date ? kCloudLater : kCloudEarlier) << io::kSkyShift;
          const double shadow = (date ? kShadowLater : kShadowEarlier) << io::kSkyShift;
          if (haze > 0.2)  // the core: no data, sky bits alone
            set(r, c, 255, cloud, haze);
          else if (haze > 0.03)
            set(r, c, 1, cloud + seed_bit + 1, haze);
          else if (dark > 0.03)
            set(r, c, 1, shadow + io::kPatternKeptBit + seed_bit + 1, -dark);
        }
    }
    for (int k = 0; k < 14; ++k) {  // roofs, ponds, fields with the season, unseeded regions
      const int r0 = int(uni(0, h - 10)), c0 = int(uni(0, w - 10));
      const int rh = int(uni(3, 30)), cw = int(uni(3, 30)), kind = k % 4;
      for (int r = r0; r < r0 + rh; ++r)
        for (int c = c0; c < c0 + cw; ++c) {
          if (kind == 0) set(r, c, 1, ((kCloudLater << io::kSkyShift) | 1) + seed_bit, 0.2);
          if (kind == 1) set(r, c, 2, ((kShadowEarlier << io::kSkyShift) | 2) + seed_bit, -0.1);
          if (kind == 2)
            set(r, c, 3, 3 + io::kSeasonalBit + (c % 7 ? seed_bit : 0), uni(-0.1, 0.1));
          if (kind == 3) set(r, c, 1, 1, 0.05);
        }
    }
    for (int k = 0; k < 600; ++k)  // noise: seeded single pixels and pairs
      set(int(uni(0, h)), int(uni(0, w)), 1, 1 + seed_bit, uni(-0.2, 0.2));
    // Regions 8-connected only diagonally across cells' edges (through a corner of four
    // cells, across a side): 10 pixels on a diagonal, 5 in each of two cells (under the
    // minimum of 9 apart), alone.
    const int chains[4][3] = {{64, 64, 1}, {128, 191, -1}, {101, 64, 1}, {128, 101, -1}};
    for (const auto& [r0, c0, dir] : chains)
      for (int k = -8; k < 8; ++k)
        for (int e = -3; e <= 3; ++e) set(r0 + k, c0 + dir * k + e, 0, 0, 0);
    for (const auto& [r0, c0, dir] : chains)
      for (int k = -5; k < 5; ++k) set(r0 + k, c0 + dir * k, 2, 2 + seed_bit, 0.1);
  }
};

/// What one sieve made of a scene: its rasters and what it counted.
struct SieveResult {
  std::vector<double> change, cand;
  std::array<std::int64_t, 256> counts{};
  std::array<std::int64_t, 2> screened{};
  int clouds = 0, shadows = 0, seasonal_regions = 0;
  std::int64_t seasonal_pixels = 0;
  /// The judged regions' measures and verdicts, as numbers.
  std::vector<std::vector<double>> regions;
  bool operator==(const SieveResult&) const = default;
};

/// Writes `v` (a scene's band) as a raster of its grid.
void write_band(const std::filesystem::path& path, const SieveScene& s,
                std::vector<std::vector<double>> bands, GDALDataType type) {
  test::RasterSpec spec;
  spec.width = s.w, spec.height = s.h, spec.type = type, spec.bands = std::move(bands);
  test::write_raster(path, spec);
}

/// Sieves the scene in `dir` with the lattice `cell` and, with `cell_sky`, the shards' tables.
SieveResult sieve_scene(const std::filesystem::path& dir, const SieveScene& s, int cell,
                        const std::vector<std::string>& cell_sky) {
  write_band(dir / "change.tif", s, {s.change}, GDT_Byte);
  write_band(dir / "cand.tif", s, {s.cand}, GDT_Byte);
  write_band(dir / "delta.tif", s, {s.bright, s.bright, s.bright}, GDT_Float32);
  io::CloudScreening scr;
  scr.change_vector = dir / "delta.tif";
  scr.blue_band = 1, scr.green_band = 2, scr.red_band = 3;
  scr.max_shadow_distance_px = 120;
  scr.min_cloud_pixels = 30;
  io::SeasonalExclusion seasonal;
  io::ChangeSieveRules rules{.min_pixels = 9,
                             .need_seed = true,
                             .screening = &scr,
                             .seasonal = &seasonal,
                             .cell = cell,
                             .cell_sky = cell_sky};
  SieveResult out;
  out.counts = io::sieve_change(dir / "change.tif", dir / "cand.tif", rules);
  out.change = test::read_band(dir / "change.tif");
  out.cand = test::read_band(dir / "cand.tif");
  out.screened = scr.pixels, out.clouds = scr.clouds, out.shadows = scr.shadows;
  out.seasonal_regions = seasonal.regions, out.seasonal_pixels = seasonal.pixels;
  for (std::size_t k = 0; k < scr.regions.size(); ++k) {
    const ChangeRegionSky& g = scr.regions[k];
    out.regions.push_back({double(g.pixels), double(g.flagged[0]), double(g.flagged[1]),
                           double(g.flagged[2]), double(g.flagged[3]), double(g.pattern_kept),
                           double(g.boundary), g.boundary_gradient, g.brightening, g.outside,
                           double(g.outside_pixels), g.row_sum, g.col_sum,
                           double(scr.verdicts[k].kind), double(scr.verdicts[k].date)});
  }
  return out;
}
}  // namespace

TEST(ChangeSieve, TheSameRegionsAndVerdictsWhateverTheCellsAndTheShards) {
  // One machine sieves the whole grid; a merge sieves cells of 64 pixels, reading the change
  // vector itself or taking what three shards measured of their cells (each shard's rasters
  // hold other values outside its cells: another shard's to make). Every way gives the same
  // bytes, counts and verdicts, on scenes whose regions, clouds and shadows cross the cells'
  // edges.
  io::setup_gdal(nullptr);
  int clouds = 0, shadows = 0, seasonal = 0;
  for (unsigned seed : {1u, 2u, 3u, 4u}) {
    SCOPED_TRACE("scene " + std::to_string(seed));
    const SieveScene scene(seed);
    test::TempDir d;
    std::filesystem::create_directories(d / "one");
    const SieveResult one = sieve_scene(d / "one", scene, 0, {});
    std::filesystem::create_directories(d / "cells");
    EXPECT_TRUE(sieve_scene(d / "cells", scene, 64, {}) == one) << "cells, the vector read whole";
    const int cell = 64, cols = (scene.w + cell - 1) / cell;
    std::vector<std::string> tables;
    std::mt19937 rng(seed);
    for (int k = 0; k < 3; ++k) {
      const std::filesystem::path dir = d / ("shard" + std::to_string(k));
      std::filesystem::create_directories(dir);
      SieveScene mine = scene;
      std::vector<Window> cells;
      for (int r = 0; r < scene.h; r += cell)
        for (int c = 0; c < scene.w; c += cell) {
          const int index = (r / cell) * cols + c / cell;
          if ((index * 7 + 3) % 3 == k)
            cells.push_back({c, r, std::min(cell, scene.w - c), std::min(cell, scene.h - r)});
        }
      for (int r = 0; r < scene.h; ++r)
        for (int c = 0; c < scene.w; ++c) {
          bool inside = false;
          for (const Window& x : cells)
            inside =
                inside || (r >= x.row && r < x.row + x.height && c >= x.col && c < x.col + x.width);
          if (inside) continue;
          const std::size_t i = std::size_t(r) * scene.w + c;
          mine.change[i] = double(rng() % 4);
          mine.cand[i] = double(rng() % 256);
          mine.bright[i] = double(rng() % 100) / 100.0;
        }
      write_band(dir / "change.tif", mine, {mine.change}, GDT_Byte);
      write_band(dir / "cand.tif", mine, {mine.cand}, GDT_Byte);
      write_band(dir / "delta.tif", mine, {mine.bright, mine.bright, mine.bright}, GDT_Float32);
      io::CloudScreening scr;
      scr.change_vector = dir / "delta.tif";
      scr.blue_band = 1, scr.green_band = 2, scr.red_band = 3;
      tables.push_back(dir / "change_sky.bin");
      io::measure_cell_sky(dir / "change.tif", dir / "cand.tif", scr, cells, tables.back());
    }
    std::filesystem::create_directories(d / "merge");
    const SieveResult merged = sieve_scene(d / "merge", scene, 64, tables);
    EXPECT_TRUE(merged == one) << "the shards' tables";
    EXPECT_EQ(merged.clouds, one.clouds);
    EXPECT_EQ(merged.counts[255], one.counts[255]);
    clouds += one.clouds, shadows += one.shadows, seasonal += one.seasonal_regions;
    for (const auto& [r, c] : {std::pair{62, 62}, {126, 193}, {99, 62}, {126, 103}})
      EXPECT_EQ(one.change[std::size_t(r) * scene.w + c], 2)
          << "joined diagonally: " << r << "," << c;
    // A table cut short is the shard's to redo.
    std::filesystem::resize_file(tables[1], std::filesystem::file_size(tables[1]) - 5);
    EXPECT_THROW(sieve_scene(d / "merge", scene, 64, tables), DamagedFileError);
  }
  // The scenes hold what the test is about.
  EXPECT_GE(clouds, 3);
  EXPECT_GE(shadows, 1);
  EXPECT_GE(seasonal, 2);
}
