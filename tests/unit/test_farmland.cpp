#include <gtest/gtest.h>
#include <ogrsf_frmts.h>

#include <utility>

#include "farmwatch/core/error.h"
#include "farmwatch/io/farmland.h"
#include "farmwatch/io/gdal_setup.h"
#include "farmwatch/io/spatial_ref.h"
#include "test_support.h"

using namespace farmwatch;

namespace {
std::string square(double x, double y, double s) {
  auto p = [](double a, double b) { return std::to_string(a) + " " + std::to_string(b); };
  return "POLYGON((" + p(x, y) + "," + p(x + s, y) + "," + p(x + s, y + s) + "," + p(x, y + s) +
         "," + p(x, y) + "))";
}

class Farmland : public ::testing::Test {
 protected:
  void SetUp() override {
    io::setup_gdal(nullptr);
    gk = io::crs_from_user("EPSG:4527");
  }
  test::TempDir dir;
  std::string gk;
};
}  // namespace

TEST_F(Farmland, LoadsSortedParcelsAndFindsIntersectingOnes) {
  test::write_parcels(dir / "f.gpkg", {{"B2", square(39500100, 3500000, 100)},
                                       {"A1", square(39500000, 3500000, 100)}});
  const auto f = io::FarmlandLayer::load({dir / "f.gpkg", "", "地块编号"}, gk);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f.parcel_id(0), "A1");
  // A polygon inside A1 only.
  OGRGeometry* g = nullptr;
  const std::string wkt = square(39500010, 3500010, 20);
  OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &g);
  std::vector<std::uint8_t> wkb(g->WkbSize());
  g->exportToWkb(wkbNDR, wkb.data(), wkbVariantIso);
  EXPECT_EQ(f.parcels_intersecting(wkb), (std::vector<std::string>{"A1"}));
  OGRGeometryFactory::destroyGeometry(g);
  // A polygon inside A1 along its east edge shares only a line with B2: not B2's.
  const std::string edge = square(39500080, 3500010, 20);
  OGRGeometryFactory::createFromWkt(edge.c_str(), nullptr, &g);
  wkb.resize(g->WkbSize());
  g->exportToWkb(wkbNDR, wkb.data(), wkbVariantIso);
  EXPECT_EQ(f.parcels_intersecting(wkb), (std::vector<std::string>{"A1"}));
  OGRGeometryFactory::destroyGeometry(g);
}

TEST_F(Farmland, InvalidGeometryIsRepairedAndListedWithTheReason) {
  test::write_parcels(dir / "bad.gpkg",
                      {{"ok", square(39500000, 3500000, 100)},
                       {"bowtie",
                        "POLYGON((39500000 3500200,39500100 3500300,39500100 3500200,"
                        "39500000 3500300,39500000 3500200))"}});
  const auto f = io::FarmlandLayer::load({dir / "bad.gpkg", "", "地块编号"}, gk);
  ASSERT_EQ(f.size(), 2u);
  ASSERT_EQ(f.repaired().size(), 1u);
  EXPECT_NE(f.repaired()[0].find("bowtie"), std::string::npos) << f.repaired()[0];
  EXPECT_NE(f.repaired()[0].find("Self-intersection"), std::string::npos) << f.repaired()[0];
  // Two triangles of 50 x 100 / 2 each: the bow-tie's area is kept, as two parts.
  const auto rings = f.parcel_rings(0);  // "bowtie" sorts before "ok"
  EXPECT_EQ(rings.size(), 2u);
}

TEST_F(Farmland, MissingIdFieldListsTheFields) {
  test::write_parcels(dir / "f.gpkg", {{"A1", square(39500000, 3500000, 100)}});
  try {
    io::FarmlandLayer::load({dir / "f.gpkg", "", "DKBH"}, gk);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("地块编号"), std::string::npos);
  }
}

TEST_F(Farmland, DuplicateIdsAndMissingCrsAreRejected) {
  test::write_parcels(dir / "dup.gpkg", {{"A1", square(39500000, 3500000, 100)},
                                         {"A1", square(39500200, 3500000, 100)}});
  EXPECT_THROW(io::FarmlandLayer::load({dir / "dup.gpkg", "", "地块编号"}, gk), InputError);
  test::write_parcels(dir / "nocrs.gpkg", {{"A1", square(39500000, 3500000, 100)}}, 0);
  EXPECT_THROW(io::FarmlandLayer::load({dir / "nocrs.gpkg", "", "地块编号"}, gk), InputError);
}

TEST_F(Farmland, RasterisesParcelIndexByPixelCentre) {
  test::write_parcels(dir / "f.gpkg",
                      {{"A", square(39500000, 3500000, 30)}, {"B", square(39500030, 3500000, 30)}});
  const auto f = io::FarmlandLayer::load({dir / "f.gpkg", "", "地块编号"}, gk);
  const Grid g = Grid::snapped({39500000, 3500000, 39500080, 3500030}, 10, gk);
  f.rasterize(g, dir / "p.tif");
  const auto v = test::read_band(dir / "p.tif");
  ASSERT_EQ(v.size(), 8u * 3u);
  EXPECT_EQ(v[0], 1);
  EXPECT_EQ(v[2], 1);
  EXPECT_EQ(v[3], 2);
  EXPECT_EQ(v[5], 2);
  EXPECT_EQ(v[6], 0);
}
