#pragma once
// farmwatch warp: an image onto a grid the way a run reads its inputs.
#include <string>

#include "farmwatch/pipeline/params.h"
#include "farmwatch/pipeline/step.h"

namespace farmwatch::pipeline {

struct WarpParams {
  std::string in, out, crs;
  double resolution = 0;  ///< CRS units
  static const ParamSet& params();
};

struct WarpResult {
  std::string path;
  int width = 0, height = 0, bands = 0;
  std::string data_type;  ///< GDAL's name, e.g. "UInt16"
};

/// Puts every band of `in` on the grid of `crs` snapped to `resolution` over the image's
/// footprint (average when coarsening, bilinear otherwise), keeping the data type and nodata,
/// and writes a tiled DEFLATE GeoTIFF atomically. InputError for an unreadable image,
/// ConfigError for an unknown CRS, ProcessingError when the output cannot be written.
WarpResult warp(const WarpParams& p, const StepEnv& env);

}  // namespace farmwatch::pipeline
