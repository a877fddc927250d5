#include "farmwatch/engine/block_engine.h"

#include <tbb/info.h>

namespace farmwatch::engine {

ThreadLimit::ThreadLimit(int n) {
  if (n > 0) control_.emplace(tbb::global_control::max_allowed_parallelism, std::size_t(n));
}

int ThreadLimit::current() {
  return static_cast<int>(
      tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
}

}  // namespace farmwatch::engine
