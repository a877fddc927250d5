// The rule that keeps a patch's monitoring id across runs, on plain overlaps.
#include <gtest/gtest.h>

#include "farmwatch/core/patch_identity.h"

using namespace farmwatch;

TEST(PatchIdentity, OverlapUnderThirtyPercentIsANewPatch) {
  const auto m = match_patches(2, {{0, 0, 0.29}, {1, 1, 0.30}});
  EXPECT_EQ(m[0], -1);
  EXPECT_EQ(m[1], 1);
}

TEST(PatchIdentity, BestShareFirstAndEachStoredPatchClaimedOnce) {
  // New patch 0 overlaps stored 0 by 0.5; new patch 1 overlaps stored 0 by 0.9 and stored 1
  // by 0.4: patch 1 takes stored 0 (best share) and is then matched, so stored 1 stays
  // unclaimed; patch 0's only candidate is taken, so it is new.
  const auto m = match_patches(2, {{0, 0, 0.5}, {1, 0, 0.9}, {1, 1, 0.4}});
  EXPECT_EQ(m[1], 0);
  EXPECT_EQ(m[0], -1);
}

TEST(PatchIdentity, SplitPatchKeepsTheIdOnItsLargerShareAndTiesBreakByOrder) {
  // A stored patch split in two: both halves overlap it fully; the first takes it.
  EXPECT_EQ(match_patches(2, {{1, 0, 1.0}, {0, 0, 1.0}}), (std::vector<std::int64_t>{0, -1}));
  // Two stored patches merged into one new patch: it keeps the id of the better overlap.
  EXPECT_EQ(match_patches(1, {{0, 0, 0.6}, {0, 1, 0.8}}), (std::vector<std::int64_t>{1}));
  // Input order does not matter.
  EXPECT_EQ(match_patches(1, {{0, 1, 0.8}, {0, 0, 0.6}}), (std::vector<std::int64_t>{1}));
}

TEST(PatchIdentity, AnalystDecisionsSurviveAndIdsAreNumbered) {
  EXPECT_EQ(status_when_found_again("verified"), "verified");
  EXPECT_EQ(status_when_found_again("dismissed"), "dismissed");
  EXPECT_EQ(status_when_found_again("new"), "persisting");
  EXPECT_EQ(status_when_found_again("persisting"), "persisting");
  EXPECT_EQ(patch_id("FW20240820", 7), "FW20240820-0007");
  EXPECT_EQ(patch_id("FW20240820", 12345), "FW20240820-12345");
}
