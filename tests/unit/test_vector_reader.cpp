// One way of reading vector layers: text decoded to UTF-8 whatever the shapefile claims (or
// refused), curves made linear, failures naming the file.
#include <gtest/gtest.h>
#include <ogrsf_frmts.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "farmwatch/core/error.h"
#include "farmwatch/core/text_encoding.h"
#include "farmwatch/io/farmland.h"
#include "farmwatch/io/gdal_setup.h"
#include "farmwatch/io/spatial_ref.h"
#include "io/vector_reader.h"
#include "test_support.h"

using namespace farmwatch;
namespace fs = std::filesystem;

namespace {

const char* kSquare =
    "POLYGON((500000 3499800,500100 3499800,500100 3499900,500000 3499900,500000 3499800))";
// Radius 50 m around (500100, 3499900); and a half disc of radius 50 m closed by its diameter.
const char* kCircle = "CURVEPOLYGON(CIRCULARSTRING(500050 3499900,500150 3499900,500050 3499900))";
const char* kHalfDisc =
    "MULTISURFACE(CURVEPOLYGON(COMPOUNDCURVE(CIRCULARSTRING(500250 3499750,500300 3499800,"
    "500350 3499750),(500350 3499750,500250 3499750))))";

class VectorReader : public ::testing::Test {
 protected:
  void SetUp() override { io::setup_gdal(nullptr); }
  test::TempDir dir;

  /// A shapefile written with `encoding` (GDAL recodes the UTF-8 values to it; "" writes the
  /// bytes as given), its .cpg then replaced by `cpg` (empty: none).
  std::string shapefile(const std::string& name, const std::string& encoding,
                        const std::vector<std::string>& fields,
                        const std::vector<std::string>& values, const std::string& cpg) {
    test::VectorSpec spec;
    spec.driver = "ESRI Shapefile";
    spec.layer = name;
    spec.fields = fields;
    spec.features = {{values, kSquare}};
    spec.layer_options = {"ENCODING=" + encoding};
    const std::string shp = dir / (name + ".shp");
    test::write_vector(shp, spec);
    fs::remove(dir / (name + ".cpg"));
    if (!cpg.empty()) std::ofstream(dir / (name + ".cpg")) << cpg;
    return shp;
  }

  static std::vector<std::string> field_names(GDALDataset& ds) {
    std::vector<std::string> out;
    OGRFeatureDefn* d = ds.GetLayer(0)->GetLayerDefn();
    for (int i = 0; i < d->GetFieldCount(); ++i) out.push_back(d->GetFieldDefn(i)->GetNameRef());
    return out;
  }
  static std::string first_value(GDALDataset& ds, int field) {
    OGRLayer* l = ds.GetLayer(0);
    l->ResetReading();
    OGRFeatureUniquePtr f(l->GetNextFeature());
    return f ? f->GetFieldAsString(field) : "";
  }
};

}  // namespace

TEST_F(VectorReader, GbkShapefileWithoutCpgIsDecodedFromGb18030) {
  const auto shp = shapefile("gbk", "CP936", {"地块编号", "村名"}, {"东湖001", "东湖村"}, "");
  const auto d = io::open_vector_decoded({shp, "farmland layer", "", false});
  EXPECT_EQ(d.encoding, "GB18030");
  EXPECT_EQ(d.encoding_source, "detected");
  EXPECT_EQ(field_names(*d.ds), (std::vector<std::string>{"地块编号", "村名"}));
  EXPECT_EQ(first_value(*d.ds, 1), "东湖村");
}

TEST_F(VectorReader, ACpgThatDoesNotDecodeTheTextIsCheckedAndOverruled) {
  // The .cpg claims UTF-8, the bytes are GBK.
  const auto shp = shapefile("liar", "CP936", {"村名"}, {"西岗村"}, "UTF-8");
  const auto d = io::open_vector_decoded({shp, "vector", "", true});
  EXPECT_EQ(d.encoding, "GB18030");
  EXPECT_EQ(first_value(*d.ds, 0), "西岗村");
}

TEST_F(VectorReader, ACpgThatDecodesTheTextIsFollowed) {
  const auto shp = shapefile("honest", "CP936", {"村名"}, {"西岗村"}, "936");
  const auto d = io::open_vector_decoded({shp, "vector", "", true});
  EXPECT_EQ(d.encoding_source, ".cpg");
  EXPECT_EQ(first_value(*d.ds, 0), "西岗村");
}

TEST_F(VectorReader, Utf8ShapefileWithoutCpgIsKept) {
  const auto shp = shapefile("utf8", "", {"村名"}, {"西岗村"}, "");
  const auto d = io::open_vector_decoded({shp, "vector", "", true});
  EXPECT_EQ(d.encoding, "UTF-8");
  EXPECT_EQ(first_value(*d.ds, 0), "西岗村");
}

TEST_F(VectorReader, BytesValidInNoEncodingAreRefusedNamingTheFileAndAskingForACpg) {
  const auto shp = shapefile("odd", "", {"NAME"},
                             {"\xFF\xFE"
                              "01"},
                             "");
  try {
    io::open_vector_decoded({shp, "vector", "", true});
    FAIL() << "text valid in no encoding was accepted";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("odd.shp"), std::string::npos) << m;
    EXPECT_NE(m.find(".cpg"), std::string::npos) << m;
    EXPECT_TRUE(is_utf8(m)) << m;
  }
}

TEST_F(VectorReader, NonUtf8TextInAGeoPackageIsRefused) {
  test::VectorSpec spec;
  spec.fields = {"name"};
  spec.features = {{{"\xB6\xAB\xBA\xFE"}, kSquare}};  // GBK bytes in a UTF-8 format
  const std::string gpkg = dir / "bad.gpkg";
  test::write_vector(gpkg, spec);
  EXPECT_THROW(io::open_vector_decoded({gpkg, "vector", "", true}), InputError);
}

TEST_F(VectorReader, CurvesAreMadeLinearWithTheirArea) {
  test::VectorSpec spec;
  spec.fields = {"id"};
  spec.features = {{{"circle"}, kCircle}, {{"half"}, kHalfDisc}};
  const std::string gpkg = dir / "curves.gpkg";
  test::write_vector(gpkg, spec);
  const auto d = io::open_vector_decoded({gpkg, "vector", "", false});
  OGRLayer& l = io::pick_layer(*d.ds, {gpkg, "vector", "", false});
  std::vector<double> areas;
  std::vector<OGRwkbGeometryType> types;
  io::for_each_feature(l, "curves", [&](OGRFeature& f) {
    const auto g = io::linear_geometry(f);
    ASSERT_TRUE(g);
    types.push_back(wkbFlatten(g->getGeometryType()));
    areas.push_back(OGR_G_Area(OGRGeometry::ToHandle(g.get())));
  });
  ASSERT_EQ(areas.size(), 2u);
  EXPECT_EQ(types[0], wkbPolygon);
  EXPECT_EQ(types[1], wkbMultiPolygon);
  EXPECT_NEAR(areas[0], M_PI * 50 * 50, 0.01 * M_PI * 50 * 50);
  EXPECT_NEAR(areas[1], M_PI * 50 * 50 / 2, 0.01 * M_PI * 50 * 50 / 2);
}

TEST_F(VectorReader, FarmlandLayerOfCurvesHasTheirExtentAndArea) {
  test::VectorSpec spec;
  spec.fields = {"id"};
  spec.features = {{{"circle"}, kCircle}, {{"half"}, kHalfDisc}};
  const std::string gpkg = dir / "curves.gpkg";
  test::write_vector(gpkg, spec);
  const auto f = io::FarmlandLayer::load({gpkg, "", "id"}, io::crs_from_user("EPSG:32650"));
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f.parcel_id(0), "circle");
  // The shoelace area of the rings the coverage code reads.
  double area = 0;
  for (const auto& poly : f.parcel_rings(0))
    for (std::size_t r = 0; r < poly.size(); ++r) {
      double a = 0;
      const auto& x = poly[r].x;
      const auto& y = poly[r].y;
      for (std::size_t k = 0; k + 1 < x.size(); ++k) a += x[k] * y[k + 1] - x[k + 1] * y[k];
      area += (r == 0 ? 1 : -1) * std::fabs(a) / 2;
    }
  EXPECT_NEAR(area, M_PI * 2500, 0.01 * M_PI * 2500);
  EXPECT_NEAR(f.extent().xmin, 500050, 1e-6);
  EXPECT_NEAR(f.extent().xmax, 500350, 1e-6);
}

TEST_F(VectorReader, AMissingLayerIsAnInputErrorNamingTheFile) {
  test::VectorSpec spec;
  spec.fields = {"id"};
  spec.features = {{{"a"}, kSquare}};
  const std::string gpkg = dir / "one.gpkg";
  test::write_vector(gpkg, spec);
  try {
    io::open_vector_decoded({gpkg, "reference", "nope", false});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("one.gpkg"), std::string::npos) << e.what();
  }
}
