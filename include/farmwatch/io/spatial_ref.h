#pragma once
// Coordinate reference systems as WKT strings, so callers need not see OGR types.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "farmwatch/core/geo.h"

namespace farmwatch::io {

/// WKT of a CRS given as "EPSG:4527", a PROJ string or WKT; ConfigError if PROJ rejects it.
std::string crs_from_user(const std::string& text);
/// Whether two WKT strings describe the same CRS (axis order ignored).
bool same_crs(const std::string& a, const std::string& b);
/// Short name of a CRS, e.g. "CGCS2000 / 3-degree Gauss-Kruger CM 117E" (+ " (EPSG:4527)").
std::string crs_label(const std::string& wkt);
/// "EPSG:4527" when the CRS has an authority code, else empty.
std::string crs_code(const std::string& wkt);
/// Whether the CRS is geographic (degrees).
bool is_geographic(const std::string& wkt);
/// A point transformed from one CRS to another.
void transform_point(double& x, double& y, const std::string& from_wkt, const std::string& to_wkt);
/// Bounding box of `box` transformed from one CRS to another (edges densified).
Box transform_box(const Box& box, const std::string& from_wkt, const std::string& to_wkt);

/// The bounding box of a geometry (WKB), in its own coordinates; empty Box if unreadable.
Box wkb_envelope(const std::vector<std::uint8_t>& wkb);
/// A geometry (WKB) as a compact GeoJSON geometry object (keys in alphabetical order),
/// coordinates to 1e-7 without trailing zeros. With `rfc7946`, polygon exterior rings are
/// counter-clockwise and holes clockwise (RFC 7946 section 3.1.6). ProcessingError if the
/// WKB cannot be decoded.
std::string wkb_to_geojson(const std::vector<std::uint8_t>& wkb, bool rfc7946 = false);
/// The viewer's compact form of a lon/lat geometry: Polygon and MultiPolygon rings as flat
/// arrays of integer steps of 1e-7 degree (first point absolute, then differences), marked
/// "q": 1 (decoded by viewer/src/main.js); other geometries as wkb_to_geojson.
std::string wkb_to_viewer_json(const std::vector<std::uint8_t>& wkb);

/// Geometries (WKB) from one CRS to WGS84 longitude/latitude (RFC 7946 order).
class ToLonLat {
 public:
  explicit ToLonLat(const std::string& from_wkt);
  ~ToLonLat();
  std::vector<std::uint8_t> operator()(const std::vector<std::uint8_t>& wkb) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace farmwatch::io
