// Relative radiometric normalisation: the later date is brought to the earlier date's
// radiometry on pseudo-invariant pixels (core/radiometry.h), by folding a per-band gain and
// offset into its DN-to-reflectance rule, so classification thresholds mean the same on both.
#include <cmath>

#include "farmwatch/core/radiometry.h"
#include "farmwatch/core/spectral_change.h"
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
    // Unchanged ground only: vegetation that turned to soil or back is no reference for a
    // gain and offset, whatever the season (core: fit_no_change).
    const NoChangeFit no_change =
        fit_no_change(SpectralChangeTest{}, roles, x, y, TurnedSamples::left_out);
    const auto& fit = no_change.fit;
    report["vegetation_turned_samples"] = no_change.turned;
    report["fitted_without_turned_samples"] = no_change.refitted;
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
    for (double rho : fit->canonical_correlations)
      report["canonical_correlations"].push_back(std::round(rho * 1e4) / 1e4);
    bool plausible = true;
    for (std::size_t j = 0; j < roles.size(); ++j) {
      const auto& f = fit->bands[j];
      report["bands"][role_name(roles[j])] = {
          {"gain", std::round(f.gain * 1e4) / 1e4},
          {"offset", std::round(f.offset * 1e5) / 1e5},
          {"correlation", std::round(f.correlation * 1e4) / 1e4}};
      plausible = plausible && f.gain > 0.5 && f.gain < 2 && std::fabs(f.offset) < 0.2;
    }
    // A fit whose second canonical correlation is weak could not tell unchanged ground apart
    // (a generated season's village, water and evergreen fields: NIR gain 0.77 where it was 1,
    // and the class maps made a bare-soil patch of a new pond's rim).
    if (fit->canonical_correlations.size() >= 2 &&
        fit->canonical_correlations[1] < kMinSecondCanonicalCorrelation) {
      report["note"] =
          "the fit is weak (second canonical correlation under 0.6): radiometry left as "
          "calibrated";
      log.warn("radiometric normalisation of '" + after.path +
               "': " + report["note"].get<std::string>());
      return report;
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
