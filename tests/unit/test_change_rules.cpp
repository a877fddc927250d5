#include <gtest/gtest.h>

#include "farmwatch/core/change_kernel.h"

using namespace farmwatch;

namespace {
constexpr std::uint8_t kCrop = 1, kBare = 2, kOrchard = 3, kBuilt = 7, kCloud = 254;

/// Cropland, bare soil, orchard, built-up, and cloud (no observation).
ClassTable classes() {
  ClassTable t;
  for (auto [code, key] :
       {std::pair{kCrop, "crop"}, {kBare, "bare"}, {kOrchard, "orchard"}, {kBuilt, "built"}})
    t.add({code, key, key, "", "", {}, true});
  t.add({kCloud, "cloud", "", "", "", {}, false});
  return t;
}

ChangeRules rules() {
  ChangeRules r;
  for (auto f : {kCrop, kBare})
    for (auto t : {kCrop, kBare}) r.set(f, t, Transition::allowed);
  r.set(kCrop, kBuilt, Transition::non_agricultural);
  r.set(kBare, kBuilt, Transition::non_agricultural);
  r.set(kCrop, kOrchard, Transition::non_grain);
  return r;
}
}  // namespace

TEST(ChangeRules, CategoriesInsideFarmland) {
  const auto r = rules();
  EXPECT_EQ(r.categorize(kCrop, kBuilt, true), ChangeCategory::non_agricultural);
  EXPECT_EQ(r.categorize(kCrop, kOrchard, true), ChangeCategory::non_grain);
  EXPECT_EQ(r.categorize(kBare, kCrop, true), ChangeCategory::none);  // seasonal
  EXPECT_EQ(r.categorize(kCrop, kCrop, true), ChangeCategory::none);
  EXPECT_EQ(r.categorize(kOrchard, kBuilt, true), ChangeCategory::other);  // not named
}

TEST(ChangeRules, OutsideFarmlandIsOtherChangeOrIgnored) {
  auto r = rules();
  EXPECT_EQ(r.categorize(kCrop, kBuilt, false), ChangeCategory::other);
  EXPECT_EQ(r.categorize(kBare, kCrop, false), ChangeCategory::none);
  r.set_report_outside_farmland(false);
  EXPECT_EQ(r.categorize(kCrop, kBuilt, false), ChangeCategory::none);
}

TEST(ChangeRules, FirstRuleForAPairWins) {
  auto r = rules();
  r.set(kCrop, kBuilt, Transition::allowed);
  EXPECT_EQ(r.categorize(kCrop, kBuilt, true), ChangeCategory::non_agricultural);
}

TEST(ChangeRules, CategoryKeysParseInEnglishAndChinese) {
  EXPECT_EQ(parse_category("非农化"), ChangeCategory::non_agricultural);
  EXPECT_EQ(parse_category("non_grain"), ChangeCategory::non_grain);
  EXPECT_EQ(parse_transition("allowed"), Transition::allowed);
  EXPECT_FALSE(parse_transition("sometimes"));
}

TEST(ChangeKernel, CloudAndNodataGiveNodataAndFarmlandGatesCategories) {
  const ClassTable t = classes();
  const auto r = rules();
  const ChangeKernel k(t, r, 0.15f);
  const std::vector<std::uint8_t> before = {kCrop, kCrop, kCrop, kNodataCode, kBare};
  const std::vector<std::uint8_t> after = {kBuilt, kBuilt, kCloud, kCrop, kCrop};
  const std::vector<std::uint32_t> parcels = {3, 0, 3, 3, 3};
  ChangeOutputs out;
  k.compute({&before, &after, &parcels, nullptr, nullptr}, out);
  EXPECT_EQ(out.category, (std::vector<std::uint8_t>{1, 3, 255, 255, 0}));
  EXPECT_EQ(out.evidence, (std::vector<std::uint8_t>(5, 0)));  // no reflectance given
}

TEST(ChangeKernel, SpectralEvidenceGrowsWithChangeMagnitude) {
  ReflectanceBlock a, b;
  a.window = b.window = {0, 0, 2, 1};
  a.plane(BandRole::red) = {0.05f, 0.05f};
  a.plane(BandRole::nir) = {0.40f, 0.40f};
  b.plane(BandRole::red) = {0.05f, 0.19f};
  b.plane(BandRole::nir) = {0.40f, 0.22f};
  EXPECT_NEAR(spectral_change(a, b, 0), 0.0f, 1e-6);
  EXPECT_GT(spectral_change(a, b, 1), 0.2f);
}

TEST(ChangeKernel, TheSpectralTestConfirmsClassChangesAndCatchesWhatTheMapsMiss) {
  const ClassTable t = classes();
  const auto r = rules();
  const ChangeKernel k(t, r, 0.15f);
  // Pixels: crop->built with and without spectral change; crop->crop with spectral change;
  // crop->orchard between vegetation; crop->bare (seasonal) with spectral change; unknown.
  const std::vector<std::uint8_t> before = {kCrop, kCrop, kCrop, kCrop, kCrop, kCrop};
  const std::vector<std::uint8_t> after = {kBuilt, kBuilt, kCrop, kOrchard, kBare, kBuilt};
  const std::vector<std::uint8_t> tested = {1, 0, 1, 2, 1, 255};
  const std::vector<std::uint32_t> parcels(6, 3);
  ChangeOutputs out;
  ChangeInputs in{&before, &after, &parcels, nullptr, nullptr};
  in.spectral = &tested;
  k.compute(in, out);
  // On farmland: a class change needs spectral change; a same-class or seasonal spectral
  // change is not reported; cropland to orchard between vegetation is 非粮化.
  EXPECT_EQ(out.category, (std::vector<std::uint8_t>{1, 0, 0, 2, 0, 1}));
  // The whole area watched: the spectral change the classes miss is other change.
  in.parcels = nullptr;
  k.compute(in, out);
  EXPECT_EQ(out.category, (std::vector<std::uint8_t>{1, 0, 3, 2, 3, 1}));
  // Classes from uncalibrated DNs: the test alone decides, cloud class or not.
  const std::vector<std::uint8_t> clouded = {kCloud, kCloud, kCrop, kCrop, kCrop, kCrop};
  in.before = &clouded;
  in.classes_reliable = false;
  k.compute(in, out);
  EXPECT_EQ(out.category, (std::vector<std::uint8_t>{3, 0, 3, 0, 3, 255}));
}

TEST(ChangeKernel, ClassProbabilitiesCatchAConversionOneMapMissedAndExplainSeasonsAway) {
  const ClassTable t = classes();
  const auto r = rules();
  const ChangeKernel k(t, r, 0.15f);
  // Every pixel's surface changed (spectral test 1) on farmland. The best classes:
  //  0: crop -> crop, but built-up nearly as likely after (45 %): a conversion one map missed;
  //  1: crop -> crop, built-up only 20 % after: too unsure, nothing reported;
  //  2: bare -> crop (60/40 crop before), orchard 30 %: the seasonal pair explains it;
  //  3: crop -> crop, the runner-up after is cloud: no observation, nothing reported;
  //  4: crop -> built, both sure: reported as is.
  const std::vector<std::uint8_t> b1 = {kCrop, kCrop, kBare, kCrop, kCrop};
  const std::vector<std::uint8_t> bp1 = {90, 90, 60, 90, 95};
  const std::vector<std::uint8_t> b2 = {kBare, kBare, kCrop, kBare, kBare};
  const std::vector<std::uint8_t> bp2 = {10, 10, 40, 10, 5};
  const std::vector<std::uint8_t> a1 = {kCrop, kCrop, kCrop, kCrop, kBuilt};
  const std::vector<std::uint8_t> ap1 = {55, 80, 70, 55, 90};
  const std::vector<std::uint8_t> a2 = {kBuilt, kBuilt, kOrchard, kCloud, kCrop};
  const std::vector<std::uint8_t> ap2 = {45, 20, 30, 45, 10};
  const ClassProbabilities before{&b1, &bp1, &b2, &bp2}, after{&a1, &ap1, &a2, &ap2};
  const std::vector<std::uint8_t> tested(5, 1);
  const std::vector<std::uint32_t> parcels(5, 3);
  ChangeInputs in{&b1, &a1, &parcels, nullptr, nullptr};
  in.spectral = &tested;
  in.before_prob = &before;
  in.after_prob = &after;
  ChangeOutputs out;
  k.compute(in, out);
  EXPECT_EQ(out.category, (std::vector<std::uint8_t>{1, 0, 0, 0, 1}));
  // The land-use maps follow the explanation taken; the transition's probability is kept.
  EXPECT_EQ(out.after[0], kBuilt);
  EXPECT_EQ(out.after[1], kCrop);
  EXPECT_EQ(out.class_confidence[0], 41);  // 0.90 x 0.45
  EXPECT_EQ(out.class_confidence[4], 86);  // 0.95 x 0.90
  // Without spectral change the best classes stand: crop -> crop is no change.
  const std::vector<std::uint8_t> unchanged(5, 0);
  in.spectral = &unchanged;
  k.compute(in, out);
  EXPECT_EQ(out.category, (std::vector<std::uint8_t>(5, 0)));
  EXPECT_EQ(out.after, a1);
}

TEST(ChangeKernel, BrightGroundTheRulesCallCloudInOneDateIsJudgedByTheSpectralTest) {
  // Reflectance, every pixel on farmland; the rules' one-date cloud class (bright blue and
  // overall) in the later date of pixels 0-3, in both dates of pixel 4:
  //  0: bright soil -> a bright grey roof, which did not gain white light: the test says
  //     changed, so other change;
  //  1: the same surfaces, the test says unchanged: no change;
  //  2: dark crop -> a white cloud, which gained white light: no observation;
  //  3: as 0, but the test could not judge: no observation;
  //  4: cloud to the rules in both dates: no observation;
  //  5: as 0, but the later red band is 0 (clipped): whether it gained white light cannot be
  //     told, so no observation;
  //  6: as 0, outside the farmland layer: other change, or none where change outside farmland
  //     is ignored.
  const ClassTable t = classes();
  auto r = rules();
  const std::vector<std::uint8_t> before = {kBare, kBare, kCrop, kBare, kCloud, kBare, kBare};
  const std::vector<std::uint8_t> after = {kCloud, kCloud, kCloud, kCloud, kCloud, kCloud, kCloud};
  const std::vector<std::uint8_t> tested = {1, 0, 1, 255, 1, 1, 1};
  const std::vector<std::uint32_t> parcels = {3, 3, 3, 3, 3, 3, 0};
  ReflectanceBlock a, b;
  a.window = b.window = {0, 0, 7, 1};
  const float soil[4] = {0.25f, 0.26f, 0.28f, 0.30f}, roof[4] = {0.31f, 0.31f, 0.32f, 0.33f};
  const float crop[4] = {0.04f, 0.07f, 0.04f, 0.35f}, cloud[4] = {0.42f, 0.42f, 0.43f, 0.45f};
  const BandRole roles[4] = {BandRole::blue, BandRole::green, BandRole::red, BandRole::nir};
  for (int band = 0; band < 4; ++band) {
    a.plane(roles[band]) = {soil[band], soil[band], crop[band], soil[band],
                            roof[band], soil[band], soil[band]};
    b.plane(roles[band]) = {roof[band], roof[band], cloud[band], roof[band],
                            roof[band], roof[band], roof[band]};
  }
  b.plane(BandRole::red)[5] = 0.0f;
  ChangeInputs in{&before, &after, &parcels, &a, &b};
  in.spectral = &tested;
  ChangeOutputs out;
  const ChangeKernel k(t, r, 0.15f);
  k.compute(in, out);
  EXPECT_EQ(out.category, (std::vector<std::uint8_t>{3, 0, 255, 255, 255, 255, 3}));
  EXPECT_GT(out.evidence[0], 0);
  r.set_report_outside_farmland(false);
  const ChangeKernel inside_only(t, r, 0.15f);
  inside_only.compute(in, out);
  EXPECT_EQ(out.category[6], 0);
  EXPECT_EQ(out.category[0], 3);
}
