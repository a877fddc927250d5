#pragma once
// `farmwatch change` on very-high-resolution RGB: new buildings (core/building_change.h).
// Images with no georeference are compared on their shared pixel grid: no map outputs (no CRS,
// no lon/lat, no farmland overlay, no tiles); areas in pixels, and in m² at the stated ground
// pixel size. Georeferenced RGB without a near-infrared band at up to kMaxVhrPixelM (drone
// orthomosaics, aerial photos) goes through the same method on the earlier image's grid and
// gives map outputs: a georeferenced change.tif and the patches as every change run writes
// them.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "farmwatch/core/building_change.h"
#include "farmwatch/core/log.h"
#include "farmwatch/core/vhr_change_model.h"
#include "farmwatch/io/image_source.h"

namespace farmwatch::pipeline {

/// Ground size of a pixel assumed when the user does not give one (VHR imagery: 0.5 m).
inline constexpr double kAssumedPixelSizeM = 0.5;

/// Coarsest pixel, m, of georeferenced RGB sent to the building method (is_vhr_rgb).
inline constexpr double kMaxVhrPixelM = 2.0;
/// Largest georeferenced grid the building method takes (it holds the pair in memory, about
/// 90 bytes a pixel: 5.4 GB); larger ones are refused with a hint to tile or resample.
inline constexpr double kMaxVhrPixels = 60e6;

struct PixelChangeRequest {
  std::string before, after, out_dir;
  std::string date_before, date_after;  ///< georeferenced only: YYYY-MM-DD, patch ids and reports
  std::optional<io::BandMap> bands;
  std::optional<double> pixel_size_m;  ///< absent: kAssumedPixelSizeM, with a warning
  int threads = 0;                     ///< 0: all cores
  /// A change model from farmwatch train --before/--after (core/vhr_change_model.h): the
  /// building method's result and the pair's features go through it; empty: the method alone.
  std::string change_model;
};

/// Writes DIR/change.tif (0 no change, 1 new building = 非农化, 255 nodata; no geotransform),
/// DIR/changes.csv and DIR/summary.json through a staging folder; returns the summary.
/// InputError when the images differ in size or are not RGB.
nlohmann::json run_pixel_grid_change(const PixelChangeRequest& req, const Log& log);

/// True for a georeferenced image with red, green and blue bands, no near-infrared band, and
/// pixels of at most kMaxVhrPixelM on the ground (mean over its grid, on the ellipsoid).
bool is_vhr_rgb(const io::ImageInfo& info);

/// InputError naming `path` when `im` has no pixel with data (all nodata or masked): nothing
/// to standardise a change model's features by.
void require_data(const RgbImage& im, const std::string& path);

/// A change model from `farmwatch train --labels` (core/vhr_change_model.h) read from `path`.
/// InputError naming the file when it is missing, damaged or not a change model.
VhrChangeForest load_change_model(const std::string& path);

/// summary.json's "method" of the building method: its name and parameters.
nlohmann::json building_method_summary(const BuildingChangeParams& params);

/// The building method on georeferenced RGB: `after` is read onto `before`'s grid (GDAL's
/// warper, bilinear). `before`, `after`: the two images as inspected, their red, green and
/// blue bands mapped (is_vhr_rgb). Writes DIR/change.tif (0 none, 1 new building = 非农化, 255 nodata; the
/// grid's CRS and geotransform), changes.gpkg/.geojson/.csv (io/patch_writer.h) and
/// summary.json through a staging folder; returns the summary. InputError when an image lacks
/// red, green or blue, cannot be read, does not overlap the other, or the grid has more than
/// kMaxVhrPixels.
nlohmann::json run_vhr_change_on_grid(const PixelChangeRequest& req, const io::ImageInfo& before,
                                      const io::ImageInfo& after, const Log& log);

}  // namespace farmwatch::pipeline
