#include "farmwatch/io/geodesic.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "farmwatch/core/error.h"
#include "gdal_handles.h"

namespace farmwatch::io {
namespace {
constexpr double kPi = std::numbers::pi;
}

struct EllipsoidalArea::Impl {
  double a = 0;               // semi-major axis, m
  double e = 0;               // first eccentricity
  double one_minus_e2 = 1;    // 1 - e²
  TransformPtr to_geographic;  // null when the CRS is geographic already
  double densify = 0;  // max edge length: in CRS units before transforming, or degrees

  /// Snyder's q(φ) (USGS PP 1395, eq. 3-12): Lambert's cylindrical equal-area projection of
  /// the ellipsoid maps latitude φ to y = a q(φ) / 2 (eq. 10-15).
  double q(double lat_deg) const {
    const double s = std::sin(lat_deg * kPi / 180);
    if (e == 0) return 2 * s;
    const double es = e * s;
    return one_minus_e2 * (s / (1 - es * es) - std::log((1 - es) / (1 + es)) / (2 * e));
  }

  /// Area of a ring of lon/lat degrees: the shoelace formula in Lambert's cylindrical
  /// equal-area projection (x = a λ, y = a q(φ) / 2), relative to the first vertex for
  /// precision. Each longitude is unwrapped against the one before it, so a ring may cross
  /// 180° or span more than half the globe. Edges longer than `step_deg` (geographic CRSs;
  /// 0: none, projected rings were cut before they were transformed) are cut into pieces
  /// straight in longitude/latitude. Exact for edges that are straight in the equal-area
  /// projection; pieces are at most 50 m long, where a geodesic departs from that line by
  /// under 0.1 mm.
  double ring_area(const OGRLinearRing& ring, double step_deg) const {
    const int n = ring.getNumPoints();
    if (n < 4) return 0;
    const double lon0 = ring.getX(0), q0 = q(ring.getY(0));
    const double kx = a * kPi / 180, ky = a / 2;
    double twice = 0, px = 0, py = 0;  // vertex 0 is the origin
    double lon = lon0, lat = ring.getY(0);
    for (int i = 1; i < n; ++i) {
      const double dlon = std::remainder(ring.getX(i) - ring.getX(i - 1), 360.0);
      const double dlat = ring.getY(i) - lat;
      const int pieces =
          step_deg > 0 ? std::max(1, int(std::ceil(std::hypot(dlon, dlat) / step_deg))) : 1;
      for (int k = 1; k <= pieces; ++k) {
        const double t = double(k) / pieces;
        const double x = kx * (lon + dlon * t - lon0);
        const double y = ky * (q(k == pieces ? ring.getY(i) : lat + dlat * t) - q0);
        twice += px * y - x * py;
        px = x;
        py = y;
      }
      lon += dlon;
      lat = ring.getY(i);
    }
    return std::fabs(twice) / 2;
  }

  double polygon_area(const OGRPolygon& p) const {
    if (p.IsEmpty()) return 0;
    const double step = to_geographic ? 0 : densify;
    double area = ring_area(*p.getExteriorRing(), step);
    for (int i = 0; i < p.getNumInteriorRings(); ++i)
      area -= ring_area(*p.getInteriorRing(i), step);
    return area;
  }
};

EllipsoidalArea::EllipsoidalArea(const std::string& crs_wkt) : impl_(std::make_unique<Impl>()) {
  const auto srs = srs_from_wkt(crs_wkt);
  OGRErr err = OGRERR_NONE;
  const double a = srs.GetSemiMajor(&err);
  const double inv_f = srs.GetInvFlattening(&err);
  if (err != OGRERR_NONE) throw InputError("coordinate system has no ellipsoid");
  const double f = inv_f == 0 ? 0 : 1.0 / inv_f;
  impl_->a = a;
  impl_->one_minus_e2 = (1 - f) * (1 - f);
  impl_->e = std::sqrt(1 - impl_->one_minus_e2);
  if (!srs.IsGeographic()) {
    OGRSpatialReference geog;
    geog.CopyGeogCSFrom(&srs);
    geog.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    impl_->to_geographic = make_transform(srs, geog);
    // Straight edges in a projected CRS are curves on the ellipsoid: densify long edges.
    impl_->densify = 50.0 / srs.GetLinearUnits();
  } else {
    // Edges given in degrees are cut in ring_area, after longitudes are unwrapped, to about
    // the same length (50 m of latitude).
    impl_->densify = 50.0 / (a * kPi / 180);
  }
}

EllipsoidalArea::~EllipsoidalArea() = default;
EllipsoidalArea::EllipsoidalArea(EllipsoidalArea&&) noexcept = default;

double EllipsoidalArea::area_m2(const std::vector<std::uint8_t>& wkb) const {
  GeometryPtr g = from_wkb(wkb);
  if (impl_->to_geographic) {
    g->segmentize(impl_->densify);
    if (g->transform(impl_->to_geographic.get()) != OGRERR_NONE)
      throw ProcessingError("cannot transform geometry to geographic coordinates");
  }
  switch (wkbFlatten(g->getGeometryType())) {
    case wkbPolygon:
      return impl_->polygon_area(*g->toPolygon());
    case wkbMultiPolygon: {
      double a = 0;
      for (const auto* p : *g->toMultiPolygon()) a += impl_->polygon_area(*p);
      return a;
    }
    default:
      return 0;
  }
}

double mean_pixel_area_m2(const Grid& grid) {
  if (grid.crs_wkt.empty() || grid.width <= 0 || grid.height <= 0) return grid.res() * grid.res();
  const Box e = grid.extent();
  OGRPolygon poly;
  OGRLinearRing ring;
  for (auto [x, y] : {std::pair{e.xmin, e.ymin},
                      {e.xmax, e.ymin},
                      {e.xmax, e.ymax},
                      {e.xmin, e.ymax},
                      {e.xmin, e.ymin}})
    ring.addPoint(x, y);
  poly.addRing(&ring);
  std::vector<std::uint8_t> wkb(static_cast<std::size_t>(poly.WkbSize()));
  poly.exportToWkb(wkbNDR, wkb.data());
  return EllipsoidalArea(grid.crs_wkt).area_m2(wkb) /
         (static_cast<double>(grid.width) * grid.height);
}

}  // namespace farmwatch::io
