#include <gtest/gtest.h>

#include <atomic>

#include "farmwatch/engine/block_engine.h"

using namespace farmwatch;

namespace {
/// Checksum of (block index, block sum) written in order, and the most blocks ever in flight.
struct EngineRun {
  std::vector<std::int64_t> written;
  int max_in_flight = 0;
};

EngineRun run_engine(int threads, std::size_t tokens) {
  const engine::ThreadLimit limit(threads);
  Grid g;
  g.width = 1000;
  g.height = 777;
  std::atomic<int> in_flight{0};
  EngineRun r;
  std::atomic<int> max{0};
  engine::EngineOptions opt;
  opt.block_size = 128;
  opt.tokens = tokens;
  engine::for_each_block(
      g, opt,
      [&](const Window& w) {
        const int now = ++in_flight;
        int m = max.load();
        while (now > m && !max.compare_exchange_weak(m, now)) {
        }
        std::int64_t s = 0;
        for (int y = w.row; y < w.row + w.height; ++y)
          for (int x = w.col; x < w.col + w.width; ++x) s += x * 7 + y;
        return s;
      },
      [&](const Window& w, std::int64_t&& s) {
        --in_flight;
        r.written.push_back(w.row * 100000 + w.col);
        r.written.push_back(s);
      });
  r.max_in_flight = max.load();
  return r;
}
}  // namespace

TEST(BlockEngine, WritesEveryBlockInOrderWhateverTheThreadCount) {
  const EngineRun one = run_engine(1, 2), two = run_engine(2, 4);
  EXPECT_EQ(one.written.size(), 2u * 8u * 7u);
  EXPECT_EQ(one.written, two.written);
  for (std::size_t i = 2; i < one.written.size(); i += 2)
    EXPECT_LT(one.written[i - 2], one.written[i]);  // row-major order
}

TEST(BlockEngine, BlocksInFlightAreBoundedByTokens) {
  const EngineRun r = run_engine(2, 3);
  EXPECT_LE(r.max_in_flight, 3);
}

TEST(BlockEngine, ThreadLimitIsScoped) {
  const int before = engine::ThreadLimit::current();
  {
    const engine::ThreadLimit one(1);
    EXPECT_EQ(engine::ThreadLimit::current(), 1);
  }
  EXPECT_EQ(engine::ThreadLimit::current(), before);
}
