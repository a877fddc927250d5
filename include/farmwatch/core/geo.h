#pragma once
// Georeferencing value types: affine geotransform, pixel window, raster grid.
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace farmwatch {

/// Pixels on a side of a processing block and of the tiles farmwatch writes (COG blocks): the
/// default of every step's block_size.
inline constexpr int kBlockSize = 512;

/// Axis-aligned box in map units.
struct Box {
  double xmin = 0, ymin = 0, xmax = 0, ymax = 0;
  bool empty() const { return !(xmax > xmin && ymax > ymin); }
  Box intersect(const Box& o) const;
  double width() const { return xmax - xmin; }
  double height() const { return ymax - ymin; }
};

/// GDAL-style affine transform: x = c[0] + col*c[1] + row*c[2]; y = c[3] + col*c[4] + row*c[5].
struct GeoTransform {
  std::array<double, 6> c{0, 1, 0, 0, 0, -1};
  bool north_up() const { return c[2] == 0 && c[4] == 0 && c[5] < 0; }
  double res_x() const { return c[1]; }
  double res_y() const { return -c[5]; }
  /// Ground size of a pixel along a row and down a column (map units, always positive,
  /// whatever the orientation: south-up, rotated or sheared).
  double pixel_width() const;
  double pixel_height() const;
  /// Whether pixels map to an area (determinant not zero), so map coordinates map back.
  bool invertible() const { return c[1] * c[5] - c[2] * c[4] != 0; }
  /// Map coordinates of the pixel corner (col, row), fractional allowed.
  void to_map(double col, double row, double& x, double& y) const;
  bool operator==(const GeoTransform& o) const = default;
};

/// A rectangle of pixels.
struct Window {
  int col = 0, row = 0, width = 0, height = 0;
  std::int64_t pixels() const { return std::int64_t(width) * height; }
  bool empty() const { return width <= 0 || height <= 0; }
  /// The pixels both windows cover (empty if none).
  Window intersect(const Window& o) const {
    const int c0 = std::max(col, o.col), r0 = std::max(row, o.row);
    const int c1 = std::min(col + width, o.col + o.width);
    const int r1 = std::min(row + height, o.row + o.height);
    if (c1 <= c0 || r1 <= r0) return {};
    return {c0, r0, c1 - c0, r1 - r0};
  }
  bool operator==(const Window& o) const = default;
};

/// A raster grid: size, transform and CRS (as WKT; empty = unknown).
struct Grid {
  int width = 0, height = 0;
  GeoTransform transform;
  std::string crs_wkt;

  Box extent() const;
  /// Pixel size in map units (north-up grids only).
  double res() const { return transform.res_x(); }
  /// The north-up grid covering this one, for reading it onto an analysis grid: itself when
  /// north-up; the same size and extent with the rows (and/or columns) in north-up order when
  /// only flipped (south-up: positive pixel height); otherwise (rotated or sheared terms) the
  /// bounding box of its footprint, from its north-west corner, in square pixels of the same
  /// ground area (sqrt of |determinant|). Same CRS. Requires an invertible transform.
  Grid north_up() const;
  /// Grid of `resolution` over `box` snapped outward to multiples of the resolution.
  static Grid snapped(const Box& box, double resolution, std::string crs_wkt);
  /// Windows of block_w x block_h covering the grid in row-major order (edge blocks clipped).
  std::vector<Window> blocks(int block_w, int block_h) const;
  /// Sub-grid covering a window of this grid.
  Grid subgrid(const Window& w) const;
  /// Window of this grid that covers `box` (clipped to the grid; may be empty).
  Window window_for(const Box& box) const;
};

}  // namespace farmwatch
