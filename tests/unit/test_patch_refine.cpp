// Sub-pixel boundary refinement of a change patch: rim pixels that are mostly unchanged leave,
// mostly changed neighbours join, and the inside of a patch of several materials keeps no hole.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "farmwatch/core/patch_refine.h"

using namespace farmwatch;

namespace {

/// A w x h window: `member` and `core` from strings of '.', 'm' (member), 'c' (member and
/// core), 'e' (eligible non-member); each pixel's change vector is f times (0.2, -0.1), with
/// f from `fractions` (row-major), or orthogonal to it where f is negative.
struct Window {
  int w, h;
  std::vector<std::uint8_t> member, core, eligible;
  std::vector<float> red, nir;
  Window(int width, const std::string& map, const std::vector<float>& fractions)
      : w(width), h(static_cast<int>(map.size()) / width) {
    for (std::size_t i = 0; i < map.size(); ++i) {
      member.push_back(map[i] == 'm' || map[i] == 'c');
      core.push_back(map[i] == 'c');
      eligible.push_back(map[i] == 'e');
      const float f = fractions[i];
      red.push_back(f >= 0 ? 0.2f * f : 0.1f);
      nir.push_back(f >= 0 ? -0.1f * f : 0.2f);
    }
  }
  std::vector<std::uint8_t> refine() const {
    RefineInput in;
    in.width = w;
    in.height = h;
    in.member = &member;
    in.core = &core;
    in.eligible = &eligible;
    in.delta = {&red, &nir};
    return *refine_patch(in);
  }
};

}  // namespace

TEST(PatchRefine, MostlyUnchangedRimPixelsLeaveMostlyChangedNeighboursJoin) {
  // A 3 x 3 patch in a 5 x 5 window; its centre is the core. Rim pixel (1,1) changed by 0.3
  // (a mixture, mostly the old surface) leaves, (1,2) by 0.7 stays; the eligible pixel left of
  // (2,1) changed by 0.6 joins, the one right of (2,3) by 0.2 does not.
  //   .....
  //   .mmm.
  //   emcme
  //   .mmm.
  //   .....
  const std::string map = "......mmm.emcme.mmm......";
  std::vector<float> f(25, 0.0f);
  for (int i : {7, 8, 11, 12, 13, 16, 17, 18}) f[static_cast<std::size_t>(i)] = 1.0f;
  f[6] = 0.3f, f[7] = 0.7f, f[10] = 0.6f, f[14] = 0.2f;
  const auto out = Window(5, map, f).refine();
  EXPECT_EQ(out[6], 0) << "a rim pixel mostly unchanged";
  EXPECT_EQ(out[7], 1) << "a rim pixel mostly changed";
  EXPECT_EQ(out[12], 1) << "the core";
  EXPECT_EQ(out[10], 1) << "a neighbour mostly changed joins";
  EXPECT_EQ(out[14], 0) << "a neighbour mostly unchanged stays out";
}

TEST(PatchRefine, APatchOfSeveralMaterialsKeepsItsInside) {
  // A 5 x 5 building site whose pixels changed along one direction, but for two of another
  // material (a change orthogonal to it): the one inside stays a member (no hole), the one on
  // the rim, a mixture as far as the projection can tell, leaves.
  std::string map(49, '.');
  std::vector<float> f(49, 0.0f);
  for (int r = 1; r <= 5; ++r)
    for (int c = 1; c <= 5; ++c) {
      map[static_cast<std::size_t>(r * 7 + c)] = 'c';
      f[static_cast<std::size_t>(r * 7 + c)] = 1.0f;
    }
  f[3 * 7 + 3] = -1.0f;  // inside
  f[1 * 7 + 3] = -1.0f;  // on the rim
  const auto out = Window(7, map, f).refine();
  EXPECT_EQ(out[3 * 7 + 3], 1) << "a hole was cut inside the patch";
  EXPECT_EQ(out[1 * 7 + 3], 0);
  int members = 0;
  for (auto v : out) members += v;
  EXPECT_EQ(members, 24);
}
