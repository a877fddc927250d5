#pragma once
// A step of a run. Every stage is executed the same way: skipped when it has nothing to do,
// logged under its own name, and timed into summary.json.
#include <memory>
#include <string>
#include <vector>

#include "farmwatch/pipeline/run_context.h"

namespace farmwatch::pipeline {

/// What a stage hands to later ones through the run context. A stage names what it needs and
/// what it gives; the order of a stage list is checked against them (check_stage_order), so
/// the data flow of a run is written down and a misordered list fails at once.
enum class Product {
  inputs,           ///< scenes checked, grid, polygon layers, database (validate; screen drops)
  coregistration,   ///< the later date's shift, applied to its scenes
  normalisation,    ///< the later date's radiometric fit, folded into its calibration
  spectral_test,    ///< the calibrated spectral change test
  workspace,        ///< staging folder, scratch file names, change kernel
  farmland_raster,  ///< parcels rasterised on the grid
  landuse_change,   ///< per-pixel classes and change rasters, pixel counts
  patches,          ///< change patches with their measurements
  parcel_stats,     ///< parcel class areas, units, exemptions, patch ids and statuses
  early_rasters,    ///< the COG conversions that need no patches, started (ctx.early_rasters)
  rasters,          ///< the COG outputs and the layers to tile
  reports,          ///< GeoPackage, GeoJSON, CSV, report.html
  tiles,            ///< XYZ tiles
  /// very-high-resolution RGB: the change rasters replaced by the building method's
  building_change,
};
const char* product_name(Product p);

class Stage {
 public:
  Stage(std::string name, std::vector<Product> needs, std::vector<Product> gives)
      : name_(std::move(name)), needs_(std::move(needs)), gives_(std::move(gives)) {}
  virtual ~Stage() = default;
  const std::string& name() const { return name_; }
  const std::vector<Product>& needs() const { return needs_; }
  const std::vector<Product>& gives() const { return gives_; }
  /// Runs the stage if it applies to this run.
  void execute(RunContext& ctx);

 private:
  /// Whether the stage has work in this run (e.g. patches need two dates).
  virtual bool applies(const RunContext&) const { return true; }
  virtual void run(RunContext& ctx, const Log& log) = 0;
  std::string name_;
  std::vector<Product> needs_, gives_;
};

/// Throws std::logic_error naming the stage and the product when a stage needs something no
/// earlier stage gives (a programming error, exit 1).
void check_stage_order(const std::vector<std::unique_ptr<Stage>>& stages);

/// The stages of `farmwatch run`, in order (an explicit list: see stages.cpp).
std::vector<std::unique_ptr<Stage>> standard_stages();

}  // namespace farmwatch::pipeline
