#pragma once
// The streaming raster engine: a bounded oneTBB pipeline over the blocks of a grid.
//   next block (serial, in order) -> compute (parallel) -> write (serial, in order)
// Memory is set by the number of blocks in flight, not by the size of the scene, and the
// output does not depend on the thread count: blocks are fixed and written in order.
#include <tbb/global_control.h>
#include <tbb/parallel_pipeline.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "farmwatch/core/geo.h"

namespace farmwatch::engine {

struct EngineOptions {
  int block_size = kBlockSize;    ///< square blocks, aligned to the 512 tiles farmwatch writes
  std::size_t tokens = 0;  ///< blocks in flight; 0 = twice the thread count
  /// Only these windows, in this order (a shard's part of the grid, core/shard.h); absent:
  /// every block of the grid. Outputs outside them are left unwritten.
  std::optional<std::vector<Window>> windows;
};

/// Caps the threads TBB may use in this scope (n <= 0: all cores).
class ThreadLimit {
 public:
  explicit ThreadLimit(int n);
  static int current();

 private:
  std::optional<tbb::global_control> control_;
};

using Progress = std::function<void(std::size_t done, std::size_t total)>;

/// Runs compute(window) -> R in parallel and write(window, R&&) serially in block order.
/// compute must only use thread-local resources (e.g. tbb::enumerable_thread_specific).
template <class Compute, class Write>
void for_each_block(const Grid& grid, const EngineOptions& opt, Compute&& compute, Write&& write,
                    const Progress& progress = {}) {
  using R = decltype(compute(std::declval<const Window&>()));
  const auto windows = opt.windows ? *opt.windows : grid.blocks(opt.block_size, opt.block_size);
  const std::size_t tokens =
      opt.tokens ? opt.tokens : static_cast<std::size_t>(2 * ThreadLimit::current());
  std::size_t next = 0, done = 0;
  struct Item {
    std::size_t index;
    std::shared_ptr<R> result;
  };
  tbb::parallel_pipeline(
      tokens, tbb::make_filter<void, std::size_t>(tbb::filter_mode::serial_in_order,
                                                  [&](tbb::flow_control& fc) -> std::size_t {
                                                    if (next == windows.size()) fc.stop();
                                                    return next++;
                                                  }) &
                  tbb::make_filter<std::size_t, Item>(
                      tbb::filter_mode::parallel,
                      [&](std::size_t i) {
                        if (i >= windows.size()) return Item{i, nullptr};
                        return Item{i, std::make_shared<R>(compute(windows[i]))};
                      }) &
                  tbb::make_filter<Item, void>(tbb::filter_mode::serial_in_order, [&](Item item) {
                    if (!item.result) return;
                    write(windows[item.index], std::move(*item.result));
                    if (progress) progress(++done, windows.size());
                  }));
}

}  // namespace farmwatch::engine
