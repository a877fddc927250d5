#include <gtest/gtest.h>
#include <ogrsf_frmts.h>

#include <cmath>

#include "farmwatch/io/gdal_setup.h"
#include "farmwatch/io/geodesic.h"
#include "farmwatch/io/spatial_ref.h"

using namespace farmwatch;

namespace {
std::vector<std::uint8_t> wkb_of(const std::string& wkt) {
  OGRGeometry* g = nullptr;
  OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &g);
  std::vector<std::uint8_t> w(g->WkbSize());
  g->exportToWkb(wkbNDR, w.data(), wkbVariantIso);
  OGRGeometryFactory::destroyGeometry(g);
  return w;
}

/// Area between two parallels over dlon on the ellipsoid (closed form, authalic q function).
double band_area(double a, double f, double lat0, double lat1, double dlon_deg) {
  const double e2 = f * (2 - f), e = std::sqrt(e2), b = a * (1 - f);
  auto q = [&](double lat) {
    const double s = std::sin(lat * M_PI / 180);
    return s / (1 - e2 * s * s) + std::log((1 + e * s) / (1 - e * s)) / (2 * e);
  };
  return dlon_deg * M_PI / 180 * b * b * (q(lat1) - q(lat0)) / 2;
}
}  // namespace

TEST(EllipsoidalArea, MatchesTheClosedFormForAGeographicCell) {
  io::setup_gdal(nullptr);
  // A 0.1 x 0.1 degree cell at 32 N, its parallels densified so edges follow them.
  std::string wkt = "POLYGON((";
  const int n = 200;
  for (int i = 0; i <= n; ++i) wkt += std::to_string(117 + 0.1 * i / n) + " 32,";
  for (int i = n; i >= 0; --i) wkt += std::to_string(117 + 0.1 * i / n) + " 32.1,";
  wkt += "117 32))";
  const io::EllipsoidalArea area(io::crs_from_user("EPSG:4490"));  // CGCS2000, GRS80
  const double expected = band_area(6378137.0, 1 / 298.257222101, 32, 32.1, 0.1);
  EXPECT_NEAR(area.area_m2(wkb_of(wkt)), expected, expected * 1e-7);
}

TEST(EllipsoidalArea, GaussKrugerSquareNearTheCentralMeridianIsItsPlanarArea) {
  io::setup_gdal(nullptr);
  const io::EllipsoidalArea area(io::crs_from_user("EPSG:4527"));
  const double a = area.area_m2(
      wkb_of("POLYGON((39500000 3500000,39501000 3500000,39501000 3501000,39500000 3501000,"
             "39500000 3500000))"));
  EXPECT_NEAR(a, 1e6, 1.0);
}

TEST(EllipsoidalArea, HolesAreSubtracted) {
  io::setup_gdal(nullptr);
  const io::EllipsoidalArea area(io::crs_from_user("EPSG:4527"));
  const double a = area.area_m2(wkb_of(
      "POLYGON((39500000 3500000,39500100 3500000,39500100 3500100,39500000 3500100,"
      "39500000 3500000),(39500010 3500010,39500010 3500020,39500020 3500020,39500020 3500010,"
      "39500010 3500010))"));
  EXPECT_NEAR(a, 10000 - 100, 0.1);
}
