#pragma once
// Factories of the standard stages, one per file in this folder.
#include <functional>
#include <memory>

#include "farmwatch/core/error.h"
#include "farmwatch/pipeline/run_context.h"
#include "farmwatch/pipeline/stage.h"

namespace farmwatch::pipeline::stages {

std::unique_ptr<Stage> validate();    ///< open and check every input; no output is touched
std::unique_ptr<Stage> screen();      ///< skip scenes clouded over more than max_cloud
std::unique_ptr<Stage> coregister();  ///< measure and correct the residual shift between dates
std::unique_ptr<Stage> normalise();   ///< later date's radiometry onto the earlier one's
std::unique_ptr<Stage> spectral();    ///< calibrate the spectral change test on both dates
/// a merge: the three calibrations above as the shards fitted them
std::unique_ptr<Stage> merged_calibration();
std::unique_ptr<Stage> prepare();     ///< staging folder, scratch file names
std::unique_ptr<Stage> farmland();    ///< farmland parcels onto the grid
std::unique_ptr<Stage> classify();    ///< per-pixel classification and comparison
std::unique_ptr<Stage> buildings();   ///< very-high-resolution RGB: buildings and ground
std::unique_ptr<Stage> patches();     ///< change patches
std::unique_ptr<Stage> annotate();    ///< parcel statistics, units, exemptions, patch ids
/// Starts the COG conversions that need only the per-pixel stage (land use, scene sources,
/// imagery) in the background, so they fill the cores the patch extraction leaves idle.
std::unique_ptr<Stage> start_rasters();
std::unique_ptr<Stage> rasters();     ///< COG outputs: joins start_rasters, adds change.tif
std::unique_ptr<Stage> viewer();      ///< index.html over the tiles, patches and parcels
std::unique_ptr<Stage> reports();     ///< GeoPackage, GeoJSON, CSV
std::unique_ptr<Stage> tiles();       ///< XYZ tiles

/// Below this second canonical correlation an IR-MAD fit has collapsed: the spectral test's
/// gives a warning in the summary and the log, the normalisation's is not applied. On the
/// shared OSCD cities the spectral test's is 0.70-0.95, in generated scenes where change was
/// too widespread to fit 0.11-0.45.
inline constexpr double kMinSecondCanonicalCorrelation = 0.6;
/// Smallest change region kept in change.tif (8-connected pixels), when the spectral test ran:
/// smaller ones become no change.
inline constexpr int kMinChangePixels = 9;
/// Dates further apart than this in the year (days, whatever the years) are in different
/// seasons: their change regions get the seasonal exclusion (io::SeasonalExclusion). Closer, the
/// pair is an anniversary pair, chosen so that the season has not changed, and vegetation
/// turned to soil-like ground is change (on Landsat's 30 m pixels new built-up land, mixed with
/// its gardens and trees, is soil-like to the exclusion's NIR / red test).
inline constexpr int kSameSeasonDays = 30;
/// The smallest change region the cloud screening judges: 1 ha and 100 pixels at least.
inline constexpr double kMinCloudAreaM2 = 10000;
inline constexpr std::int64_t kMinCloudPixels = 100;
/// The farthest a cloud's shadow lies from it: a cloud 2.5 km up with the sun 27 degrees above
/// the horizon.
inline constexpr double kMaxShadowDistanceM = 5000;

/// Runs `report` on each scene of the later date; returns the single scene's report, or
/// {"scenes": [...]} with each report's "image" set.
nlohmann::json for_each_later_scene(RunContext& ctx,
                                    const std::function<nlohmann::json(io::ImageInfo&)>& report);

/// Prefix of the ids of patches first found in this run: "FW" and the later date, 20240820.
std::string patch_id_prefix(const RunContext& ctx);

/// What the patches stage measures its patches on (the run's rasters and rules), for
/// io::extract_patches and a shard's io::measure_cell_patches.
io::PatchInputs patch_inputs(const RunContext& ctx);

/// The summary report of one scene of a date (validate made one per scene listed).
nlohmann::json& scene_report(RunContext& ctx, std::size_t date, const std::string& path);

/// The error of a date left without scenes, listing why each was dropped.
InputError no_usable_scene(const RunContext& ctx, std::size_t date);

}  // namespace farmwatch::pipeline::stages
