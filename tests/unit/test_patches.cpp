// Change patches (图斑) in a sharded run: the merge takes what the shards measured of their
// cells' patches only where it would measure the same.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <tuple>

#include "farmwatch/core/error.h"
#include "farmwatch/io/gdal_setup.h"
#include "farmwatch/io/patches.h"
#include "farmwatch/io/raster_writer.h"
#include "test_support.h"

using namespace farmwatch;

namespace {
constexpr std::uint8_t kCrop = 1, kBare = 2, kOrchard = 3, kBuilt = 7;
constexpr int kCell = 64;

ClassTable patch_classes() {
  ClassTable t;
  for (auto [code, key] :
       {std::pair{kCrop, "crop"}, {kBare, "bare"}, {kOrchard, "orchard"}, {kBuilt, "built"}})
    t.add({code, key, key, "", "", {}, true});
  return t;
}

/// A scene of change patches of the three categories, many across the edges of cells of 64
/// pixels, touching each other, over noise specks; classes, evidence, the change vector and
/// parcels drawn at random from `seed`.
struct PatchScene {
  int w = 197, h = 171;
  std::vector<double> change, before, after, evidence, parcels;
  std::vector<std::vector<double>> delta{3};
  explicit PatchScene(unsigned seed) {
    const std::size_t n = std::size_t(w) * h;
    change.assign(n, 0), before.assign(n, kCrop), after.assign(n, kCrop);
    evidence.assign(n, 0), parcels.assign(n, 0);
    for (auto& b : delta) b.assign(n, 0);
    std::mt19937 rng(seed);
    auto uni = [&](double a, double b) {
      return std::uniform_real_distribution<double>(a, b)(rng);
    };
    for (std::size_t i = 0; i < n; ++i) {
      for (auto& b : delta) b[i] = uni(-0.05, 0.05);
      evidence[i] = std::floor(uni(0, 30));
      parcels[i] = (i / 9) % 5 ? double(1 + i % 3) : 0;
    }
    for (int k = 0; k < 45; ++k) {
      const int r0 = int(uni(0, h - 4)), c0 = int(uni(0, w - 4));
      const int rh = int(uni(2, 22)), cw = int(uni(2, 22));
      const int cat = 1 + k % 3;
      const double dir[3] = {uni(-1, 1), uni(-1, 1), uni(-1, 1)};
      const std::uint8_t to = cat == 1 ? kBuilt : cat == 2 ? kOrchard : kBare;
      for (int r = r0; r < std::min(h, r0 + rh); ++r)
        for (int c = c0; c < std::min(w, c0 + cw); ++c) {
          const std::size_t i = std::size_t(r) * w + c;
          change[i] = uni(0, 1) < 0.03 ? 0 : cat;  // a few holes
          after[i] = uni(0, 1) < 0.8 ? to : kBare;
          evidence[i] = std::floor(uni(40, 100));
          for (int b = 0; b < 3; ++b) delta[b][i] = dir[b] * uni(0.6, 1.2);
        }
      // A rim of mixed pixels: half the change, no candidate (refinement decides).
      for (int r = r0 - 1; r <= r0 + rh; ++r)
        for (int c : {c0 - 1, c0 + cw})
          if (r >= 0 && r < h && c >= 0 && c < w)
            for (int b = 0; b < 3; ++b) delta[b][std::size_t(r) * w + c] = dir[b] * uni(0.3, 0.8);
    }
    for (int k = 0; k < 300; ++k)  // specks, and pixels of no data
      change[std::size_t(uni(0, h)) * w + std::size_t(uni(0, w))] = k % 10 ? 1 + k % 3 : 255;
  }
  std::vector<double> candidates() const {
    std::vector<double> c = change;
    for (auto& v : c)
      if (v > 3) v = 0;
    return c;
  }
};

/// The scene with the change pixels `drop(value, its 4-neighbours' values)` chooses set to 0
/// (as a sieve removes them), and how many.
template <class Drop>
std::pair<PatchScene, std::size_t> without(const PatchScene& s, const Drop& drop) {
  PatchScene out = s;
  std::size_t n = 0;
  std::vector<double> next;
  for (int r = 0; r < s.h; ++r)
    for (int c = 0; c < s.w; ++c) {
      next.clear();
      for (auto [dr, dc] : {std::pair{-1, 0}, {1, 0}, {0, -1}, {0, 1}})
        if (r + dr >= 0 && r + dr < s.h && c + dc >= 0 && c + dc < s.w)
          next.push_back(s.change[std::size_t(r + dr) * s.w + c + dc]);
      const std::size_t i = std::size_t(r) * s.w + c;
      if (drop(s.change[i], next)) out.change[i] = 0, ++n;
    }
  return {out, n};
}

void write(const std::filesystem::path& path, const PatchScene& s,
           std::vector<std::vector<double>> bands, GDALDataType type,
           std::optional<double> nodata = std::nullopt) {
  test::RasterSpec spec;
  spec.width = s.w, spec.height = s.h, spec.type = type, spec.bands = std::move(bands);
  spec.has_nodata = nodata.has_value(), spec.nodata = nodata.value_or(0);
  test::write_raster(path, spec);
}

/// The scene's rasters in `dir`; with `keep` (a cell lattice's cells a shard owns), every pixel
/// outside them is garbage, as in a shard's own grid-sized rasters.
io::PatchInputs write_scene(const std::filesystem::path& dir, PatchScene s,
                            const std::vector<Window>* keep, unsigned garbage_seed) {
  std::filesystem::create_directories(dir);
  if (keep) {
    std::mt19937 rng(garbage_seed);
    for (int r = 0; r < s.h; ++r)
      for (int c = 0; c < s.w; ++c) {
        bool in = false;
        for (const Window& k : *keep) in = in || k.intersect({c, r, 1, 1}).pixels() == 1;
        if (in) continue;
        const std::size_t i = std::size_t(r) * s.w + c;
        s.change[i] = double(rng() % 4), s.before[i] = kBuilt, s.after[i] = kOrchard;
        s.evidence[i] = 99, s.parcels[i] = 0;
        for (auto& b : s.delta) b[i] = 3;
      }
  }
  write((dir / "change.tif").string(), s, {s.change}, GDT_Byte, 255);
  write((dir / "cand.tif").string(), s, {s.candidates()}, GDT_Byte, 0);
  write((dir / "before.tif").string(), s, {s.before}, GDT_Byte);
  write((dir / "after.tif").string(), s, {s.after}, GDT_Byte);
  write((dir / "evidence.tif").string(), s, {s.evidence}, GDT_Byte);
  write((dir / "parcels.tif").string(), s, {s.parcels}, GDT_UInt32);
  write((dir / "delta.tif").string(), s, s.delta, GDT_Float32);
  io::PatchInputs in;
  in.grid = io::BlockRasterReader((dir / "change.tif").string()).grid();
  in.candidates = (dir / "cand.tif").string();
  in.change = (dir / "change.tif").string();
  in.before_classes = (dir / "before.tif").string();
  in.after_classes = (dir / "after.tif").string();
  in.evidence = (dir / "evidence.tif").string();
  in.parcels = (dir / "parcels.tif").string();
  in.delta = (dir / "delta.tif").string();
  in.id_prefix = "FW20240820";
  in.scratch_dir = dir.string();
  return in;
}

/// Every field a patch reports, for comparing.
auto fields(const Patch& p) {
  return std::tuple(p.id, p.category, p.class_before, p.class_after, p.area_m2, p.area_mu,
                    p.centroid_x, p.centroid_y, p.centroid_lon, p.centroid_lat, p.farmland_share,
                    p.confidence, p.pixels, p.wkb, p.wkb_lonlat);
}

struct Measured {
  std::vector<decltype(fields(Patch{}))> patches;
  std::vector<double> change;
  std::size_t taken = 0, refined = 0, dropped = 0;
};

Measured extract(io::PatchInputs in, const ChangeRules& rules, const ClassTable& classes,
                 const std::vector<std::string>& tables = {}) {
  in.rules = &rules;
  in.classes = &classes;
  in.measured = tables;
  const io::PatchResult r = io::extract_patches(in, Log());
  Measured m;
  for (const Patch& p : r.patches) m.patches.push_back(fields(p));
  m.change = test::read_band(in.change);
  m.taken = r.taken, m.refined = r.refined, m.dropped = r.dropped_below_min_area;
  return m;
}
}  // namespace

TEST(Patches, AMergeTakesItsShardsMeasurementsOnlyWhereItWouldMeasureTheSame) {
  io::setup_gdal(nullptr);
  const ClassTable classes = patch_classes();
  ChangeRules rules;
  for (auto c :
       {ChangeCategory::non_agricultural, ChangeCategory::non_grain, ChangeCategory::other})
    rules.set_min_area_m2(c, 1000);  // 10 pixels: a lone pixel cannot reach it
  for (unsigned seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    test::TempDir d;
    PatchScene scene(seed);
    // Three shards own the cells of 64 pixels, dealt scattered; each measures its own.
    std::vector<std::vector<Window>> owned(3);
    for (int r = 0, k = 0; r < scene.h; r += kCell)
      for (int c = 0; c < scene.w; c += kCell, ++k)
        owned[std::size_t(k * 7 % 3)].push_back(
            {c, r, std::min(kCell, scene.w - c), std::min(kCell, scene.h - r)});
    std::vector<std::string> tables;
    for (std::size_t k = 0; k < owned.size(); ++k) {
      const std::filesystem::path dir = d / ("shard" + std::to_string(k));
      io::PatchInputs in = write_scene(dir, scene, &owned[k], seed * 10 + unsigned(k));
      in.rules = &rules, in.classes = &classes;
      tables.push_back((dir / "patches.bin").string());
      io::measure_cell_patches(in, owned[k], tables.back(), Log());
    }
    // A scene as one machine measures it, and as a merge with the shards' tables.
    auto one_and_merged = [&](const std::string& name, const PatchScene& s, const ChangeRules& r) {
      return std::pair{
          extract(write_scene(d / ("one_" + name), s, nullptr, 0), r, classes),
          extract(write_scene(d / ("merge_" + name), s, nullptr, 0), r, classes, tables)};
    };
    // The merge's own rasters as one machine makes them: measured, and with the tables.
    const auto [one, merged] = one_and_merged("scene", scene, rules);
    ASSERT_GT(one.patches.size(), 20u);
    EXPECT_GT(one.refined, 10u);
    EXPECT_TRUE(merged.patches == one.patches);
    EXPECT_EQ(merged.change, one.change);
    EXPECT_EQ(merged.refined, one.refined);
    EXPECT_EQ(merged.dropped, one.dropped);
    EXPECT_GT(merged.taken, one.patches.size() / 2);  // most lie within a shard's cells
    EXPECT_EQ(one.taken, 0u);

    // The merge's sieve removed what touches some patches (every pixel of category 3 that
    // lies next to one of category 1 or 2, the pixels its region joined): those patches are
    // measured again, since refinement may now grow into the freed pixels.
    const auto [sieved, removed] = without(scene, [](double v, const std::vector<double>& next) {
      return v == 3 &&
             std::any_of(next.begin(), next.end(), [](double n) { return n == 1 || n == 2; });
    });
    ASSERT_GT(removed, 10u);
    const auto [one_sieved, merged_sieved] = one_and_merged("sieved", sieved, rules);
    EXPECT_FALSE(one_sieved.patches == one.patches);
    EXPECT_TRUE(merged_sieved.patches == one_sieved.patches);
    EXPECT_EQ(merged_sieved.change, one_sieved.change);
    EXPECT_LT(merged_sieved.taken, merged.taken);

    // The sieve removed only specks that touch no other change (no 4-neighbour changed), some
    // of them in the windows of patches: the measurements the shards made still hold, but where
    // a speck lay beside a pixel that may join a patch (it could have taken that pixel too, so
    // the pixel did not join), which are measured again.
    const auto [despeckled, specks] = without(scene, [](double v, const std::vector<double>& next) {
      return v >= 1 && v <= 3 &&
             std::none_of(next.begin(), next.end(), [](double n) { return n >= 1 && n <= 3; });
    });
    ASSERT_GT(specks, 100u);
    const auto [one_despeckled, merged_despeckled] =
        one_and_merged("despeckled", despeckled, rules);
    EXPECT_TRUE(merged_despeckled.patches == one_despeckled.patches);
    EXPECT_EQ(merged_despeckled.change, one_despeckled.change);
    EXPECT_LE(merged_despeckled.taken, merged.taken);
    EXPECT_GT(merged_despeckled.taken, merged.taken * 2 / 3);

    // Tables measured under other rules (a larger minimum area) are left out, not trusted.
    ChangeRules larger = rules;
    for (auto c :
         {ChangeCategory::non_agricultural, ChangeCategory::non_grain, ChangeCategory::other})
      larger.set_min_area_m2(c, 5000);
    const auto [one_larger, merged_larger] = one_and_merged("larger", scene, larger);
    EXPECT_TRUE(merged_larger.patches == one_larger.patches);
    EXPECT_FALSE(one_larger.patches == one.patches);
    EXPECT_EQ(merged_larger.taken, 0u);

    // A table cut short is a damaged shard result, named.
    const auto size = std::filesystem::file_size(tables[1]);
    std::filesystem::resize_file(tables[1], size - 7);
    try {
      extract(write_scene(d / "merge_damaged", scene, nullptr, 0), rules, classes, tables);
      ADD_FAILURE() << "a cut table was read";
    } catch (const DamagedFileError& e) {
      EXPECT_EQ(e.file(), tables[1]);
    }
  }
}
