// Same inputs give the same output bytes, whatever the thread count.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "test_support.h"

using namespace farmwatch;
namespace fs = std::filesystem;

namespace {
std::map<std::string, std::string> files_below(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file())
      out[fs::relative(e.path(), root).string()] = test::read_text(e.path().string());
  return out;
}
}  // namespace

TEST(Determinism, OneThreadAndTwoThreadsWriteIdenticalBytes) {
  test::TempDir d;
  const std::string pipeline = test::source_dir() + "/pipelines/sample.yaml";
  // SOURCE_DATE_EPOCH fixes the GeoPackage's timestamp, the only clock-dependent byte.
  const std::string env = "SOURCE_DATE_EPOCH=1700000000";
  // Each run has a database of its own: in a shared one the second would find the first's
  // patches again (status persisting), a real difference.
  const auto a = test::run_cli(
      {"run", pipeline, "--out", d / "t1", "--db", d / "t1.gpkg", "--threads", "1"}, env);
  ASSERT_EQ(a.exit_code, 0) << a.output;
  const auto b = test::run_cli(
      {"run", pipeline, "--out", d / "t2", "--db", d / "t2.gpkg", "--threads", "2"}, env);
  ASSERT_EQ(b.exit_code, 0) << b.output;
  auto fa = files_below(d / "t1"), fb = files_below(d / "t2");
  fa.erase("summary.json");  // holds timings and the thread count
  fb.erase("summary.json");
  ASSERT_GT(fa.size(), 10u);
  ASSERT_EQ(fa.size(), fb.size());
  for (const auto& [name, bytes] : fa) {
    ASSERT_TRUE(fb.count(name)) << name;
    EXPECT_TRUE(bytes == fb[name]) << name << " differs between --threads 1 and --threads 2";
  }
}
