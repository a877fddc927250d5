#pragma once
// Geometry of an area's pixels as the monitoring database keeps it (EPSG:4326 lon/lat WKB):
// footprints, where a scene saw clear, and patches put back on the grid.
#include <cstdint>
#include <string>
#include <vector>

#include "farmwatch/core/geo.h"

namespace farmwatch::io {

/// A box of `crs_wkt` as a lon/lat polygon (edges densified to 16 points, so the curved
/// outline of a projected box is kept), WKB.
std::vector<std::uint8_t> box_lonlat(const Box& box, const std::string& crs_wkt);

/// The pixels of `grid` where `mask` is non-zero (row-major, grid.width x grid.height), as a
/// (multi)polygon in the grid's CRS, WKB; empty if none is set. Holes are kept.
std::vector<std::uint8_t> mask_outline(const std::vector<std::uint8_t>& mask, const Grid& grid);

/// The pixels of `grid` where `mask` is non-zero (row-major, grid.width x grid.height), as a
/// lon/lat (multi)polygon, WKB; empty if none is set. Holes are kept.
std::vector<std::uint8_t> mask_lonlat(const std::vector<std::uint8_t>& mask, const Grid& grid);

/// A lon/lat polygon put on `grid`: the window of the grid it covers and, row-major over that
/// window, 1 for the pixels whose centre is inside. Empty window if it misses the grid.
struct GridMask {
  Window window;
  std::vector<std::uint8_t> inside;
};
GridMask rasterize_lonlat(const std::vector<std::uint8_t>& wkb, const Grid& grid);

/// A geometry (WKB) of `crs_wkt` in lon/lat (EPSG:4326), WKB.
std::vector<std::uint8_t> wkb_to_lonlat(const std::vector<std::uint8_t>& wkb,
                                        const std::string& crs_wkt);

/// Area in m² on the WGS84 ellipsoid of a lon/lat (multi)polygon WKB.
double area_m2_lonlat(const std::vector<std::uint8_t>& wkb);

/// Union, intersection and difference of lon/lat (multi)polygons (WKB; empty = nothing).
std::vector<std::uint8_t> union_lonlat(const std::vector<std::vector<std::uint8_t>>& parts);
std::vector<std::uint8_t> intersection_lonlat(const std::vector<std::uint8_t>& a,
                                              const std::vector<std::uint8_t>& b);
std::vector<std::uint8_t> difference_lonlat(const std::vector<std::uint8_t>& a,
                                            const std::vector<std::uint8_t>& b);

}  // namespace farmwatch::io
