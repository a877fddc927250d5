#include "gdal_handles.h"

#include <cpl_conv.h>
#include <proj.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "farmwatch/core/error.h"
#include "farmwatch/io/gdal_setup.h"
#include "gdal_error.h"

namespace farmwatch::io {

namespace {
const Log* g_log = nullptr;
/// libjpeg's "Premature end of JPEG file" warnings on this thread (see cut_short_jpegs).
thread_local int t_cut_short_jpegs = 0;

void CPL_STDCALL route_cpl_error(CPLErr cls, CPLErrorNum, const char* msg) {
  if (cls == CE_Warning && msg && std::string(msg).find("Premature end of JPEG file") !=
                                      std::string::npos)
    ++t_cut_short_jpegs;
  if (!g_log) return;
  if (cls == CE_Warning)
    g_log->child("gdal").warn(msg);
  else if (cls == CE_Debug)
    g_log->child("gdal").debug(msg);
  // Failures are not logged here: the caller turns them into one exception with context.
}
}  // namespace

void setup_gdal(const Log* log, int cache_mb) {
  GDALAllRegister();
  // Blocks are read once by the engine, so a small cache suffices; GDAL_CACHEMAX still wins.
  if (!CPLGetConfigOption("GDAL_CACHEMAX", nullptr))
    GDALSetCacheMax64(static_cast<GIntBig>(cache_mb) * 1024 * 1024);
  g_log = log;
  CPLSetErrorHandler(route_cpl_error);
}

int cut_short_jpegs() { return t_cut_short_jpegs; }

ScopedBlockCache::ScopedBlockCache(std::int64_t bytes) : before_(GDALGetCacheMax64()) {
  if (!CPLGetConfigOption("GDAL_CACHEMAX", nullptr)) GDALSetCacheMax64(bytes);
}
ScopedBlockCache::~ScopedBlockCache() { GDALSetCacheMax64(before_); }
std::int64_t ScopedBlockCache::current() { return GDALGetCacheMax64(); }
std::int64_t ScopedBlockCache::grown_to(std::int64_t bytes) {
  const std::int64_t now = current();
  return std::clamp<std::int64_t>(bytes, now, std::max<std::int64_t>(now, std::int64_t(4) << 30));
}

namespace {
constexpr const char* kMappedReads = "GTIFF_VIRTUAL_MEM_IO";
}  // namespace

ScopedMappedReads::ScopedMappedReads() {
  if (CPLGetConfigOption(kMappedReads, nullptr)) return;  // the user's, or an enclosing scope's
  CPLSetConfigOption(kMappedReads, "IF_ENOUGH_RAM");
  set_ = true;
}
ScopedMappedReads::~ScopedMappedReads() {
  if (set_) CPLSetConfigOption(kMappedReads, nullptr);
}

std::vector<std::pair<std::string, std::string>> library_versions() {
  const int major = PROJ_VERSION_MAJOR, minor = PROJ_VERSION_MINOR, patch = PROJ_VERSION_PATCH;
  return {{"GDAL", GDALVersionInfo("RELEASE_NAME")},
          {"PROJ", std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch)}};
}

std::int64_t shown_epoch() {
  const char* e = std::getenv("SOURCE_DATE_EPOCH");
  return e ? std::atoll(e) : static_cast<std::int64_t>(std::time(nullptr));
}

std::string shown_utc() {
  const auto t = static_cast<std::time_t>(shown_epoch());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void honour_source_date_epoch() {
  if (!std::getenv("SOURCE_DATE_EPOCH")) return;
  CPLSetConfigOption("OGR_CURRENT_DATE", shown_utc().c_str());
}

std::string why_not_opened(const std::string& path, const char* kind) {
  const char* msg = CPLGetLastErrorMsg();
  if (msg && *msg) return msg;
  VSIStatBufL st;
  if (VSIStatL(path.c_str(), &st) == 0) {
    if (VSI_ISDIR(st.st_mode)) return std::string("it is a folder GDAL reads no ") + kind + " from";
    if (st.st_size == 0) return "the file is empty";
  }
  return std::string("GDAL recognises no ") + kind +
         " format in it (another kind of file, or cut short?)";
}

DatasetPtr open_raster(const std::string& path, bool update) {
  CPLErrorReset();
  VSIStatBufL st;
  if (VSIStatL(path.c_str(), &st) != 0)
    throw InputError("cannot open raster '" + path + "': file does not exist");
  const unsigned flags = GDAL_OF_RASTER | (update ? GDAL_OF_UPDATE : GDAL_OF_READONLY);
  DatasetPtr ds(GDALDataset::Open(path.c_str(), flags));
  if (!ds) throw InputError("cannot open raster '" + path + "': " + why_not_opened(path, "raster"));
  if (ds->GetRasterCount() == 0)
    throw InputError("cannot open raster '" + path + "': it has no raster bands");
  return ds;
}

DatasetPtr open_vector(const std::string& path) {
  CPLErrorReset();
  VSIStatBufL st;
  if (VSIStatL(path.c_str(), &st) != 0)
    throw InputError("cannot open vector '" + path + "': file does not exist");
  DatasetPtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
  if (!ds) throw InputError("cannot open vector '" + path + "': " + why_not_opened(path, "vector"));
  return ds;
}

void close_or_throw(DatasetPtr& ds, const std::string& path) {
  if (!ds) return;
  CPLErrorReset();
  GDALClose(GDALDataset::ToHandle(ds.release()));
  if (CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal)
    throw ProcessingError("cannot complete '" + path + "': " + gdal_last_error());
}

Grid grid_of(GDALDataset& ds) {
  Grid g;
  g.width = ds.GetRasterXSize();
  g.height = ds.GetRasterYSize();
  double gt[6];
  if (ds.GetGeoTransform(gt) == CE_None) std::copy(gt, gt + 6, g.transform.c.begin());
  if (const OGRSpatialReference* srs = ds.GetSpatialRef()) {
    char* wkt = nullptr;
    const char* opts[] = {"FORMAT=WKT2_2018", nullptr};
    srs->exportToWkt(&wkt, opts);
    if (wkt) g.crs_wkt = wkt;
    CPLFree(wkt);
  }
  return g;
}

bool has_geotransform(GDALDataset& ds) {
  double gt[6];
  return ds.GetGeoTransform(gt) == CE_None;
}

void probe_readable(GDALDataset& ds, const std::string& path) {
  const int w = ds.GetRasterXSize(), h = ds.GetRasterYSize();
  for (int b = 1; b <= ds.GetRasterCount(); ++b)
    for (auto [x, y] : {std::pair{0, 0}, std::pair{w - 1, h - 1}}) {
      double v = 0;
      CPLErrorReset();
      if (ds.GetRasterBand(b)->RasterIO(GF_Read, x, y, 1, 1, &v, 1, 1, GDT_Float64, 0, 0,
                                        nullptr) != CE_None)
        throw InputError("raster '" + path + "' cannot be read (truncated or corrupt?): band " +
                         std::to_string(b) + ": " + gdal_last_error());
    }
}

std::vector<std::uint8_t> to_wkb(const OGRGeometry& g) {
  std::vector<std::uint8_t> out(g.WkbSize());
  g.exportToWkb(wkbNDR, out.data(), wkbVariantIso);
  return out;
}

GeometryPtr from_wkb(const std::vector<std::uint8_t>& wkb) {
  OGRGeometry* g = nullptr;
  if (OGRGeometryFactory::createFromWkb(wkb.data(), nullptr, &g, wkb.size()) != OGRERR_NONE)
    throw ProcessingError("cannot decode a geometry (WKB of " + std::to_string(wkb.size()) +
                          " bytes)");
  return GeometryPtr(g);
}

void window_io(GDALRasterBand& band, GDALRWFlag rw, const Window& w, void* data, GDALDataType type,
               const std::string& path) {
  CPLErrorReset();
  if (band.RasterIO(rw, w.col, w.row, w.width, w.height, data, w.width, w.height, type, 0, 0,
                    nullptr) != CE_None)
    throw ProcessingError(std::string("cannot ") + (rw == GF_Read ? "read" : "write") + " window " +
                          std::to_string(w.col) + "," + std::to_string(w.row) + " " +
                          std::to_string(w.width) + "x" + std::to_string(w.height) + " of '" +
                          path + "': " + gdal_last_error());
}

void read_input_window(GDALRasterBand& band, const Window& w, void* data, GDALDataType type,
                       const std::string& path) {
  try {
    window_io(band, GF_Read, w, data, type, path);
  } catch (const ProcessingError& e) {
    throw InputError(std::string(e.what()) + " (is the file cut short or damaged?)");
  }
}

OGRSpatialReference srs_from_wkt(const std::string& wkt) {
  OGRSpatialReference srs;
  if (srs.SetFromUserInput(wkt.c_str()) != OGRERR_NONE)
    throw InputError("cannot parse coordinate reference system: " + gdal_last_error());
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  return srs;
}

OGRSpatialReference wgs84_lonlat() {
  OGRSpatialReference srs;
  srs.importFromEPSG(4326);
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  return srs;
}

namespace {
/// A spatial reference and its axis order, as a cache key.
/// Empty when the system cannot be written as WKT (then nothing is cached).
std::string srs_key(const OGRSpatialReference& srs) {
  char* wkt = nullptr;
  const char* opts[] = {"FORMAT=WKT2_2019", nullptr};
  const bool ok = srs.exportToWkt(&wkt, opts) == OGRERR_NONE && wkt && *wkt;
  std::string key = ok ? wkt : "";
  CPLFree(wkt);
  if (!ok) return key;
  for (int axis : srs.GetDataAxisToSRSAxisMapping()) key += "|" + std::to_string(axis);
  return key;
}
}  // namespace

TransformPtr make_transform(const OGRSpatialReference& from, const OGRSpatialReference& to) {
  // PROJ chooses the operation by asking its database for every candidate, which takes up to
  // a second (CGCS2000 to a UTM zone); the choice depends only on the two systems, so each
  // pair is built once per process and cloned (a clone copies the chosen operation).
  // Never destroyed: at exit GDAL's per-thread PROJ contexts may be gone before a static.
  static std::mutex mutex;
  static auto& built = *new std::map<std::string, TransformPtr>;
  const std::string a = srs_key(from), b = srs_key(to);
  if (a.empty() || b.empty()) {
    TransformPtr t(OGRCreateCoordinateTransformation(&from, &to));
    if (!t) throw ProcessingError("cannot build a coordinate transformation: " + gdal_last_error());
    return t;
  }
  const std::string key = a + "\n->\n" + b;
  std::lock_guard lock(mutex);
  auto it = built.find(key);
  if (it == built.end()) {
    TransformPtr t(OGRCreateCoordinateTransformation(&from, &to));
    if (!t) throw ProcessingError("cannot build a coordinate transformation: " + gdal_last_error());
    it = built.emplace(key, std::move(t)).first;
  }
  TransformPtr copy(it->second->Clone());
  if (!copy) throw ProcessingError("cannot copy a coordinate transformation: " + gdal_last_error());
  return copy;
}

Box transform_bounds(OGRCoordinateTransformation& t, const Box& b, const std::string& what) {
  // GDAL's TransformBounds does the same but builds a new PROJ operation on every call.
  constexpr int kEdge = 21;
  std::vector<double> xs, ys;
  for (int i = 0; i <= kEdge; ++i) {
    const double f = double(i) / kEdge;
    const double x = b.xmin + f * (b.xmax - b.xmin), y = b.ymin + f * (b.ymax - b.ymin);
    xs.insert(xs.end(), {x, x, b.xmin, b.xmax});
    ys.insert(ys.end(), {b.ymin, b.ymax, y, y});
  }
  std::vector<int> ok(xs.size());
  t.Transform(static_cast<int>(xs.size()), xs.data(), ys.data(), nullptr, ok.data());
  Box out{1e300, 1e300, -1e300, -1e300};
  for (std::size_t i = 0; i < xs.size(); ++i)
    if (ok[i] && std::isfinite(xs[i]) && std::isfinite(ys[i]))
      out = {std::min(out.xmin, xs[i]), std::min(out.ymin, ys[i]), std::max(out.xmax, xs[i]),
             std::max(out.ymax, ys[i])};
  if (out.xmin > out.xmax)
    throw InputError("cannot transform the extent of " + what + " between coordinate systems");
  return out;
}

}  // namespace farmwatch::io
