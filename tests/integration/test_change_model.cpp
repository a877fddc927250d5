// A change model an office trains on its own labels (farmwatch train --before/--after) and gives
// to farmwatch change --model: it learns a change the building method does not report (fields
// dug up to bare soil, no building), finds it on a pair it was not trained on, the same bytes for
// any thread count; wrong inputs are refused with the option or file named.
#include <gdal_priv.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <fstream>
#include <optional>
#include <random>

#include "farmwatch/core/vhr_change_model.h"

#include "test_support.h"

namespace fs = std::filesystem;
using namespace farmwatch;

namespace {

/// A generated pair of 0.5 m RGB photos of green crops with texture, the later date under another
/// colour balance and fresh sensor noise, where three fields (rectangles of 24-44 px) were dug up
/// to brown soil; `truth` is 255 on them.
struct DugPair {
  int width = 192, height = 192;
  std::vector<std::vector<double>> before, after;
  std::vector<double> truth;
};

DugPair make_dug_pair(unsigned seed) {
  DugPair p;
  std::mt19937 rng(seed);
  std::normal_distribution<double> texture(0, 10), noise(0, 4);
  std::uniform_int_distribution<int> size(24, 44), place(4, 140);
  const std::size_t n = std::size_t(p.width) * p.height;
  p.before.assign(3, std::vector<double>(n));
  p.after.assign(3, std::vector<double>(n));
  p.truth.assign(n, 0);
  for (int k = 0; k < 3; ++k) {
    const int w = size(rng), h = size(rng), c0 = place(rng), r0 = place(rng);
    for (int r = r0; r < std::min(p.height, r0 + h); ++r)
      for (int c = c0; c < std::min(p.width, c0 + w); ++c)
        p.truth[std::size_t(r) * p.width + c] = 255;
  }
  const double crop[3] = {70, 130, 55}, soil[3] = {150, 112, 82};
  for (std::size_t i = 0; i < n; ++i) {
    const int row = int(i / std::size_t(p.width));
    // Crop rows: a stripe every 6 pixels, and each pixel's own texture.
    const double stripe = (row % 6 < 2) ? -12 : 0, t = texture(rng);
    for (int b = 0; b < 3; ++b) {
      p.before[b][i] = std::clamp(crop[b] + stripe + t, 0.0, 255.0);
      const double later = p.truth[i] ? soil[b] + 0.5 * t : crop[b] + stripe + t;
      // The later date: 10 % brighter, a little warmer, its own noise.
      p.after[b][i] = std::clamp(later * 1.1 + (b == 0 ? 6 : 0) + noise(rng), 0.0, 255.0);
    }
  }
  return p;
}

struct PairFiles {
  std::string before, after, labels;
};

PairFiles write_pair(const test::TempDir& dir, const DugPair& p, const std::string& name) {
  PairFiles f{dir / (name + "_A.png"), dir / (name + "_B.png"), dir / (name + "_label.png")};
  test::write_png(f.before, p.width, p.height, p.before);
  test::write_png(f.after, p.width, p.height, p.after);
  test::write_png(f.labels, p.width, p.height, {p.truth});
  return f;
}

/// Pixel F1 of change.tif's change (1-3) against `truth` (> 0).
double f1_of(const std::string& change_tif, const std::vector<double>& truth) {
  const auto c = test::read_band(change_tif);
  double tp = 0, fp = 0, fn = 0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    const bool found = c[i] >= 1 && c[i] <= 3, real = truth[i] > 0;
    tp += found && real;
    fp += found && !real;
    fn += !found && real;
  }
  return tp == 0 ? 0 : 2 * tp / (2 * tp + fp + fn);
}

}  // namespace

TEST(ChangeModel, LearnsFromAnOfficesLabelsAChangeTheBuildingMethodDoesNotReport) {
  test::TempDir dir;
  const auto one = write_pair(dir, make_dug_pair(1), "one");
  const auto two = write_pair(dir, make_dug_pair(2), "two");
  const DugPair held = make_dug_pair(3);
  const auto three = write_pair(dir, held, "three");
  const std::string model = dir / "change_model.yml";
  auto r = test::run_cli({"train", "--before", one.before, "--after", one.after, "--labels",
                          one.labels, "--before", two.before, "--after", two.after, "--labels",
                          two.labels, "--out", model, "--max-per-class", "3000"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("2 classes"), std::string::npos) << r.output;
  EXPECT_NE(test::read_text(model).find("kind: vhr_change"), std::string::npos);

  // The building method alone: dug soil is no building, and not greyer than the scene.
  r = test::run_cli({"change", "--before", three.before, "--after", three.after, "--out",
                     dir / "method", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const double method_f1 = f1_of(dir / "method/change.tif", held.truth);
  EXPECT_LT(method_f1, 0.5);

  // With the model: the held-out pair's dug fields, as land changed (other change).
  const std::string out = dir / "learned";
  r = test::run_cli({"change", "--before", three.before, "--after", three.after, "--model", model,
                     "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const double learned_f1 = f1_of(out + "/change.tif", held.truth);
  EXPECT_GT(learned_f1, 0.8) << "the building method alone: " << method_f1;
  const auto s = nlohmann::json::parse(test::read_text(out + "/summary.json"));
  EXPECT_EQ(s["method"]["change_model"]["file"], model);
  EXPECT_GE(s["changes"]["kinds"]["land_changed"]["patches"].get<int>(), 1) << s.dump(1);
  const auto csv = test::read_text(out + "/changes.csv");
  EXPECT_NE(csv.find("other_change,其他变化,地表变化,land_changed"), std::string::npos) << csv;

  // The same bytes whatever the thread count.
  for (const char* threads : {"1", "2"}) {
    const std::string o = dir / (std::string("t") + threads);
    ASSERT_EQ(test::run_cli({"change", "--before", three.before, "--after", three.after, "--model",
                             model, "--out", o, "--threads", threads, "-q"})
                  .exit_code,
              0);
    EXPECT_EQ(test::read_text(o + "/change.tif"), test::read_text(out + "/change.tif"));
    EXPECT_EQ(test::read_text(o + "/changes.csv"), csv);
  }
  // Training again on the same pairs writes the same model.
  ASSERT_EQ(test::run_cli({"train", "--before", one.before, "--after", one.after, "--labels",
                           one.labels, "--before", two.before, "--after", two.after, "--labels",
                           two.labels, "--out", dir / "again.yml", "--max-per-class", "3000",
                           "--threads", "1", "-q"})
                .exit_code,
            0);
  EXPECT_EQ(test::read_text(dir / "again.yml"), test::read_text(model));
}

TEST(ChangeModel, WrongInputsAreRefusedWithTheOptionOrFileNamed) {
  test::TempDir dir;
  const auto one = write_pair(dir, make_dug_pair(1), "one");
  const std::string model = dir / "m.yml";

  // Pairs need one --after and one --labels each.
  auto r = test::run_cli({"train", "--before", one.before, "--before", one.before, "--after",
                          one.after, "--labels", one.labels, "--out", model});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("one --after and one --labels per --before"), std::string::npos)
      << r.output;
  r = test::run_cli({"train", "--labels", one.labels, "--out", model});
  EXPECT_EQ(r.exit_code, 2) << r.output;

  // Labels of another size than the pair.
  const std::string small = dir / "small_label.png";
  test::write_png(small, 8, 8, {std::vector<double>(64, 255)});
  r = test::run_cli({"train", "--before", one.before, "--after", one.after, "--labels", small,
                     "--out", model});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("small_label.png"), std::string::npos) << r.output;

  // Labels without change: nothing to learn from.
  const std::string none = dir / "none.png";
  test::write_png(none, 192, 192, {std::vector<double>(192 * 192, 0)});
  r = test::run_cli({"train", "--before", one.before, "--after", one.after, "--labels", none,
                     "--out", model});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("no pixel of change"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(model));

  // A change model is no land-use model, and a file that is no model at all is named.
  ASSERT_EQ(test::run_cli({"train", "--before", one.before, "--after", one.after, "--labels",
                           one.labels, "--out", model, "--max-per-class", "500", "-q"})
                .exit_code,
            0);
  r = test::run_cli({"classify", "--model", model, "--in", test::sample("sample_20240315.tif"),
                     "--out", dir / "lu.tif"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("is a change model"), std::string::npos) << r.output;
  r = test::run_cli({"change", "--before", one.before, "--after", one.after, "--model",
                     one.labels, "--out", dir / "o"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("takes a change model here"), std::string::npos) << r.output;
  r = test::run_cli({"change", "--before", one.before, "--after", one.after, "--model",
                     dir / "missing.yml", "--out", dir / "o"});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("missing.yml"), std::string::npos) << r.output;

  // A damaged model (its forest cut short) is named, not an internal error.
  std::string text = test::read_text(model);
  const std::string damaged = dir / "damaged.yml";
  {
    std::ofstream f(damaged);
    f << text.substr(0, text.size() / 2);
  }
  r = test::run_cli({"change", "--before", one.before, "--after", one.after, "--model", damaged,
                     "--out", dir / "o"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("damaged.yml"), std::string::npos) << r.output;

  // A date with no data at all.
  const std::string empty = dir / "empty.png";
  test::write_png(empty, 192, 192,
                  {std::vector<double>(192 * 192, 0), std::vector<double>(192 * 192, 0),
                   std::vector<double>(192 * 192, 0), std::vector<double>(192 * 192, 0)});
  r = test::run_cli({"change", "--before", empty, "--after", one.after, "--model", model, "--out",
                     dir / "o"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.exit_code, 1) << r.output;
  EXPECT_FALSE(fs::exists(dir / "o"));
}

// A float pair with no georeference and an undeclared NaN: the NaN pixel is no data, not a
// change spreading through every window (the model finds what it finds without it).
TEST(ChangeModel, AnUndeclaredNanInAFloatPairIsNoData) {
  test::TempDir dir;
  const DugPair one = make_dug_pair(1), held = make_dug_pair(3);
  const auto files = write_pair(dir, one, "one");
  const std::string model = dir / "m.yml";
  ASSERT_EQ(test::run_cli({"train", "--before", files.before, "--after", files.after, "--labels",
                           files.labels, "--out", model, "--max-per-class", "2000", "-q"})
                .exit_code,
            0);
  auto write_float = [&](const std::string& path, std::vector<std::vector<double>> bands,
                         bool nan) {
    if (nan)
      for (auto& b : bands) b[std::size_t(held.width) * 100 + 100] = std::nan("");
    test::RasterSpec spec;
    spec.width = held.width;
    spec.height = held.height;
    spec.epsg = "";
    spec.no_geotransform = true;
    spec.bands = std::move(bands);
    test::write_raster(path, spec);
  };
  std::vector<double> share;
  for (bool nan : {false, true}) {
    const std::string tag = nan ? "nan" : "clean";
    write_float(dir / (tag + "_A.tif"), held.before, nan);
    write_float(dir / (tag + "_B.tif"), held.after, nan);
    const auto r = test::run_cli({"change", "--before", dir / (tag + "_A.tif"), "--after",
                                  dir / (tag + "_B.tif"), "--bands", "red=1,green=2,blue=3",
                                  "--model", model, "--out", dir / tag, "-q"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto c = test::read_band(dir / (tag + "/change.tif"));
    double changed = 0;
    for (double v : c) changed += v >= 1 && v <= 3;
    share.push_back(changed / double(c.size()));
  }
  EXPECT_GT(share[0], 0.02);
  EXPECT_LT(share[1], share[0] + 0.01) << "the NaN pixel spread change";
}

// Features computed tile by tile (and several tiles at once) equal one whole-image pass up to
// float rounding: the tiles' halos are wide enough.
TEST(ChangeModel, TilesOfFeaturesMatchTheWholeImage) {
  const int width = 300, height = 280;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(0, 255);
  RgbImage a, b;
  for (RgbImage* im : {&a, &b}) {
    im->width = width;
    im->height = height;
    for (auto* band : {&im->red, &im->green, &im->blue}) {
      band->resize(std::size_t(width) * height);
      for (auto& v : *band) v = u(rng);
    }
  }
  std::vector<std::int32_t> method(std::size_t(width) * height, 0);
  for (int r = 100; r < 180; ++r)
    for (int c = 230; c < 290; ++c) method[std::size_t(r) * width + c] = 1;
  const RgbStats sa = rgb_stats(a), sb = rgb_stats(b);
  const auto whole = vhr_change_features(a, b, sa, sb, method, 0.5, {0, 0, width, height});
  const std::size_t f = vhr_change_feature_names().size();
  ASSERT_EQ(whole.size(), std::size_t(width) * height * f);
  const auto tiles = vhr_change_tiles(width, height);
  ASSERT_EQ(tiles.size(), 4u);
  double worst = 0;
  for (const Window& w : tiles) {
    const auto x = vhr_change_features(a, b, sa, sb, method, 0.5, w);
    for (int r = 0; r < w.height; ++r)
      for (int c = 0; c < w.width; ++c)
        for (std::size_t k = 0; k < f; ++k) {
          const float t = x[(std::size_t(r) * w.width + c) * f + k];
          const float g = whole[(std::size_t(w.row + r) * width + w.col + c) * f + k];
          worst = std::max(worst, double(std::abs(t - g)) / (1.0 + std::abs(g)));
        }
  }
  EXPECT_LT(worst, 1e-3);
}

TEST(ChangeModel, APipelineOfOrthomosaicsTakesTheOfficesChangeModel) {
  // The office's model in a pipeline (change_model): two georeferenced 0.5 m orthomosaics of
  // the held-out pair go through `farmwatch run` and its dug fields are the run's patches,
  // other change of kind land_changed, as `farmwatch change --model` finds them.
  test::TempDir dir;
  const auto one = write_pair(dir, make_dug_pair(1), "one");
  const auto two = write_pair(dir, make_dug_pair(2), "two");
  const std::string model = dir / "change_model.yml";
  ASSERT_EQ(test::run_cli({"train", "--before", one.before, "--after", one.after, "--labels",
                           one.labels, "--before", two.before, "--after", two.after, "--labels",
                           two.labels, "--out", model, "--max-per-class", "3000", "-q"})
                .exit_code,
            0);
  const DugPair held = make_dug_pair(3);
  // A 0.5 m orthomosaic of `bands`, with an alpha band of `alpha` when given.
  auto ortho = [&](const std::string& name, const std::vector<std::vector<double>>& bands,
                   std::optional<double> alpha = std::nullopt) {
    test::RasterSpec s;
    s.width = held.width;
    s.height = held.height;
    s.res = 0.5;
    s.type = GDT_Byte;
    s.bands = bands;
    s.descriptions = {"red", "green", "blue"};
    if (alpha) {
      s.bands.push_back(std::vector<double>(std::size_t(held.width) * held.height, *alpha));
      s.descriptions.push_back("alpha");
    }
    test::write_raster(dir / name, s);
    if (!alpha) return;
    GDALDatasetUniquePtr ds(
        GDALDataset::Open((dir / name).c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE));
    ds->GetRasterBand(4)->SetColorInterpretation(GCI_AlphaBand);
  };
  ortho("ortho_a.tif", held.before);
  ortho("ortho_b.tif", held.after);
  // The dates of a pipeline: images `a` and `b`, each with `options` (YAML flow keys).
  auto two_dates = [](const std::string& a, const std::string& b, const std::string& options = "") {
    return "dates:\n  - {date: 2024-03-15, image: " + a + options +
           "}\n  - {date: 2024-08-20, image: " + b + options + "}\n";
  };
  auto pipeline = [&](const std::string& file, const std::string& change_model,
                      const std::string& dates) {
    std::ofstream(dir / file) << "name: dug\n"
                              << dates << "classification: " << test::source_dir()
                              << "/pipelines/rules/landuse_rules_rgb.yaml\n"
                                 "change_rules: "
                              << test::source_dir()
                              << "/pipelines/rules/change_rules.yaml\n"
                                 "change_model: "
                              << change_model
                              << "\n"
                                 "min_patch_area_m2: {non_agricultural: 20, non_grain: 20, "
                                 "other_change: 20}\n"
                                 "database: none\n"
                                 "outputs: {dir: out_"
                              << file << "}\n";
    return std::string(dir / file);
  };
  const std::string orthos = two_dates("ortho_a.tif", "ortho_b.tif");
  auto r = test::run_cli({"run", pipeline("p.yaml", model, orthos), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string out = dir / "out_p.yaml";
  EXPECT_GT(f1_of(out + "/change.tif", held.truth), 0.8);
  const auto s = nlohmann::json::parse(test::read_text(out + "/summary.json"));
  EXPECT_GE(s["building_change"]["objects_by_kind"]["land_changed"].get<int>(), 1) << s.dump(1);
  EXPECT_EQ(s["building_change"]["change_model"], model);
  const auto csv = test::read_text(out + "/changes.csv");
  EXPECT_NE(csv.find("land_changed"), std::string::npos) << csv;

  // A damaged model: exit 4 naming it; a pipeline whose dates are not such a pair: exit 3 (bad
  // configuration) naming change_model.
  std::ofstream(dir / "damaged.yml") << "%YAML:1.0\nkind: vhr_change\n";
  r = test::run_cli({"run", pipeline("damaged.yaml", dir / "damaged.yml", orthos), "-q"});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("damaged.yml"), std::string::npos) << r.output;
  // A land-use model (a farmwatch model with no change kind) is named as such, in words that
  // fit a pipeline as well as `change --model`.
  std::ofstream(dir / "landuse.yml") << "%YAML:1.0\nfarmwatch_model:\n  format: 1\n";
  r = test::run_cli({"run", pipeline("landuse.yaml", dir / "landuse.yml", orthos), "-q"});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("landuse.yml' is a land-use model"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("not a change model"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("change --model"), std::string::npos) << r.output;
  // A later date whose every pixel is masked (its alpha band 0): exit 4 naming it, not an
  // internal error.
  ortho("ortho_masked.tif", held.after, 0.0);
  r = test::run_cli(
      {"run", pipeline("masked.yaml", model, two_dates("ortho_a.tif", "ortho_masked.tif")), "-q"});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("ortho_masked.tif"), std::string::npos) << r.output;
  test::RasterSpec s2;
  s2.width = s2.height = 32;
  s2.type = GDT_UInt16;
  s2.bands.assign(4, std::vector<double>(32 * 32, 1200));
  s2.descriptions = {"blue", "green", "red", "nir"};
  test::write_raster(dir / "s2_a.tif", s2);
  test::write_raster(dir / "s2_b.tif", s2);
  r = test::run_cli(
      {"run", pipeline("s2.yaml", model, two_dates("s2_a.tif", "s2_b.tif", ", scale: 0.0001")),
       "-q"});
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("change_model"), std::string::npos) << r.output;
}
