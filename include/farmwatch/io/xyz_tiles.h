#pragma once
// XYZ PNG tiles (EPSG:3857, z/x/y.png) of a paletted class raster, nodata transparent
// (and the values listed in the raster's FARMWATCH_TRANSPARENT_VALUES metadata item).
#include <cstddef>
#include <string>

#include "farmwatch/core/geo.h"
#include "farmwatch/core/log.h"

namespace farmwatch::io {

struct TileRequest {
  std::string raster;   ///< single-band Byte raster with a colour table (nodata 255)
  std::string out_dir;  ///< tiles go to out_dir/z/x/y.png
  int min_zoom = -1;    ///< -1: max_zoom - 4
  int max_zoom = -1;    ///< -1: the zoom whose pixels match the raster's resolution
};

struct TileStats {
  std::size_t written = 0;
  std::size_t empty = 0;  ///< fully transparent tiles, not written
  int min_zoom = 0, max_zoom = 0;
};

/// Renders every tile that covers the raster. Each tile is warped (nearest) from the source
/// independently at its exact Web Mercator bounds, so neighbours agree along their borders.
/// Runs in parallel under the caller's TBB thread limit; output does not depend on it.
TileStats write_xyz_tiles(const TileRequest& req, const Log& log);

}  // namespace farmwatch::io
