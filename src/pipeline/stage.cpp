#include "farmwatch/pipeline/stage.h"

#include <chrono>
#include <cmath>

namespace farmwatch::pipeline {

void Stage::execute(RunContext& ctx) {
  if (!applies(ctx)) return;
  const auto start = std::chrono::steady_clock::now();
  const Log log = ctx.log.child(name_);
  log.debug("start");
  run(ctx, log);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ctx.timings[name_] = std::round(s * 1000) / 1000;
  log.debug("done in " + std::to_string(s) + " s");
}

}  // namespace farmwatch::pipeline
