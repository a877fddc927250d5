// Two dates rarely line up to the pixel. The residual shift of the later date is measured by
// phase correlation on NIR in up to nine windows across the grid, and, when it is reliable and
// plausible, the later image is read shifted back onto the earlier one.
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <cmath>
#include <memory>
#include <optional>

#include "farmwatch/core/coregistration.h"
#include "farmwatch/io/spatial_ref.h"
#include "sampling.h"
#include "stages.h"

namespace farmwatch::pipeline::stages {
namespace {

constexpr double kMinResponse = 0.05;  // phase-correlation peaks below this are noise
constexpr double kMinShiftPx = 0.1;    // smaller shifts are within the estimate's noise
constexpr double kMaxShiftPx = 10.0;   // larger ones are georeferencing errors, not residuals

BandRole reference_role(const io::Mosaic& a, const io::ImageInfo& b) {
  const io::BandMap roles = a.common_roles();
  for (BandRole r : {BandRole::nir, BandRole::red, BandRole::green})
    if (roles[r] && b.bands[r]) return r;
  return BandRole::nir;
}

class Coregister : public Stage {
 public:
  Coregister() : Stage("coregister", {Product::inputs}, {Product::coregistration}) {}

 private:
  bool applies(const RunContext& ctx) const override {
    // A merge takes it from the shards (merged_calibration).
    return !ctx.options.merge_shards && ctx.compares_dates() && ctx.spec.coregister &&
           !ctx.images[0].is_class_map() && !ctx.images[1].is_class_map();
  }

  void run(RunContext& ctx, const Log& log) override {
    // Each later scene is measured against the earlier date where it lies: scenes of one
    // date come from different passes and carry shifts of their own.
    ctx.coregistration =
        for_each_later_scene(ctx, [&](io::ImageInfo& s) { return measure(ctx, s, log); });
  }

  static nlohmann::json measure(const RunContext& ctx, io::ImageInfo& later, const Log& log) {
    const Grid& g = ctx.grid;
    const BandRole role = reference_role(ctx.images[0], later);
    const auto windows = sample_windows(io::footprint_on(later, g), 256);
    std::vector<std::optional<Shift>> found(windows.size());
    // Windows are measured in parallel with readers per thread (setting one up searches PROJ's
    // database); results stay in order.
    struct Readers {
      io::MosaicReader a;
      io::GridReader b;
    };
    tbb::enumerable_thread_specific<std::unique_ptr<Readers>> readers;
    tbb::parallel_for(std::size_t(0), windows.size(), [&](std::size_t k) {
      auto& r = readers.local();
      if (!r)
        r = std::make_unique<Readers>(
            Readers{io::MosaicReader(ctx.images[0], g, io::Resampling::reflectance),
                    io::GridReader(later, g, io::Resampling::reflectance)});
      ReflectanceBlock ra, rb;
      r->a.read_reflectance(windows[k], ra);
      r->b.read_reflectance(windows[k], rb);
      found[k] = phase_shift(ra.plane(role), rb.plane(role), windows[k].width, windows[k].height);
    });
    std::vector<Shift> shifts;
    for (std::size_t k = 0; k < windows.size(); ++k)
      if (found[k]) {
        shifts.push_back(*found[k]);
        log.debug("window " + std::to_string(windows[k].col) + "," +
                  std::to_string(windows[k].row) + ": shift " + std::to_string(found[k]->dx) +
                  ", " + std::to_string(found[k]->dy) + " response " +
                  std::to_string(found[k]->response));
      }
    nlohmann::json report = {
        {"band", role_name(role)}, {"windows", shifts.size()}, {"applied", false}};
    const auto shift = combine_shifts(shifts, kMinResponse, kMaxShiftPx);
    if (!shift) {
      report["note"] =
          "no reliable phase-correlation peak within 10 pixels: dates used as "
          "georeferenced (a larger shift is a georeferencing error to fix)";
      log.warn("co-registration of '" + later.path + "': " + report["note"].get<std::string>());
      return report;
    }
    const double px = std::hypot(shift->dx, shift->dy);
    report["shift_px"] = {std::round(shift->dx * 1000) / 1000, std::round(shift->dy * 1000) / 1000};
    report["response"] = std::round(shift->response * 1000) / 1000;
    if (px < kMinShiftPx) {
      report["note"] = "below 0.1 pixel: nothing to correct";
      return report;
    }
    // Content of the later date sits at +dx columns, +dy rows: move its georeference back.
    const double dx_m = -shift->dx * g.transform.c[1], dy_m = -shift->dy * g.transform.c[5];
    const Box e = g.extent();
    double x0 = 0.5 * (e.xmin + e.xmax), y0 = 0.5 * (e.ymin + e.ymax);
    double x1 = x0 + dx_m, y1 = y0 + dy_m;
    io::transform_point(x0, y0, g.crs_wkt, later.grid.crs_wkt);
    io::transform_point(x1, y1, g.crs_wkt, later.grid.crs_wkt);
    later.shift_x = x1 - x0;
    later.shift_y = y1 - y0;
    report["applied"] = true;
    report["correction_m"] = {std::round(dx_m * 1000) / 1000, std::round(dy_m * 1000) / 1000};
    log.info("co-registration: '" + later.path + "' shifted by " + std::to_string(-shift->dx) +
             ", " + std::to_string(-shift->dy) + " pixels");
    return report;
  }
};

}  // namespace

std::unique_ptr<Stage> coregister() { return std::make_unique<Coregister>(); }

}  // namespace farmwatch::pipeline::stages
