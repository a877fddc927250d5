#pragma once
// farmwatch tiles: Web Mercator XYZ PNG tiles of a paletted raster.
#include <cstddef>
#include <string>

#include "farmwatch/pipeline/params.h"
#include "farmwatch/pipeline/step.h"

namespace farmwatch::pipeline {

struct TilesParams {
  std::string in, out;
  int min_zoom = -1, max_zoom = -1;  ///< -1: derived (max from the resolution, min = max - 4)
  static const ParamSet& params();
};

struct TilesResult {
  std::string dir;
  std::size_t written = 0;
  int min_zoom = 0, max_zoom = 0;
};

/// Writes `out`/z/x/y.png (EPSG:3857, 256 px, nodata transparent); the folder is swapped in
/// whole when complete. InputError for a raster that is not single-band paletted.
TilesResult tiles(const TilesParams& p, const StepEnv& env);

}  // namespace farmwatch::pipeline
