#include "farmwatch/io/geodesic.h"

#include <cmath>

#include "farmwatch/core/error.h"
#include "gdal_handles.h"

namespace farmwatch::io {
namespace {
constexpr double kPi = 3.14159265358979323846;
}

struct EllipsoidalArea::Impl {
  double a = 0;               // semi-major axis, m
  double e = 0;               // first eccentricity
  double one_minus_e2 = 1;    // 1 - e²
  TransformPtr to_geographic;  // null when the CRS is geographic already
  double densify = 0;          // max edge length before transforming, in CRS units

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
  /// precision and with longitudes unwrapped around it. Exact for edges that are straight in
  /// that projection; edges are at most `densify` (50 m) long, where a geodesic departs from
  /// that line by under 0.1 mm.
  double ring_area(const OGRLinearRing& ring) const {
    const int n = ring.getNumPoints();
    if (n < 4) return 0;
    const double lon0 = ring.getX(0), q0 = q(ring.getY(0));
    const double kx = a * kPi / 180, ky = a / 2;
    auto x_of = [&](int i) { return kx * std::remainder(ring.getX(i) - lon0, 360.0); };
    double twice = 0, px = 0, py = 0;  // vertex 0 is the origin
    for (int i = 1; i < n; ++i) {
      const double x = x_of(i), y = ky * (q(ring.getY(i)) - q0);
      twice += px * y - x * py;
      px = x;
      py = y;
    }
    return std::fabs(twice) / 2;
  }

  double polygon_area(const OGRPolygon& p) const {
    if (p.IsEmpty()) return 0;
    double area = ring_area(*p.getExteriorRing());
    for (int i = 0; i < p.getNumInteriorRings(); ++i) area -= ring_area(*p.getInteriorRing(i));
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
    // Edges given in degrees are densified to about the same length (50 m of latitude).
    impl_->densify = 50.0 / (a * kPi / 180);
  }
}

EllipsoidalArea::~EllipsoidalArea() = default;
EllipsoidalArea::EllipsoidalArea(EllipsoidalArea&&) noexcept = default;

double EllipsoidalArea::area_m2(const std::vector<std::uint8_t>& wkb) const {
  GeometryPtr g = from_wkb(wkb);
  g->segmentize(impl_->densify);
  if (impl_->to_geographic) {
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

}  // namespace farmwatch::io
