#pragma once
// farmwatch tiles: the one map's tiles of a raster (Web Mercator XYZ and/or 天地图 "c").
#include <string>

#include <nlohmann/json.hpp>

#include "farmwatch/pipeline/params.h"
#include "farmwatch/pipeline/step.h"

namespace farmwatch::pipeline {

struct TilesParams {
  std::string in, out;
  int min_zoom = -1, max_zoom = -1;  ///< -1: derived (max from the resolution, min = max - 6)
  std::string grid = "both";         ///< webmercator, tianditu-c or both
  std::string previous;              ///< the raster `out`'s tiles were made from (incremental)
  static const ParamSet& params();
};

struct TilesResult {
  std::string dir;
  nlohmann::json sets;  ///< as write_tile_sets returns
};

/// Writes `out`/<set>/<layer>/{z}/{x}/{y}.png (layer: the file name of `in` without its
/// extension; in an update, that of `previous` when only it names a layer in `out`) with TileJSON, MBTiles for Web Mercator, and each set's TileMatrixSet JSON. The
/// folder is swapped in whole when complete, so a failure leaves the previous tiles as they
/// were. With `previous`, only tiles over pixels that differ from it are rendered again.
/// Errors: InputError (not a class raster or RGB(A) image, no CRS, outside the grid's valid
/// area), ConfigError (levels out of range), ProcessingError (cannot write).
TilesResult tiles(const TilesParams& p, const StepEnv& env);

}  // namespace farmwatch::pipeline
