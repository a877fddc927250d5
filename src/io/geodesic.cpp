#include "farmwatch/io/geodesic.h"

#include <geodesic.h>

#include <cmath>

#include "farmwatch/core/error.h"
#include "gdal_handles.h"

namespace farmwatch::io {

struct EllipsoidalArea::Impl {
  geod_geodesic geod{};
  TransformPtr to_geographic;  // null when the CRS is geographic already
  double densify = 0;          // max edge length before transforming, in CRS units
};

EllipsoidalArea::EllipsoidalArea(const std::string& crs_wkt) : impl_(std::make_unique<Impl>()) {
  const auto srs = srs_from_wkt(crs_wkt);
  OGRErr err = OGRERR_NONE;
  const double a = srs.GetSemiMajor(&err);
  const double inv_f = srs.GetInvFlattening(&err);
  if (err != OGRERR_NONE) throw InputError("coordinate system has no ellipsoid");
  geod_init(&impl_->geod, a, inv_f == 0 ? 0 : 1.0 / inv_f);
  if (!srs.IsGeographic()) {
    OGRSpatialReference geog;
    geog.CopyGeogCSFrom(&srs);
    geog.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    impl_->to_geographic = make_transform(srs, geog);
    // Straight edges in a projected CRS are curves on the ellipsoid: densify long edges.
    impl_->densify = 50.0 / srs.GetLinearUnits();
  }
}

EllipsoidalArea::~EllipsoidalArea() = default;
EllipsoidalArea::EllipsoidalArea(EllipsoidalArea&&) noexcept = default;

namespace {
double ring_area(const geod_geodesic& geod, const OGRLinearRing& ring) {
  const int n = ring.getNumPoints();
  if (n < 4) return 0;
  std::vector<double> lat(n - 1), lon(n - 1);  // closing point omitted
  for (int i = 0; i < n - 1; ++i) {
    lon[i] = ring.getX(i);
    lat[i] = ring.getY(i);
  }
  double area = 0;
  geod_polygonarea(&geod, lat.data(), lon.data(), n - 1, &area, nullptr);
  return std::fabs(area);
}

double polygon_area(const geod_geodesic& geod, const OGRPolygon& p) {
  if (p.IsEmpty()) return 0;
  double a = ring_area(geod, *p.getExteriorRing());
  for (int i = 0; i < p.getNumInteriorRings(); ++i) a -= ring_area(geod, *p.getInteriorRing(i));
  return a;
}
}  // namespace

double EllipsoidalArea::area_m2(const std::vector<std::uint8_t>& wkb) const {
  GeometryPtr g = from_wkb(wkb);
  if (impl_->to_geographic) {
    g->segmentize(impl_->densify);
    if (g->transform(impl_->to_geographic.get()) != OGRERR_NONE)
      throw ProcessingError("cannot transform geometry to geographic coordinates");
  }
  switch (wkbFlatten(g->getGeometryType())) {
    case wkbPolygon:
      return polygon_area(impl_->geod, *g->toPolygon());
    case wkbMultiPolygon: {
      double a = 0;
      for (const auto* p : *g->toMultiPolygon()) a += polygon_area(impl_->geod, *p);
      return a;
    }
    default:
      return 0;
  }
}

}  // namespace farmwatch::io
