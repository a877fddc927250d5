#include "farmwatch/io/spatial_ref.h"

#include "farmwatch/core/error.h"
#include "gdal_error.h"
#include "gdal_handles.h"

namespace farmwatch::io {

std::string crs_from_user(const std::string& text) {
  OGRSpatialReference srs;
  CPLErrorReset();
  if (srs.SetFromUserInput(text.c_str()) != OGRERR_NONE)
    throw ConfigError("unknown coordinate reference system '" + text + "': " + gdal_last_error());
  char* wkt = nullptr;
  const char* opts[] = {"FORMAT=WKT2_2018", nullptr};
  srs.exportToWkt(&wkt, opts);
  std::string out = wkt ? wkt : "";
  CPLFree(wkt);
  return out;
}

bool same_crs(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return a == b;
  const auto sa = srs_from_wkt(a), sb = srs_from_wkt(b);
  const char* opts[] = {"IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES", "CRITERION=EQUIVALENT",
                        nullptr};
  return sa.IsSame(&sb, opts);
}

std::string crs_label(const std::string& wkt) {
  if (wkt.empty()) return "(no CRS)";
  const auto srs = srs_from_wkt(wkt);
  std::string label = srs.GetName() ? srs.GetName() : "unnamed CRS";
  const char* auth = srs.GetAuthorityName(nullptr);
  const char* code = srs.GetAuthorityCode(nullptr);
  if (auth && code) label += std::string(" (") + auth + ":" + code + ")";
  return label;
}

std::string crs_code(const std::string& wkt) {
  if (wkt.empty()) return "";
  auto srs = srs_from_wkt(wkt);
  srs.AutoIdentifyEPSG();
  const char* auth = srs.GetAuthorityName(nullptr);
  const char* code = srs.GetAuthorityCode(nullptr);
  return auth && code ? std::string(auth) + ":" + code : "";
}

bool is_geographic(const std::string& wkt) { return srs_from_wkt(wkt).IsGeographic(); }

void transform_point(double& x, double& y, const std::string& from_wkt, const std::string& to_wkt) {
  auto t = make_transform(srs_from_wkt(from_wkt), srs_from_wkt(to_wkt));
  if (!t->Transform(1, &x, &y))
    throw InputError("cannot transform a point between coordinate systems: " + gdal_last_error());
}

Box transform_box(const Box& box, const std::string& from_wkt, const std::string& to_wkt) {
  const auto from = srs_from_wkt(from_wkt), to = srs_from_wkt(to_wkt);
  auto t = make_transform(from, to);
  Box out;
  if (!t->TransformBounds(box.xmin, box.ymin, box.xmax, box.ymax, &out.xmin, &out.ymin, &out.xmax,
                          &out.ymax, 21))
    throw InputError("cannot transform extent between coordinate systems: " + gdal_last_error());
  return out;
}

std::string wkb_to_geojson(const std::vector<std::uint8_t>& wkb) {
  const auto g = from_wkb(wkb);
  const char* opts[] = {"COORDINATE_PRECISION=7", nullptr};
  char* js = OGR_G_ExportToJsonEx(OGRGeometry::ToHandle(g.get()), const_cast<char**>(opts));
  std::string out = js ? js : "null";
  CPLFree(js);
  return out;
}

struct ToLonLat::Impl {
  TransformPtr ct;
};

ToLonLat::ToLonLat(const std::string& from_wkt) : impl_(std::make_unique<Impl>()) {
  impl_->ct = make_transform(srs_from_wkt(from_wkt), wgs84_lonlat());
}
ToLonLat::~ToLonLat() = default;

std::vector<std::uint8_t> ToLonLat::operator()(const std::vector<std::uint8_t>& wkb) const {
  auto g = from_wkb(wkb);
  if (g->transform(impl_->ct.get()) != OGRERR_NONE)
    throw ProcessingError("cannot transform a geometry to longitude/latitude: " +
                          gdal_last_error());
  return to_wkb(*g);
}

Box wkb_envelope(const std::vector<std::uint8_t>& wkb) {
  OGRGeometry* g = nullptr;
  if (OGRGeometryFactory::createFromWkb(wkb.data(), nullptr, &g, wkb.size()) != OGRERR_NONE || !g)
    return {};
  OGREnvelope e;
  g->getEnvelope(&e);
  OGRGeometryFactory::destroyGeometry(g);
  return {e.MinX, e.MinY, e.MaxX, e.MaxY};
}

}  // namespace farmwatch::io
