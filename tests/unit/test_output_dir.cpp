#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "farmwatch/core/error.h"
#include "farmwatch/pipeline/output_dir.h"
#include "test_support.h"

using namespace farmwatch;
namespace fs = std::filesystem;

namespace {
/// What marks a run's outputs: its summary.json naming farmwatch's version.
constexpr const char* kSummary = "{\"farmwatch_version\": \"test\"}";
}  // namespace

TEST(StagedDir, UncommittedRunLeavesPreviousOutputsUntouched) {
  test::TempDir d;
  fs::create_directories(d / "out");
  std::ofstream(d / "out/summary.json") << kSummary;
  {
    pipeline::StagedDir s(d / "out");
    std::ofstream(s.staging() / "new.txt") << "half";
    // no commit: as if the run failed
  }
  EXPECT_EQ(test::read_text(d / "out/summary.json"), kSummary);
  EXPECT_FALSE(fs::exists(d / "out/new.txt"));
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(d.path())) ++entries;
  EXPECT_EQ(entries, 1);  // no staging or scratch folders left behind
}

TEST(StagedDir, RefusesToReplaceWhatIsNotFarmwatchsOutputs) {
  // A file (an input given as the output folder), a folder of other files and one whose
  // summary.json is not farmwatch's would be lost to the swap: refused before anything is
  // written, and left as they were.
  test::TempDir d;
  std::ofstream(d / "image.png") << "pixels";
  fs::create_directories(d / "photos");
  std::ofstream(d / "photos/A.png") << "pixels";
  fs::create_directories(d / "notes");
  std::ofstream(d / "notes/summary.json") << "{\"title\": \"my notes\"}";
  for (const char* target : {"image.png", "photos", "notes"}) {
    EXPECT_THROW(pipeline::StagedDir s(d / target), ParamError) << target;
    EXPECT_FALSE(fs::exists(d / (std::string(target) + ".partial-" + std::to_string(::getpid()))));
  }
  EXPECT_EQ(test::read_text(d / "image.png"), "pixels");
  EXPECT_EQ(test::read_text(d / "photos/A.png"), "pixels");
  // An empty folder, a run's outputs, and a folder holding only shard results (a --shard-dir
  // inside the output folder, before the first merge) are farmwatch's to replace.
  fs::create_directories(d / "empty");
  EXPECT_NO_THROW(pipeline::StagedDir s(d / "empty"));
  std::ofstream(d / "photos/summary.json") << kSummary;
  EXPECT_NO_THROW(pipeline::StagedDir s(d / "photos"));
  fs::create_directories(d / "out/shards/shard-1-of-2");
  std::ofstream(d / "out/shards/shard-1-of-2/shard.json") << "{}";
  EXPECT_NO_THROW(pipeline::StagedDir s(d / "out"));
  // An output folder holding an input is refused; one beside it is not.
  EXPECT_THROW(pipeline::check_output_folder(d / "photos", {(d / "photos/A.png")}), ParamError);
  EXPECT_NO_THROW(pipeline::check_output_folder(d / "photos", {(d / "image.png")}));
}

TEST(StagedDir, RefusesTheWorkingFolderAndTheFoldersHoldingIt) {
  test::TempDir d;
  fs::create_directories(d / "out/sub");
  std::ofstream(d / "out/summary.json") << kSummary;
  const fs::path was = fs::current_path();
  fs::current_path(d / "out/sub");
  EXPECT_THROW(pipeline::StagedDir s(d / "out"), ParamError);
  EXPECT_THROW(pipeline::StagedDir s(".."), ParamError);
  fs::current_path(was);
  EXPECT_TRUE(fs::exists(d / "out/sub"));
  EXPECT_NO_THROW(pipeline::StagedDir s(d / "out"));
}

TEST(StagedDir, AnOutputFolderThatIsASymbolicLinkIsWrittenWhereItPoints) {
  // outputs -> a folder on another disk: the link stays, the outputs land in that folder.
  test::TempDir d;
  fs::create_directories(d / "disk/outputs");
  std::ofstream(d / "disk/outputs/summary.json") << kSummary;
  fs::create_directory_symlink(d / "disk/outputs", d / "outputs");
  {
    pipeline::StagedDir s(d / "outputs/");
    std::ofstream(s.staging() / "new.txt") << "new";
    s.commit();
  }
  EXPECT_TRUE(fs::is_symlink(d / "outputs"));
  EXPECT_EQ(test::read_text(d / "disk/outputs/new.txt"), "new");
  fs::create_directory_symlink(d / "nowhere", d / "dangling");
  EXPECT_THROW(pipeline::StagedDir s(d / "dangling"), ParamError);
}

TEST(StagedDir, CommitReplacesTheOutputs) {
  test::TempDir d;
  fs::create_directories(d / "out");
  std::ofstream(d / "out/summary.json") << kSummary;
  {
    pipeline::StagedDir s(d / "out");
    std::ofstream(s.staging() / "new.txt") << "new";
    s.commit();
  }
  EXPECT_FALSE(fs::exists(d / "out/summary.json"));
  EXPECT_EQ(test::read_text(d / "out/new.txt"), "new");
}

TEST(StagedDir, LeftoversOfAKilledRunAreCleanedAndInterruptedSwapsUndone) {
  test::TempDir d;
  // A run killed mid-swap: outputs moved aside, new ones not yet in place. PID 999999999
  // cannot be running.
  fs::create_directories(d / "out.previous-999999999");
  std::ofstream(d / "out.previous-999999999/summary.json") << kSummary;
  fs::create_directories(d / "out.partial-999999999");
  fs::create_directories(d / "out.scratch-999999999");
  {
    pipeline::StagedDir s(d / "out");
    EXPECT_EQ(test::read_text(d / "out/summary.json"), kSummary);
  }
  EXPECT_FALSE(fs::exists(d / "out.partial-999999999"));
  EXPECT_FALSE(fs::exists(d / "out.scratch-999999999"));
  EXPECT_FALSE(fs::exists(d / "out.previous-999999999"));
}

std::string this_host() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

TEST(StagedDir, StagingIsNamedByHostAndProcess) {
  test::TempDir d;
  pipeline::StagedDir s(d / "out");
  const std::string want = "out.partial-" + this_host() + "-" + std::to_string(::getpid());
  EXPECT_EQ(s.staging().filename().string(), want);
}

TEST(StagedDir, LeftoversOfAKilledRunOnThisHostAreCleaned) {
  test::TempDir d;
  const std::string dead = this_host() + "-999999999";
  fs::create_directories(d / ("out.previous-" + dead));
  std::ofstream(fs::path(d / ("out.previous-" + dead)) / "summary.json") << kSummary;
  fs::create_directories(d / ("out.partial-" + dead));
  fs::create_directories(d / ("out.scratch-" + dead));
  {
    pipeline::StagedDir s(d / "out");
    EXPECT_EQ(test::read_text(d / "out/summary.json"), kSummary);
  }
  EXPECT_FALSE(fs::exists(d / ("out.partial-" + dead)));
  EXPECT_FALSE(fs::exists(d / ("out.scratch-" + dead)));
  EXPECT_FALSE(fs::exists(d / ("out.previous-" + dead)));
}

TEST(StagedDir, StagingOfARunOnAnotherHostIsLeftAlone) {
  // A shared file system (a cluster's): another node's run with a process id this machine
  // does not have may be alive there; its folders are not this run's to remove.
  test::TempDir d;
  const std::string other = this_host() + "x-other-node-999999999";
  fs::create_directories(d / ("out.partial-" + other));
  std::ofstream(fs::path(d / ("out.partial-" + other)) / "half.tif") << "being written";
  fs::create_directories(d / ("out.scratch-" + other));
  {
    pipeline::StagedDir s(d / "out");
    std::ofstream(s.staging() / "new.txt") << "new";
    s.commit();
  }
  EXPECT_EQ(test::read_text(fs::path(d / ("out.partial-" + other)) / "half.tif"), "being written");
  EXPECT_TRUE(fs::exists(d / ("out.scratch-" + other)));
  EXPECT_EQ(test::read_text(d / "out/new.txt"), "new");
}
