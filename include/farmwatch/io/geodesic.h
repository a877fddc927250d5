#pragma once
// Areas on the ellipsoid (国土调查 practice), with PROJ's geodesic routines (Karney 2013).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace farmwatch::io {

class EllipsoidalArea {
 public:
  /// Polygons will be given in `crs_wkt`; areas are measured on that CRS's own ellipsoid.
  explicit EllipsoidalArea(const std::string& crs_wkt);
  ~EllipsoidalArea();
  EllipsoidalArea(EllipsoidalArea&&) noexcept;
  /// Area in m² of a polygon or multipolygon (WKB), holes subtracted.
  double area_m2(const std::vector<std::uint8_t>& wkb) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace farmwatch::io
