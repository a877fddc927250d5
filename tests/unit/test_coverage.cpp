// Cell-coverage fractions against an independent computation: GEOS intersecting every cell's
// square with the polygon, on awkward shapes.
#include <geos_c.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>

#include "farmwatch/core/coverage.h"

using namespace farmwatch;

namespace {

/// A 30 x 20 grid of 10 m cells at (500000, 3500000).
Grid grid() {
  Grid g;
  g.width = 30;
  g.height = 20;
  g.transform.c = {500000, 10, 0, 3500000, 0, -10};
  return g;
}

/// Rings from coordinates in cell units relative to the grid origin (x right, y down).
Ring ring(std::vector<std::pair<double, double>> pts) {
  Ring r;
  for (auto [c, row] : pts) {
    r.x.push_back(500000 + 10 * c);
    r.y.push_back(3500000 - 10 * row);
  }
  return r;
}

std::string wkt(const std::vector<PolygonRings>& parts) {
  std::ostringstream s;
  s.precision(17);
  s << "MULTIPOLYGON(";
  for (std::size_t p = 0; p < parts.size(); ++p) {
    s << (p ? "," : "") << "(";
    for (std::size_t k = 0; k < parts[p].size(); ++k) {
      const Ring& r = parts[p][k];
      s << (k ? "," : "") << "(";
      for (std::size_t i = 0; i <= r.x.size(); ++i) {
        const std::size_t j = i % r.x.size();
        s << (i ? "," : "") << r.x[j] << " " << r.y[j];
      }
      s << ")";
    }
    s << ")";
  }
  s << ")";
  return s.str();
}

/// Every cell's covered fraction by GEOS: area of (cell square intersection polygon) / cell.
std::map<std::pair<int, int>, double> geos_fractions(const std::vector<PolygonRings>& parts) {
  GEOSContextHandle_t h = GEOS_init_r();
  GEOSWKTReader* rd = GEOSWKTReader_create_r(h);
  GEOSGeometry* poly = GEOSWKTReader_read_r(h, rd, wkt(parts).c_str());
  EXPECT_TRUE(poly && GEOSisValid_r(h, poly) == 1) << wkt(parts);
  std::map<std::pair<int, int>, double> out;
  const Grid g = grid();
  for (int r = 0; r < g.height; ++r)
    for (int c = 0; c < g.width; ++c) {
      std::ostringstream s;
      s.precision(17);
      const double x0 = 500000 + 10 * c, y0 = 3500000 - 10 * r;
      s << "POLYGON((" << x0 << " " << y0 << "," << x0 + 10 << " " << y0 << "," << x0 + 10 << " "
        << y0 - 10 << "," << x0 << " " << y0 - 10 << "," << x0 << " " << y0 << "))";
      GEOSGeometry* cell = GEOSWKTReader_read_r(h, rd, s.str().c_str());
      GEOSGeometry* x = GEOSIntersection_r(h, cell, poly);
      double a = 0;
      if (x) GEOSArea_r(h, x, &a);
      if (a > 0) out[{r, c}] = a / 100;
      if (x) GEOSGeom_destroy_r(h, x);
      GEOSGeom_destroy_r(h, cell);
    }
  GEOSGeom_destroy_r(h, poly);
  GEOSWKTReader_destroy_r(h, rd);
  GEOS_finish_r(h);
  return out;
}

void expect_same(const std::vector<PolygonRings>& parts, const char* what) {
  std::map<std::pair<int, int>, double> ours;
  coverage_fractions(grid(), parts, [&](int r, int c, double f) { ours[{r, c}] = f; });
  const auto ref = geos_fractions(parts);
  double total = 0;
  for (const auto& [rc, f] : ref) {
    total += f;
    const auto it = ours.find(rc);
    EXPECT_NEAR(it == ours.end() ? 0.0 : it->second, f, 1e-6)
        << what << " cell " << rc.first << "," << rc.second;
  }
  for (const auto& [rc, f] : ours) {
    if (!ref.count(rc)) {
      EXPECT_NEAR(f, 0.0, 1e-6) << what << " extra cell " << rc.first << "," << rc.second;
    }
  }
  EXPECT_GT(total, 0) << what;
}

}  // namespace

TEST(Coverage, MatchesGeosOnAwkwardPolygons) {
  // A skewed quadrilateral with fractional corners.
  expect_same({{ring({{2.3, 1.7}, {11.8, 3.2}, {9.4, 12.9}, {1.1, 8.6}})}}, "quadrilateral");
  // A sliver: a triangle 0.02 cells wide across 20 cells.
  expect_same({{ring({{3.1, 15.05}, {23.3, 15.07}, {23.3, 15.09}})}}, "sliver");
  // A field with a hole (a farmstead), clockwise outer ring and counter-clockwise hole.
  expect_same({{ring({{14.2, 2.1}, {14.2, 11.6}, {27.5, 11.6}, {27.5, 2.1}}),
                ring({{18.5, 4.5}, {22.25, 4.5}, {22.25, 8.75}, {18.5, 8.75}})}},
              "hole");
  // A multipolygon: two parts, one of them a parcel smaller than a cell inside one cell, and
  // one across four cells' corner.
  expect_same({{ring({{5.2, 17.2}, {5.7, 17.2}, {5.7, 17.6}, {5.2, 17.6}})},
               {ring({{7.6, 17.5}, {8.4, 17.5}, {8.4, 18.3}, {7.6, 18.3}})}},
              "multipart");
  // Non-convex (an L with a notch), partly beyond the grid's east and south edges.
  expect_same({{ring({{24.5, 13.5},
                      {32.0, 13.5},
                      {32.0, 21.0},
                      {27.0, 21.0},
                      {27.0, 17.0},
                      {25.5, 18.5},
                      {24.5, 15.5}})}},
              "non-convex, off the grid");
}

TEST(Coverage, FractionsOfACellSizedSquareOnTheGridAreOne) {
  std::vector<std::pair<int, int>> cells;
  coverage_fractions(grid(), {{ring({{4, 6}, {6, 6}, {6, 8}, {4, 8}})}},
                     [&](int r, int c, double f) {
                       EXPECT_NEAR(f, 1.0, 1e-12);
                       cells.emplace_back(r, c);
                     });
  EXPECT_EQ(cells, (std::vector<std::pair<int, int>>{{6, 4}, {6, 5}, {7, 4}, {7, 5}}));
}
