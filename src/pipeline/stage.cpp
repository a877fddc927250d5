#include "farmwatch/pipeline/stage.h"

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <set>
#include <stdexcept>

namespace farmwatch::pipeline {

namespace {
/// CPU seconds the process has used so far, all threads, user and system.
double process_cpu_s() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}
}  // namespace

void Stage::execute(RunContext& ctx) {
  if (!applies(ctx)) return;
  const auto start = std::chrono::steady_clock::now();
  const double cpu0 = process_cpu_s();
  const Log log = ctx.log.child(name_);
  log.debug("start");
  run(ctx, log);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ctx.timings[name_] = std::round(s * 1000) / 1000;
  log.debug("done in " + std::to_string(s) + " s, " + std::to_string(process_cpu_s() - cpu0) +
            " s of CPU");
}

const char* product_name(Product p) {
  static const char* names[] = {"inputs",         "coregistration", "normalisation",
                                "spectral_test",  "workspace",      "farmland_raster",
                                "landuse_change", "patches",        "parcel_stats",
                                "early_rasters",  "rasters",        "reports",
                                "tiles",          "building_change"};
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
