#include "farmwatch/io/spatial_ref.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

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
  auto t = make_transform(srs_from_wkt(from_wkt), srs_from_wkt(to_wkt));
  return transform_bounds(*t, box, "an extent");
}

namespace {

/// Reads 2D WKB (OGC simple features 1.1, either byte order).
class WkbReader {
 public:
  WkbReader(const std::uint8_t* p, const std::uint8_t* end) : p_(p), end_(end) {}
  bool ok() const { return ok_; }
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }
  std::uint8_t byte() {
    if (p_ >= end_) return ok_ = false, 0;
    return *p_++;
  }
  std::uint32_t u32(bool le) {
    std::uint8_t b[4];
    take(b, 4, le);
    std::uint32_t v;
    std::memcpy(&v, b, 4);
    return v;
  }
  double f64(bool le) {
    std::uint8_t b[8];
    take(b, 8, le);
    double v;
    std::memcpy(&v, b, 8);
    return v;
  }

 private:
  void take(std::uint8_t* b, int n, bool le) {
    if (end_ - p_ < n) {
      ok_ = false;
      std::memset(b, 0, n);
      return;
    }
    std::memcpy(b, p_, n);
    p_ += n;
    if (le != (std::endian::native == std::endian::little)) std::reverse(b, b + n);
  }
  const std::uint8_t* p_;
  const std::uint8_t* end_;
  bool ok_ = true;
};

/// Coordinates farmwatch writes: finite, and within what 1e-7 steps hold in a double exactly.
bool writable(double v) { return std::isfinite(v) && std::abs(v) < 1e8; }

void append_coordinate(std::string& out, double v) {
  char buf[64];  // |v| < 1e8 (writable): at most 17 characters
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 7);
  char* e = r.ptr;
  while (e[-1] == '0') --e;  // 1e-7 without trailing zeros, one decimal kept: 115.0
  if (e[-1] == '.') *e++ = '0';
  out.append(buf, e);
}

/// How rings are written: GeoJSON positions, or (for the viewer) one flat array of integer
/// steps of 1e-7 degree, the first point absolute and each next one its difference from the
/// previous: a third of the text for outlines traced along pixel edges.
enum class Coordinates { positions, delta_1e7 };

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

/// A ring's points; `orient` +1 makes it counter-clockwise, -1 clockwise, 0 keeps it.
bool ring_json(std::string& out, WkbReader& r, bool le, int orient, Coordinates form) {
  const std::uint32_t n = r.u32(le);
  if (!r.ok() || std::size_t(n) * 16 > r.remaining()) return false;
  std::vector<double> xy(2 * static_cast<std::size_t>(n));
  for (auto& v : xy) v = r.f64(le);
  // Anything else (NaN, infinities, huge values) goes through GDAL, which writes valid JSON.
  if (!r.ok() || !std::all_of(xy.begin(), xy.end(), writable)) return false;
  double twice_area = 0;
  for (std::uint32_t i = 0; i + 1 < n; ++i)
    twice_area += xy[2 * i] * xy[2 * i + 3] - xy[2 * i + 2] * xy[2 * i + 1];
  const bool reverse = orient != 0 && twice_area != 0 && (twice_area > 0) != (orient > 0);
  out += '[';
  if (form == Coordinates::delta_1e7) {
    std::int64_t px = 0, py = 0;
    for (std::uint32_t k = 0; k < n; ++k) {
      const std::uint32_t i = reverse ? n - 1 - k : k;
      const auto x = static_cast<std::int64_t>(std::llround(xy[2 * i] * 1e7));
      const auto y = static_cast<std::int64_t>(std::llround(xy[2 * i + 1] * 1e7));
      if (k) out += ',';
      append_int(out, x - px);
      out += ',';
      append_int(out, y - py);
      px = x;
      py = y;
    }
    out += ']';
    return true;
  }
  for (std::uint32_t k = 0; k < n; ++k) {
    const std::uint32_t i = reverse ? n - 1 - k : k;
    out += k ? ",[" : "[";
    append_coordinate(out, xy[2 * i]);
    out += ',';
    append_coordinate(out, xy[2 * i + 1]);
    out += ']';
  }
  out += ']';
  return true;
}

bool polygon_json(std::string& out, WkbReader& r, bool le, bool rfc7946, Coordinates form) {
  const std::uint32_t rings = r.u32(le);
  if (!r.ok()) return false;
  out += '[';
  for (std::uint32_t i = 0; i < rings; ++i) {
    if (i) out += ',';
    if (!ring_json(out, r, le, rfc7946 ? (i == 0 ? 1 : -1) : 0, form)) return false;
  }
  out += ']';
  return true;
}

/// Polygon and MultiPolygon, the geometries of patches and parcels; false for anything else.
bool geometry_json(std::string& out, WkbReader& r, bool rfc7946, Coordinates form) {
  const bool le = r.byte() == 1;
  const std::uint32_t type = r.u32(le);
  if (!r.ok()) return false;
  if (type == 3) {
    out += R"({"coordinates":)";
    if (!polygon_json(out, r, le, rfc7946, form)) return false;
    out += form == Coordinates::delta_1e7 ? R"(,"q":1,"type":"Polygon"})" : R"(,"type":"Polygon"})";
    return true;
  }
  if (type != 6) return false;
  const std::uint32_t parts = r.u32(le);
  out += R"({"coordinates":[)";
  for (std::uint32_t i = 0; i < parts && r.ok(); ++i) {
    if (i) out += ',';
    const bool ple = r.byte() == 1;
    if (r.u32(ple) != 3 || !polygon_json(out, r, ple, rfc7946, form)) return false;
  }
  out += form == Coordinates::delta_1e7 ? R"(],"q":1,"type":"MultiPolygon"})"
                                        : R"(],"type":"MultiPolygon"})";
  return r.ok();
}

}  // namespace

std::string wkb_to_geojson(const std::vector<std::uint8_t>& wkb, bool rfc7946) {
  // Polygons are written here: GDAL's export through json-c took most of the time of
  // writing 18,000 patches. Other geometries go through GDAL.
  std::string out;
  WkbReader r(wkb.data(), wkb.data() + wkb.size());
  if (geometry_json(out, r, rfc7946, Coordinates::positions)) return out;
  const auto g = from_wkb(wkb);
  const char* opts[] = {"COORDINATE_PRECISION=7", nullptr};
  char* js = OGR_G_ExportToJsonEx(OGRGeometry::ToHandle(g.get()), const_cast<char**>(opts));
  out = js ? js : "null";
  CPLFree(js);
  return out;
}

std::string wkb_to_viewer_json(const std::vector<std::uint8_t>& wkb) {
  std::string out;
  WkbReader r(wkb.data(), wkb.data() + wkb.size());
  if (geometry_json(out, r, false, Coordinates::delta_1e7)) return out;
  return wkb_to_geojson(wkb);
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
