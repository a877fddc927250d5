#include <gtest/gtest.h>

#include <fstream>

#include "farmwatch/pipeline/output_dir.h"
#include "test_support.h"

using namespace farmwatch;
namespace fs = std::filesystem;

TEST(StagedDir, UncommittedRunLeavesPreviousOutputsUntouched) {
  test::TempDir d;
  fs::create_directories(d / "out");
  std::ofstream(d / "out/old.txt") << "good";
  {
    pipeline::StagedDir s(d / "out");
    std::ofstream(s.staging() / "new.txt") << "half";
    // no commit: as if the run failed
  }
  EXPECT_EQ(test::read_text(d / "out/old.txt"), "good");
  EXPECT_FALSE(fs::exists(d / "out/new.txt"));
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(d.path())) ++entries;
  EXPECT_EQ(entries, 1);  // no staging or scratch folders left behind
}

TEST(StagedDir, CommitReplacesTheOutputs) {
  test::TempDir d;
  fs::create_directories(d / "out");
  std::ofstream(d / "out/old.txt") << "good";
  {
    pipeline::StagedDir s(d / "out");
    std::ofstream(s.staging() / "new.txt") << "new";
    s.commit();
  }
  EXPECT_FALSE(fs::exists(d / "out/old.txt"));
  EXPECT_EQ(test::read_text(d / "out/new.txt"), "new");
}

TEST(StagedDir, LeftoversOfAKilledRunAreCleanedAndInterruptedSwapsUndone) {
  test::TempDir d;
  // A run killed mid-swap: outputs moved aside, new ones not yet in place. PID 999999999
  // cannot be running.
  fs::create_directories(d / "out.previous-999999999");
  std::ofstream(d / "out.previous-999999999/old.txt") << "good";
  fs::create_directories(d / "out.partial-999999999");
  fs::create_directories(d / "out.scratch-999999999");
  {
    pipeline::StagedDir s(d / "out");
    EXPECT_EQ(test::read_text(d / "out/old.txt"), "good");
  }
  EXPECT_FALSE(fs::exists(d / "out.partial-999999999"));
  EXPECT_FALSE(fs::exists(d / "out.scratch-999999999"));
  EXPECT_FALSE(fs::exists(d / "out.previous-999999999"));
}
