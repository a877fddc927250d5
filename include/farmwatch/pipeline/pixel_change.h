#pragma once
// `farmwatch change` on two images with no georeference: new buildings found on the images'
// shared pixel grid (see core/building_change.h). No map outputs: no CRS, no lon/lat, no
// farmland overlay, no tiles; areas in pixels, and in m² at the stated ground pixel size.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "farmwatch/core/log.h"
#include "farmwatch/io/image_source.h"

namespace farmwatch::pipeline {

/// Ground size of a pixel assumed when the user does not give one (VHR imagery: 0.5 m).
inline constexpr double kAssumedPixelSizeM = 0.5;

struct PixelChangeRequest {
  std::string before, after, out_dir;
  std::optional<io::BandMap> bands;
  std::optional<double> pixel_size_m;  ///< absent: kAssumedPixelSizeM, with a warning
  int threads = 0;                     ///< 0: all cores
};

/// Writes DIR/change.tif (0 no change, 1 new building = 非农化, 255 nodata; no geotransform),
/// DIR/changes.csv and DIR/summary.json through a staging folder; returns the summary.
/// InputError when the images differ in size or are not RGB.
nlohmann::json run_pixel_grid_change(const PixelChangeRequest& req, const Log& log);

}  // namespace farmwatch::pipeline
