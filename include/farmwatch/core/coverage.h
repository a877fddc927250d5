#pragma once
// Exact cell-coverage fractions of polygons on a grid: the share of each cell's area that a
// polygon covers, as exactextract computes them, so per-parcel class areas need no
// centre-of-cell approximation (a 10 m pixel on a 30 m-wide parcel's edge counts for what it
// covers, not all or nothing).
#include <functional>
#include <vector>

#include "farmwatch/core/geo.h"

namespace farmwatch {

/// A ring's vertices in the grid's CRS; closed or not (the last edge is implied).
struct Ring {
  std::vector<double> x, y;
};
/// One polygon: its outer ring first, then its holes.
using PolygonRings = std::vector<Ring>;

/// Calls `visit(row, col, fraction)` for every cell of `grid` that the union of `parts` (the
/// polygons of a multipolygon, not overlapping each other) covers with a fraction above 1e-12,
/// row by row, columns ascending. Cells outside the grid are not visited.
void coverage_fractions(const Grid& grid, const std::vector<PolygonRings>& parts,
                        const std::function<void(int row, int col, double fraction)>& visit);

}  // namespace farmwatch
