#pragma once
// Tile matrix sets (OGC Two Dimensional Tile Matrix Set 2.0) that farmwatch publishes tiles in:
// WebMercatorQuad (EPSG:3857, XYZ numbering as OSM/OpenLayers) and Tianditu "c" (天地图 经纬度,
// CGCS2000 EPSG:4490: WorldCRS84Quad with levels numbered from 1).
#include <string>
#include <vector>

#include "farmwatch/core/geo.h"

namespace farmwatch {

inline constexpr int kTileSize = 256;  ///< pixels per tile side, both sets

/// One tile: `z` is the level as the set numbers it (Web Mercator from 0, Tianditu from 1),
/// `x` the column from the origin eastwards, `y` the row from the origin southwards (XYZ).
struct TileAddress {
  int z = 0, x = 0, y = 0;
  bool operator==(const TileAddress& o) const = default;
  auto operator<=>(const TileAddress& o) const = default;
};

/// A quad-tree tile matrix set with its origin at the top-left corner: level `first_level` is
/// `width0` x 1 tiles of `span0` CRS units; each further level halves the tile span.
struct TileMatrixSet {
  std::string id;        ///< "webmercator" or "tianditu-c": the name in options and folders
  std::string ogc_id;    ///< the OGC TMS identifier ("WebMercatorQuad") or our own
  std::string crs;       ///< "EPSG:3857" or "EPSG:4490"
  bool geographic = false;  ///< CRS units are degrees (x = longitude, y = latitude)
  double origin_x = 0, origin_y = 0;  ///< top-left corner, CRS units (x east, y north)
  double span0 = 0;      ///< tile side at first_level, CRS units
  int width0 = 1;        ///< tiles across at first_level (one row)
  int first_level = 0;   ///< the number of the coarsest level
  int last_level = 24;   ///< the deepest level farmwatch renders
  /// Valid area, CRS units: Web Mercator stops at ±85.0511° (y = ±origin_y).
  Box valid_area() const;

  /// Bounds of a tile in the set's CRS (x east, y north).
  Box tile_bounds(const TileAddress& t) const;
  /// Pixel size at `level`, CRS units.
  double resolution(int level) const;
  /// Pixel size at `level` in metres on the ground at latitude 0 (along a meridian for
  /// Tianditu: 1° = 111,320 m), to compare levels of both sets with a raster's resolution.
  double ground_resolution(int level) const;
  /// Tiles across and down at `level`.
  int matrix_width(int level) const;
  int matrix_height(int level) const;
  /// Tiles of `level` that intersect `box` (CRS units), ordered by x then y.
  std::vector<TileAddress> tiles_covering(const Box& box, int level) const;
  /// The coarsest level whose pixel is no larger than `metres` (see ground_resolution).
  int level_for_ground_resolution(double metres) const;
};

/// EPSG:3857 XYZ tiles: level 0 is one tile, origin (-20037508.34, 20037508.34).
const TileMatrixSet& web_mercator_quad();
/// Tianditu "c" (TILEMATRIXSET=c): level 1 is 2 x 1 tiles of 180°, origin (-180, 90).
const TileMatrixSet& tianditu_c();
/// The set named `id` ("webmercator", "tianditu-c"); nullptr if none is.
const TileMatrixSet* tile_matrix_set(const std::string& id);

}  // namespace farmwatch
