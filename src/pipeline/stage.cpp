#include "farmwatch/pipeline/stage.h"

#include <chrono>
#include <cmath>
#include <set>
#include <stdexcept>

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

const char* product_name(Product p) {
  static const char* names[] = {"inputs",          "coregistration", "normalisation",
                                "spectral_test",   "workspace",      "farmland_raster",
                                "landuse_change",  "patches",        "parcel_stats",
                                "rasters",         "reports",        "tiles"};
  return names[static_cast<int>(p)];
}

void check_stage_order(const std::vector<std::unique_ptr<Stage>>& stages) {
  std::set<Product> given;
  for (const auto& s : stages) {
    for (Product p : s->needs())
      if (!given.count(p))
        throw std::logic_error("stage '" + s->name() + "' needs " + product_name(p) +
                               ", which no earlier stage gives");
    given.insert(s->gives().begin(), s->gives().end());
  }
}

}  // namespace farmwatch::pipeline
