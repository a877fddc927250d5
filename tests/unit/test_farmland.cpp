#include <gtest/gtest.h>
#include <ogrsf_frmts.h>

#include <filesystem>
#include <fstream>
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

namespace {
/// A shapefile in EPSG:4527 whose .dbf is GBK (CP936), the way Chinese offices' tools write it,
/// with or without the .cpg that says so and with the .dbf's code page byte cleared.
void write_gbk_shapefile(const std::string& path, bool keep_cpg) {
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("ESRI Shapefile");
  std::unique_ptr<GDALDataset> ds(drv->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  OGRSpatialReference srs;
  srs.importFromEPSG(4527);
  const char* opts[] = {"ENCODING=CP936", nullptr};
  OGRLayer* l = ds->CreateLayer("parcels", &srs, wkbPolygon, const_cast<char**>(opts));
  OGRFieldDefn id("地块编号", OFTString), village("村名称", OFTString);
  ASSERT_EQ(l->CreateField(&id), OGRERR_NONE);
  ASSERT_EQ(l->CreateField(&village), OGRERR_NONE);
  int k = 0;
  for (const char* name : {"东湖村001", "西岗村002"}) {
    OGRFeature f(l->GetLayerDefn());
    f.SetField("地块编号", name);
    f.SetField("村名称", k ? "西岗村" : "东湖村");
    OGRGeometry* g = nullptr;
    const std::string wkt = square(39500000 + 200 * k++, 3500000, 100);
    OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &g);
    f.SetGeometryDirectly(g);
    ASSERT_EQ(l->CreateFeature(&f), OGRERR_NONE);
  }
  ds.reset();
  const std::filesystem::path shp(path);
  if (!keep_cpg) std::filesystem::remove(std::filesystem::path(shp).replace_extension(".cpg"));
  std::fstream dbf(std::filesystem::path(shp).replace_extension(".dbf"),
                   std::ios::in | std::ios::out | std::ios::binary);
  dbf.seekp(29);
  dbf.put('\0');
}
}  // namespace

TEST_F(Farmland, GbkShapefileWithoutCpgIsDetectedAndReadAsUtf8) {
  for (bool cpg : {false, true}) {
    const std::string shp = dir / (cpg ? "with_cpg.shp" : "no_cpg.shp");
    write_gbk_shapefile(shp, cpg);
    io::FarmlandRequest req{shp, "", "地块编号"};
    req.name_field = "村名称";
    const auto f = io::FarmlandLayer::load(req, gk);
    ASSERT_EQ(f.size(), 2u) << shp;
    EXPECT_EQ(f.parcel_id(0), "东湖村001") << shp;
    EXPECT_EQ(f.parcel_name(1), "西岗村") << shp;
    EXPECT_EQ(f.encoding(), cpg ? "CP936" : "GB18030") << shp;
  }
}

TEST_F(Farmland, OverlapsGiveTheIntersectedEllipsoidalArea) {
  test::write_parcels(dir / "f.gpkg", {{"A", square(39500000, 3500000, 100)},
                                       {"B", square(39500100, 3500000, 100)}});
  const auto f = io::FarmlandLayer::load({dir / "f.gpkg", "", "地块编号"}, gk);
  // 40 x 20 m straddling the A/B boundary: 20 x 20 m in each; a ring touching only B's edge
  // is not B's.
  OGRGeometry* g = nullptr;
  const std::string wkt =
      "POLYGON((39500080 3500010,39500120 3500010,39500120 3500030,"
      "39500080 3500030,39500080 3500010))";
  OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &g);
  std::vector<std::uint8_t> wkb(g->WkbSize());
  g->exportToWkb(wkbNDR, wkb.data(), wkbVariantIso);
  OGRGeometryFactory::destroyGeometry(g);
  const auto o = f.overlaps(wkb);
  ASSERT_EQ(o.size(), 2u);
  // Gauss-Kruger is conformal with scale ~1 near the central meridian (x = 500 km): the
  // ellipsoidal area equals the planar one to 1e-3 here.
  EXPECT_EQ(f.parcel_id(o[0].index), "A");
  EXPECT_NEAR(o[0].area_m2, 400, 400 * 1e-3);
  EXPECT_EQ(f.parcel_id(o[1].index), "B");
  EXPECT_NEAR(o[1].area_m2, 400, 400 * 1e-3);
}

TEST_F(Farmland, FileGeodatabaseLayersAreRead) {
  // An Esri File Geodatabase (GDAL's OpenFileGDB driver writes them since 3.6), a layer in
  // CGCS2000 geographic coordinates, read onto the Gauss-Kruger grid.
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("OpenFileGDB");
  if (!drv || !drv->GetMetadataItem(GDAL_DCAP_CREATE))
    GTEST_SKIP() << "this GDAL cannot write File Geodatabases";
  const std::string gdb = dir / "parcels.gdb";
  {
    std::unique_ptr<GDALDataset> ds(drv->Create(gdb.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    ASSERT_TRUE(ds);
    OGRSpatialReference srs;
    srs.importFromEPSG(4490);
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    OGRLayer* l = ds->CreateLayer("永久基本农田", &srs, wkbPolygon, nullptr);
    ASSERT_TRUE(l);
    OGRFieldDefn id("DKBH", OFTString);
    ASSERT_EQ(l->CreateField(&id), OGRERR_NONE);
    OGRFeature f(l->GetLayerDefn());
    f.SetField("DKBH", "3401230010001");
    OGRGeometry* g = nullptr;
    const std::string wkt =
        "POLYGON((117.0 31.8,117.001 31.8,117.001 31.801,117.0 31.801,117.0 31.8))";
    OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &g);
    f.SetGeometryDirectly(g);
    ASSERT_EQ(l->CreateFeature(&f), OGRERR_NONE);
  }
  const auto f = io::FarmlandLayer::load({gdb, "永久基本农田", "DKBH"}, gk);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f.parcel_id(0), "3401230010001");
  // 0.001 degree square near 117 E (the zone's central meridian), 31.8 N: ~94.7 x 110.9 m.
  const Box e = f.extent();
  EXPECT_NEAR(e.width(), 94.7, 0.5);
  EXPECT_NEAR(e.height(), 110.9, 0.5);
}

TEST_F(Farmland, TextInAnUndetectableEncodingIsRefusedAskingForACpg) {
  // Bytes that are neither UTF-8 nor GBK (0xFF never occurs in either), no .cpg.
  const std::string shp = dir / "odd.shp";
  {
    GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("ESRI Shapefile");
    std::unique_ptr<GDALDataset> ds(drv->Create(shp.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    OGRSpatialReference srs;
    srs.importFromEPSG(4527);
    const char* opts[] = {"ENCODING=", nullptr};
    OGRLayer* l = ds->CreateLayer("odd", &srs, wkbPolygon, const_cast<char**>(opts));
    OGRFieldDefn id("DKBH", OFTString);
    ASSERT_EQ(l->CreateField(&id), OGRERR_NONE);
    OGRFeature f(l->GetLayerDefn());
    CPLPushErrorHandler(CPLQuietErrorHandler);
    f.SetField("DKBH",
               "\xff\xfe"
               "01");
    CPLPopErrorHandler();
    OGRGeometry* g = nullptr;
    const std::string wkt = square(39500000, 3500000, 100);
    OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &g);
    f.SetGeometryDirectly(g);
    ASSERT_EQ(l->CreateFeature(&f), OGRERR_NONE);
  }
  std::filesystem::remove(dir / "odd.cpg");
  try {
    io::FarmlandLayer::load({shp, "", "DKBH"}, gk);
    FAIL() << "an undetectable encoding was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("neither UTF-8 nor GBK"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("odd.shp"), std::string::npos) << e.what();
  }
}
