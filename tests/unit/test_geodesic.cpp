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

TEST(EllipsoidalArea, GeographicPolygonsAreExactFromTheirCornersAndAcrossTheAntimeridian) {
  io::setup_gdal(nullptr);
  // Meridians and parallels are the straight lines of the equal-area cylinder the area is
  // measured on: four corners are enough, and a cell across 180° is the same cell.
  const io::EllipsoidalArea area(io::crs_from_user("EPSG:4490"));
  const double expected = band_area(6378137.0, 1 / 298.257222101, 60, 60.5, 0.5);
  EXPECT_NEAR(area.area_m2(wkb_of("POLYGON((10 60,10.5 60,10.5 60.5,10 60.5,10 60))")), expected,
              expected * 1e-9);
  EXPECT_NEAR(area.area_m2(wkb_of("POLYGON((179.75 60,-179.75 60,-179.75 60.5,179.75 60.5,"
                                  "179.75 60))")),
              expected, expected * 1e-9);
  // Slanted edges across 180°: the same shape 170° further west has the same area.
  EXPECT_NEAR(area.area_m2(wkb_of("POLYGON((179.8 10,-179.9 10.1,-179.9 10.5,179.8 10.4,"
                                  "179.8 10))")),
              area.area_m2(wkb_of("POLYGON((9.8 10,10.1 10.1,10.1 10.5,9.8 10.4,9.8 10))")),
              1e-6 * area.area_m2(wkb_of("POLYGON((9.8 10,10.1 10.1,10.1 10.5,9.8 10.4,9.8 10))")));
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

TEST(GeoJson, PolygonsAreWrittenCompactlyToOneTenMillionthOfADegree) {
  io::setup_gdal(nullptr);
  // Keys in alphabetical order (as the viewer's JSON), trailing zeros cut, one decimal kept.
  const auto wkb = wkb_of(
      "MULTIPOLYGON (((117.01500361 31.852618, 117.0150035 31.85, 117.1 31.85, 117.01500361 "
      "31.852618)), ((118 30, 118.5 30, 118.5 30.5, 118 30)))");
  const std::string js = io::wkb_to_geojson(wkb);
  EXPECT_EQ(js,
            R"({"coordinates":[[[[117.0150036,31.852618],[117.0150035,31.85],[117.1,31.85],)"
            R"([117.0150036,31.852618]]],[[[118.0,30.0],[118.5,30.0],[118.5,30.5],[118.0,30.0]]]],)"
            R"("type":"MultiPolygon"})");
  // Other geometries go through GDAL.
  EXPECT_NE(io::wkb_to_geojson(wkb_of("POINT (1 2)")).find("Point"), std::string::npos);
}

TEST(GeoJson, Rfc7946MakesExteriorRingsCounterClockwiseAndHolesClockwise) {
  io::setup_gdal(nullptr);
  // Exterior clockwise, hole counter-clockwise: both reversed.
  const auto wkb = wkb_of("POLYGON ((0 0, 0 10, 10 10, 10 0, 0 0), (2 2, 4 2, 4 4, 2 4, 2 2))");
  EXPECT_EQ(io::wkb_to_geojson(wkb, /*rfc7946=*/true),
            R"({"coordinates":[[[0.0,0.0],[10.0,0.0],[10.0,10.0],[0.0,10.0],[0.0,0.0]],)"
            R"([[2.0,2.0],[2.0,4.0],[4.0,4.0],[4.0,2.0],[2.0,2.0]]],"type":"Polygon"})");
  // Without the flag the rings stay as they are.
  EXPECT_NE(io::wkb_to_geojson(wkb).find("[[[0.0,0.0],[0.0,10.0]"), std::string::npos);
}

TEST(GeoJson, TransformedBoxesMatchGdalsTransformBounds) {
  io::setup_gdal(nullptr);
  const std::string utm = io::crs_from_user("EPSG:32650"), cgcs = io::crs_from_user("EPSG:4490");
  const Box b{300000, 3500000, 360000, 3560000};
  const Box ours = io::transform_box(b, utm, cgcs);
  OGRSpatialReference a, c;
  a.SetFromUserInput("EPSG:32650");
  c.SetFromUserInput("EPSG:4490");
  a.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  c.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> t(OGRCreateCoordinateTransformation(&a, &c));
  Box gdal;
  ASSERT_TRUE(t->TransformBounds(b.xmin, b.ymin, b.xmax, b.ymax, &gdal.xmin, &gdal.ymin,
                                 &gdal.xmax, &gdal.ymax, 21));
  EXPECT_NEAR(ours.xmin, gdal.xmin, 1e-8);
  EXPECT_NEAR(ours.ymin, gdal.ymin, 1e-8);
  EXPECT_NEAR(ours.xmax, gdal.xmax, 1e-8);
  EXPECT_NEAR(ours.ymax, gdal.ymax, 1e-8);
}

TEST(GeoJson, TheViewersOutlinesAreIntegerStepsOfOneTenMillionthOfADegree) {
  io::setup_gdal(nullptr);
  const auto wkb = wkb_of("POLYGON ((117.0150036 31.852618, 117.0151036 31.852618, "
                          "117.0151036 31.852518, 117.0150036 31.852618))");
  EXPECT_EQ(io::wkb_to_viewer_json(wkb),
            R"({"coordinates":[[1170150036,318526180,1000,0,0,-1000,-1000,1000]],"q":1,)"
            R"("type":"Polygon"})");
}
