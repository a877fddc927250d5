// The spectral change test's calibration: IR-MAD fitted on sample windows of both dates as they
// will be read (after co-registration and normalisation), so the test's statistic means the
// same on every scene. The per-pixel test runs in the classify stage.
#include <cmath>
#include <cstdio>

#include "farmwatch/core/radiometry.h"
#include "farmwatch/io/geodesic.h"
#include "sampling.h"
#include "stages.h"

namespace farmwatch::pipeline::stages {
namespace {

class Spectral : public Stage {
 public:
  Spectral()
      : Stage("spectral", {Product::inputs, Product::coregistration, Product::normalisation},
              {Product::spectral_test}) {}

 private:
  bool applies(const RunContext& ctx) const override {
    // Very-high-resolution RGB: the building method compares the dates (stage "buildings").
    // A merge takes it from the shards (merged_calibration).
    return !ctx.options.merge_shards && ctx.compares_dates() && !ctx.vhr &&
           !ctx.images[0].is_class_map() && !ctx.images[1].is_class_map();
  }

  void run(RunContext& ctx, const Log& log) override {
    std::vector<BandRole> roles;
    const io::BandMap a_roles = ctx.images[0].common_roles(),
                      b_roles = ctx.images[1].common_roles();
    for (std::size_t r = 0; r < kRoleCount; ++r)
      if (a_roles.index[r] && b_roles.index[r]) roles.push_back(static_cast<BandRole>(r));
    std::vector<std::vector<float>> x, y;
    paired_samples(
        read_pairs(ctx.images[0], ctx.images[1], ctx.grid, sample_windows(ctx.grid, 256)), roles, x,
        y);
    // The season kept in the fit unless it bent it (core: fit_no_change).
    SpectralChangeTest test;
    const NoChangeFit no_change =
        fit_no_change(test, roles, x, y, TurnedSamples::left_out_if_absorbed);
    const auto& fit = no_change.fit;
    nlohmann::json& report = ctx.spectral_report;
    report = {{"applied", false}, {"samples", x.empty() ? 0 : x[0].size()}};
    report["vegetation_turned_samples"] = no_change.turned;
    if (no_change.other_unchanged >= 0)
      report["other_samples_unchanged_share"] = std::round(no_change.other_unchanged * 1e3) / 1e3;
    report["fitted_without_turned_samples"] = no_change.refitted;
    if (!fit) {
      report["note"] = "too few clear pixels in common: change from the class maps alone";
      log.warn("spectral change test: " + report["note"].get<std::string>());
      return;
    }
    test.mad = fit->mad;
    test.roles = roles;
    const double pixel_m = std::sqrt(io::mean_pixel_area_m2(ctx.grid));
    test.shift_px = misregistration_shift_px(pixel_m);
    // The season's soil on these samples (core: fit_seasonal_soil), for the seasonal exclusion.
    test.soil = fit_seasonal_soil(test, roles, x, y);
    ctx.spectral = test;
    report["applied"] = true;
    // A collapsed fit: the no-change pixels could not be told apart (change so widespread that
    // the pixels below either split were mostly changed ones); its map is not to be trusted.
    // On the shared OSCD cities the second canonical correlation is 0.70-0.95.
    if (fit->canonical_correlations.size() >= 2 &&
        fit->canonical_correlations[1] < kMinSecondCanonicalCorrelation) {
      char rho[16];
      std::snprintf(rho, sizeof rho, "%.2f", fit->canonical_correlations[1]);
      report["warning"] = std::string("the calibration is weak (second canonical correlation ") +
                          rho +
                          "): change may be so widespread that unchanged land could not be "
                          "told apart; the change map is not to be trusted";
      log.warn("spectral change test: " + report["warning"].get<std::string>());
    }
    for (BandRole r : roles) report["bands"].push_back(role_name(r));
    for (double rho : fit->canonical_correlations)
      report["canonical_correlations"].push_back(std::round(rho * 1e4) / 1e4);
    report["invariant_pixels"] = fit->invariant;
    // Which first split of IR-MAD the fit came from (core/radiometry.h Normalisation::start).
    report["irmad_start"] = irmad_start_name(fit->start);
    report["false_alarm_rate"] = test.false_alarm;
    report["threshold_chi_square"] = std::round(test.threshold() * 100) / 100;
    report["seed_false_alarm_rate"] = test.seed_false_alarm;
    report["seed_threshold_chi_square"] = std::round(test.seed_threshold() * 100) / 100;
    nlohmann::json soil = {{"samples", test.soil.pixels}, {"modes", nlohmann::json::array()}};
    const char* names[4] = {"blue_red", "green_red", "nir_red", "red"};
    for (const auto& mode : test.soil.modes) {
      nlohmann::json m = {{"samples", mode.pixels}};
      for (std::size_t k = 0; k < 4; ++k)
        if (test.soil.features[k])
          m[names[k]] = {{"median", std::round(std::exp(mode.median[k]) * 1e4) / 1e4},
                         {"spread_ln", std::round(mode.spread[k] * 1e4) / 1e4}};
      soil["modes"].push_back(m);
    }
    report["seasonal_soil"] = soil;
    report["vegetation_ndvi"] = test.vegetation_ndvi;
    report["soil_nir_red"] = test.soil_nir_red;
    report["misregistration_tolerance_m"] = kMisregistrationToleranceM;
    report["shift_px"] = test.shift_px;
    report["min_pixels"] = kMinChangePixels;
  }
};

}  // namespace

std::unique_ptr<Stage> spectral() { return std::make_unique<Spectral>(); }

}  // namespace farmwatch::pipeline::stages
