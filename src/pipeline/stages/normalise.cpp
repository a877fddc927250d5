// Relative radiometric normalisation: the later date is brought to the earlier date's
// radiometry on pseudo-invariant pixels (core/radiometry.h), by folding a per-band gain and
// offset into its DN-to-reflectance rule, so classification thresholds mean the same on both.
#include <cmath>

#include "farmwatch/core/radiometry.h"
#include "sampling.h"
#include "stages.h"

namespace farmwatch::pipeline::stages {
namespace {

class Normalise : public Stage {
 public:
  Normalise()
      : Stage("normalise", {Product::inputs, Product::coregistration}, {Product::normalisation}) {}

 private:
  bool applies(const RunContext& ctx) const override {
    // A merge takes it from the shards (merged_calibration).
    return !ctx.options.merge_shards && ctx.compares_dates() && ctx.spec.normalise &&
           !ctx.images[0].is_class_map() && !ctx.images[1].is_class_map();
  }

  void run(RunContext& ctx, const Log& log) override {
    // Each later scene is fitted on its own: scenes of one date differ in atmosphere.
    ctx.normalisation =
        for_each_later_scene(ctx, [&](io::ImageInfo& s) { return fit_scene(ctx, s, log); });
  }

  static nlohmann::json fit_scene(const RunContext& ctx, io::ImageInfo& after, const Log& log) {
    const io::Mosaic& before = ctx.images[0];
    const io::BandMap before_roles = before.common_roles();
    std::vector<BandRole> roles;
    for (std::size_t r = 0; r < kRoleCount; ++r)
      if (before_roles.index[r] && after.bands.index[r]) roles.push_back(static_cast<BandRole>(r));
    std::vector<std::vector<float>> x, y;
    paired_samples(read_pairs(before, io::Mosaic(after), ctx.grid,
                              sample_windows(io::footprint_on(after, ctx.grid), 256)),
                   roles, x, y);
    nlohmann::json report = {{"applied", false}, {"samples", x.empty() ? 0 : x[0].size()}};
    // A fit that took the turned vegetation for no change is not refitted here: on the samples
    // left (a town, water, evergreen fields of a generated season) the regression can be
    // ill-determined, and the change test is fitted without the season on its own
    // (stage spectral); the class maps keep the radiometry as calibrated.
    const NoChangeFit no_change = fit_no_change(roles, x, y, false);
    const auto& fit = no_change.fit;
    report["vegetation_turned_samples"] = no_change.turned;
    if (no_change.other_unchanged >= 0)
      report["other_samples_unchanged_share"] = std::round(no_change.other_unchanged * 1e3) / 1e3;
    if (!fit) {
      report["note"] = "too few clear pixels in common: radiometry left as calibrated";
      log.warn("radiometric normalisation of '" + after.path +
               "': " + report["note"].get<std::string>());
      return report;
    }
    report["invariant_pixels"] = fit->invariant;
    // Which first split of IR-MAD the fit came from (core/radiometry.h Normalisation::start).
    report["irmad_start"] = irmad_start_name(fit->start);
    report["iterations"] = fit->iterations;
    if (no_change.season_absorbed) {
      report["note"] =
          "the fit took vegetation turned to soil or back (the season, or change over most of "
          "the scene) for no change: radiometry left as calibrated";
      log.warn("radiometric normalisation of '" + after.path +
               "': " + report["note"].get<std::string>());
      return report;
    }
    bool plausible = true;
    for (std::size_t j = 0; j < roles.size(); ++j) {
      const auto& f = fit->bands[j];
      report["bands"][role_name(roles[j])] = {
          {"gain", std::round(f.gain * 1e4) / 1e4},
          {"offset", std::round(f.offset * 1e5) / 1e5},
          {"correlation", std::round(f.correlation * 1e4) / 1e4}};
      plausible = plausible && f.gain > 0.5 && f.gain < 2 && std::fabs(f.offset) < 0.2;
    }
    if (!plausible) {
      report["note"] =
          "a band's fit is implausible (gain outside 0.5-2 or offset over 0.2): not applied";
      log.warn("radiometric normalisation of '" + after.path +
               "': " + report["note"].get<std::string>());
      return report;
    }
    // later ~= gain * earlier + offset, so the later date's reflectance becomes
    // (DN * mult + add - offset) / gain.
    for (std::size_t j = 0; j < roles.size(); ++j) {
      auto& c = after.calibration[static_cast<std::size_t>(roles[j])];
      const auto& f = fit->bands[j];
      c = {c.mult / f.gain, (c.add - f.offset) / f.gain};
    }
    report["applied"] = true;
    log.info("radiometric normalisation of '" + after.path + "' on " +
             std::to_string(fit->invariant) + " pseudo-invariant pixels");
    return report;
  }
};

}  // namespace

std::unique_ptr<Stage> normalise() { return std::make_unique<Normalise>(); }

}  // namespace farmwatch::pipeline::stages
