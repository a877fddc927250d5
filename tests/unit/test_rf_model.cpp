// Learned classification: the feature layout, and a forest trained, saved, loaded and applied.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "farmwatch/core/rf_model.h"
#include "test_support.h"

using namespace farmwatch;

namespace {

/// One date of red and nir (roles 3 and 4 of a 4-band image) for `n` pixels.
FeatureLayout four_band_layout(int dates) {
  FeatureLayout l;
  for (int d = 0; d < dates; ++d) {
    std::array<int, kRoleCount> roles{};
    roles[static_cast<std::size_t>(BandRole::blue)] = 1;
    roles[static_cast<std::size_t>(BandRole::green)] = 2;
    roles[static_cast<std::size_t>(BandRole::red)] = 3;
    roles[static_cast<std::size_t>(BandRole::nir)] = 4;
    l.bands_per_date.push_back(4);
    l.roles_per_date.push_back(roles);
  }
  return l;
}

DateBands date(std::vector<std::vector<float>> bands) {
  DateBands d;
  d.bands = std::move(bands);
  d.role_band[static_cast<std::size_t>(BandRole::blue)] = 1;
  d.role_band[static_cast<std::size_t>(BandRole::green)] = 2;
  d.role_band[static_cast<std::size_t>(BandRole::red)] = 3;
  d.role_band[static_cast<std::size_t>(BandRole::nir)] = 4;
  return d;
}

}  // namespace

TEST(MlFeatures, BandsIndicesAndMultiDateStatistics) {
  const FeatureLayout l = four_band_layout(2);
  const auto names = l.names();
  // Per date: 4 bands, ndvi, ndwi (no swir: no mndwi, ndbi, bsi), 3 context; then 5 stats.
  ASSERT_EQ(names.size(), 2u * (4 + 2 + 3) + 5);
  EXPECT_EQ(names[4], "d1_ndvi");
  EXPECT_EQ(names.back(), "valid_count");
  std::vector<DateBands> d = {date({{0.05f}, {0.08f}, {0.04f}, {0.36f}}),
                              date({{0.10f}, {0.12f}, {kNaN}, {0.20f}})};
  std::vector<float> f(names.size());
  pixel_features(l, d, 0, f.data());
  EXPECT_NEAR(f[4], (0.36 - 0.04) / 0.40, 1e-6);  // NDVI date 1
  EXPECT_EQ(f[9 + 2], kMissingFeature);           // red missing on date 2
  EXPECT_NEAR(f[names.size() - 5], 0.8, 1e-6);    // ndvi_max: date 1 only
  EXPECT_EQ(f.back(), 1.0f);                      // one date with every band
}

TEST(RandomForest, LearnsSavesLoadsAndPredictsTheLabelCodes) {
  ModelInfo info;
  info.layout = four_band_layout(1);
  info.classes = {{12, "wheat", "cropland", "0103", "#ffd700"}, {40, "roof", "", "", ""}};
  info.date_descriptions = {"4 bands Float32: B02 B03 B04 B08"};
  const std::size_t nf = info.layout.size();
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0, 0.01f);
  std::vector<float> x;
  std::vector<std::uint8_t> y;
  for (int i = 0; i < 400; ++i) {
    const bool roof = i % 2;
    std::vector<DateBands> d = {
        roof ? date({{0.20f + noise(rng)}, {0.21f}, {0.22f + noise(rng)}, {0.25f + noise(rng)}})
             : date({{0.04f}, {0.07f + noise(rng)}, {0.04f + noise(rng)}, {0.40f + noise(rng)}})};
    const std::size_t at = x.size();
    x.resize(at + nf);
    pixel_features(info.layout, d, 0, x.data() + at);
    y.push_back(roof ? 40 : 12);
  }
  const RandomForest rf = RandomForest::train(x, y, info, 20, 8);
  test::TempDir dir;
  const std::string path = (dir.path() / "m.yml").string();
  rf.save(path);
  const RandomForest back = RandomForest::load(path);
  EXPECT_EQ(back.info().classes.size(), 2u);
  EXPECT_EQ(back.info().classes[1].name, "roof");
  // The class table of its maps: the CSV's key, GB/T code and name and colour where given,
  // defaults where not.
  const ClassTable t = model_class_table(back.info().classes);
  EXPECT_EQ(t.find(12)->key, "cropland");
  EXPECT_EQ(t.find(12)->gbt_name, "旱地");
  EXPECT_EQ(t.find(12)->color.r, 0xff);
  EXPECT_EQ(t.find(40)->key, "class_40");
  EXPECT_EQ(t.find(40)->name, "roof");
  EXPECT_EQ(back.info().layout.names(), info.layout.names());
  std::vector<std::uint8_t> codes(y.size());
  back.predict(x.data(), y.size(), codes.data());
  EXPECT_EQ(codes, y);
  // The votes name the same classes, by their label codes, with their share of the trees.
  std::vector<ClassVotes> votes(y.size());
  back.predict_votes(x.data(), y.size(), votes.data());
  for (std::size_t i = 0; i < y.size(); ++i) {
    EXPECT_EQ(votes[i].first, y[i]) << i;
    EXPECT_GE(votes[i].p_first, 50) << i;
    EXPECT_LE(votes[i].p_first + votes[i].p_second, 101) << i;
    if (votes[i].p_second > 0) {
      EXPECT_EQ(votes[i].second, y[i] == 12 ? 40 : 12) << i;
    }
  }
  // Nothing observed: no class.
  std::vector<float> none(nf, kMissingFeature);
  none.back() = 0;
  std::uint8_t c = 0;
  back.predict(none.data(), 1, &c);
  EXPECT_EQ(c, 255);

  std::ofstream(dir.path() / "junk.yml") << "%YAML:1.0\n---\nsomething: 1\n";
  EXPECT_THROW(RandomForest::load((dir.path() / "junk.yml").string()), std::runtime_error);
}
