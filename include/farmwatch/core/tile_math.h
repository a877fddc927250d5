#pragma once
// Web Mercator (EPSG:3857) XYZ tile addressing, as used by OSM/Leaflet/OpenLayers.
#include <vector>

#include "farmwatch/core/geo.h"

namespace farmwatch {

inline constexpr double kWebMercatorHalfWorld = 20037508.342789244;  // metres
inline constexpr int kTileSize = 256;

struct TileAddress {
  int z = 0, x = 0, y = 0;
  bool operator==(const TileAddress& o) const = default;
};

/// Bounds of a tile in EPSG:3857 metres.
Box tile_bounds(const TileAddress& t);
/// Ground size of one tile pixel at zoom z (metres, at the equator).
double tile_resolution(int z);
/// The coarsest zoom whose pixel is no larger than `resolution_m` (clamped to 0..24).
int zoom_for_resolution(double resolution_m);
/// Tiles of zoom z that intersect `box` (EPSG:3857 metres), in z/x/y order.
std::vector<TileAddress> tiles_covering(const Box& box, int z);

}  // namespace farmwatch
