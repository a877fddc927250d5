#include "farmwatch/io/farmland.h"

#include <gdal_alg.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>

#include "farmwatch/core/error.h"
#include "farmwatch/io/geodesic.h"
#include "farmwatch/io/raster_writer.h"
#include "gdal_error.h"
#include "gdal_handles.h"
#include "geos_handles.h"

namespace farmwatch::io {

struct FarmlandLayer::Impl {
  std::string path;
  std::vector<std::string> ids;    // sorted
  std::vector<std::string> names;  // the name field's values, same order
  std::string encoding = "UTF-8";
  std::unique_ptr<EllipsoidalArea> area;
  std::vector<std::vector<std::uint8_t>> wkb;  // target CRS, same order as ids
  std::vector<std::string> repaired;           // "id: reason" of geometries MakeValid fixed
  Box extent;
  GeosContext geos;
  std::vector<GeosGeometryPtr> geoms;  // same order as ids
  std::vector<const GEOSPreparedGeometry*> prepared;
  GEOSSTRtree* tree = nullptr;
  ~Impl() {
    for (auto* p : prepared) GEOSPreparedGeom_destroy_r(geos.get(), p);
    if (tree) GEOSSTRtree_destroy_r(geos.get(), tree);
  }
};

FarmlandLayer::FarmlandLayer() : impl_(std::make_unique<Impl>()) {}
FarmlandLayer::~FarmlandLayer() = default;
FarmlandLayer::FarmlandLayer(FarmlandLayer&&) noexcept = default;
FarmlandLayer& FarmlandLayer::operator=(FarmlandLayer&&) noexcept = default;
const std::string& FarmlandLayer::path() const { return impl_->path; }
std::size_t FarmlandLayer::size() const { return impl_->ids.size(); }
const std::string& FarmlandLayer::parcel_id(std::size_t i) const { return impl_->ids[i]; }
const std::string& FarmlandLayer::parcel_name(std::size_t i) const { return impl_->names[i]; }
const std::vector<std::uint8_t>& FarmlandLayer::parcel_wkb(std::size_t i) const {
  return impl_->wkb[i];
}
const std::string& FarmlandLayer::encoding() const { return impl_->encoding; }
Box FarmlandLayer::extent() const { return impl_->extent; }

namespace {

OGRLayer* pick_layer(GDALDataset& ds, const FarmlandRequest& req) {
  if (!req.layer.empty()) {
    OGRLayer* l = ds.GetLayerByName(req.layer.c_str());
    if (!l) throw InputError(req.kind + " '" + req.path + "': no layer named '" + req.layer + "'");
    return l;
  }
  if (ds.GetLayerCount() < 1) throw InputError(req.kind + " '" + req.path + "' has no layers");
  return ds.GetLayer(0);
}

std::string lower_extension(const std::filesystem::path& p) {
  std::string e = p.extension().string();
  for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

/// The .dbf's language driver id (byte 29); -1 if there is no .dbf beside the .shp.
int dbf_language_driver(const std::filesystem::path& shp) {
  for (const char* ext : {".dbf", ".DBF"}) {
    std::ifstream f(std::filesystem::path(shp).replace_extension(ext), std::ios::binary);
    if (!f) continue;
    char header[32] = {};
    if (!f.read(header, sizeof header)) return -1;
    return static_cast<unsigned char>(header[29]);
  }
  return -1;
}

/// Whether bytes are well-formed GBK: ASCII, or a lead byte 0x81-0xFE with a trail byte
/// 0x40-0xFE other than 0x7F.
bool is_gbk(const char* text) {
  for (auto* p = reinterpret_cast<const unsigned char*>(text); *p; ++p) {
    if (*p < 0x80) continue;
    if (*p == 0x80 || *p == 0xFF) return false;
    const unsigned char trail = p[1];
    if (trail < 0x40 || trail == 0x7F || trail == 0xFF) return false;
    ++p;
  }
  return true;
}

enum class TextEncoding { utf8, gbk, unknown };

/// The encoding all the layer's text (field names and string values) is well-formed in.
TextEncoding text_encoding(OGRLayer& layer) {
  bool utf8 = true, gbk = true;
  auto check = [&](const char* t) {
    utf8 = utf8 && CPLIsUTF8(t, -1);
    gbk = gbk && is_gbk(t);
  };
  OGRFeatureDefn* defn = layer.GetLayerDefn();
  for (int i = 0; i < defn->GetFieldCount(); ++i) check(defn->GetFieldDefn(i)->GetNameRef());
  layer.ResetReading();
  for (auto& feat : layer)
    for (int i = 0; i < defn->GetFieldCount(); ++i)
      if (defn->GetFieldDefn(i)->GetType() == OFTString && feat->IsFieldSetAndNotNull(i))
        check(feat->GetFieldAsString(i));
  return utf8 ? TextEncoding::utf8 : gbk ? TextEncoding::gbk : TextEncoding::unknown;
}

/// Opens the layer's file with its text decoded to UTF-8. A shapefile says its encoding in a
/// .cpg or in the .dbf header; without either, GDAL would read it as ISO-8859-1, but such a
/// file from a Chinese office is almost always GBK. Its text is read undecoded: valid UTF-8 is
/// kept, well-formed GBK is decoded as CP936, and anything else is an error asking for a .cpg.
DatasetPtr open_decoded(const FarmlandRequest& req, std::string& encoding) {
  const std::filesystem::path p(req.path);
  const bool shapefile = lower_extension(p) == ".shp" || lower_extension(p) == ".dbf";
  const bool has_cpg =
      std::filesystem::exists(std::filesystem::path(p).replace_extension(".cpg")) ||
      std::filesystem::exists(std::filesystem::path(p).replace_extension(".CPG"));
  if (!shapefile || has_cpg || dbf_language_driver(p) != 0) return open_vector(req.path);
  const char* raw[] = {"ENCODING=", nullptr};
  DatasetPtr ds(GDALDataset::Open(req.path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, raw,
                                  nullptr));
  if (!ds) return open_vector(req.path);  // let the usual open report the problem
  const TextEncoding found = text_encoding(*pick_layer(*ds, req));
  if (found == TextEncoding::utf8) return ds;
  if (found == TextEncoding::unknown)
    throw InputError(req.kind + " '" + req.path +
                     "': its attribute text is neither UTF-8 nor GBK and no .cpg file says "
                     "which encoding it is: add one naming the code page (e.g. a .cpg holding "
                     "936 for GBK, or UTF-8)");
  const char* gbk[] = {"ENCODING=CP936", nullptr};
  ds.reset(GDALDataset::Open(req.path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, gbk,
                             nullptr));
  if (!ds) throw InputError("cannot open vector '" + req.path + "': " + gdal_last_error());
  encoding = "CP936";
  return ds;
}

/// The polygonal part of GEOS MakeValid's result, as an OGR (multi)polygon; null if it has
/// no area.
GeometryPtr repaired_polygons(const GeosContext& geos, const GEOSGeometry* g) {
  GEOSGeometry* fixed = GEOSMakeValid_r(geos.get(), g);
  if (!fixed) return nullptr;
  const auto wkb = geos_to_wkb(geos, fixed);
  GEOSGeom_destroy_r(geos.get(), fixed);
  GeometryPtr any = from_wkb(wkb);
  auto poly = std::make_unique<OGRMultiPolygon>();
  auto take = [&](const OGRGeometry& part) {
    const auto t = wkbFlatten(part.getGeometryType());
    if (t == wkbPolygon) poly->addGeometry(&part);
    if (t == wkbMultiPolygon)
      for (const auto* p : *part.toMultiPolygon()) poly->addGeometry(p);
  };
  if (wkbFlatten(any->getGeometryType()) == wkbGeometryCollection)
    for (const auto* part : *any->toGeometryCollection()) take(*part);
  else
    take(*any);
  if (poly->IsEmpty() || poly->get_Area() <= 0) return nullptr;
  if (poly->getNumGeometries() == 1) return GeometryPtr(poly->getGeometryRef(0)->clone());
  return GeometryPtr(poly.release());
}

}  // namespace

const std::vector<std::string>& FarmlandLayer::repaired() const { return impl_->repaired; }

FarmlandLayer FarmlandLayer::load(const FarmlandRequest& req, const std::string& target_crs_wkt) {
  std::string encoding = "UTF-8";
  auto ds = open_decoded(req, encoding);
  OGRLayer* layer = pick_layer(*ds, req);
  const std::string where = req.kind + " '" + req.path + "'";
  const OGRSpatialReference* src_srs = layer->GetSpatialRef();
  if (!src_srs) throw InputError(where + " has no coordinate reference system");
  OGRSpatialReference src = *src_srs;
  src.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  const auto dst = srs_from_wkt(target_crs_wkt);
  auto ct = make_transform(src, dst);

  OGRFeatureDefn* defn = layer->GetLayerDefn();
  auto field_index = [&](const std::string& name, const char* what) {
    if (name.empty()) return -1;
    const int idx = defn->GetFieldIndex(name.c_str());
    if (idx >= 0) return idx;
    std::string fields;
    for (int i = 0; i < defn->GetFieldCount(); ++i)
      fields += (i ? ", " : "") + std::string(defn->GetFieldDefn(i)->GetNameRef());
    throw InputError(where + " has no " + what + " field '" + name + "' (fields: " + fields + ")");
  };
  const int id_idx = field_index(req.id_field, "parcel-id");
  const int name_idx = field_index(req.name_field, "name");

  FarmlandLayer out;
  Impl& im = *out.impl_;
  im.path = req.path;
  im.encoding = encoding;
  std::map<std::string, std::pair<std::vector<std::uint8_t>, std::string>> by_id;
  layer->ResetReading();
  for (auto& feat : *layer) {
    const std::string fid = std::to_string(feat->GetFID());
    if (id_idx >= 0 && !feat->IsFieldSetAndNotNull(id_idx))
      throw InputError(where + ": feature FID " + fid + " has no value in '" + req.id_field + "'");
    const std::string id = id_idx >= 0 ? feat->GetFieldAsString(id_idx) : fid;
    const std::string what = where + ": feature FID " + fid + " (" + req.id_field + "=" + id + ")";
    OGRGeometry* g = feat->GetGeometryRef();
    if (!g || g->IsEmpty()) throw InputError(what + " has no geometry");
    const auto type = wkbFlatten(g->getGeometryType());
    if (type != wkbPolygon && type != wkbMultiPolygon)
      throw InputError(what + " is a " + OGRGeometryTypeToName(g->getGeometryType()) +
                       ", not a polygon");
    if (by_id.count(id)) throw InputError(where + ": parcel id '" + id + "' occurs more than once");
    // Validity is judged by GEOS on the geometry as delivered, before any reprojection; an
    // invalid one (a bow-tie, a self-touching ring) is repaired with GEOS MakeValid, keeping its
    // polygonal part, and reported.
    GeometryPtr copy(g->clone());
    auto gg = geos_from_wkb(im.geos, to_wkb(*g));
    if (GEOSisValid_r(im.geos.get(), gg.get()) != 1) {
      char* reason = GEOSisValidReason_r(im.geos.get(), gg.get());
      const std::string r = reason ? reason : "invalid";
      GEOSFree_r(im.geos.get(), reason);
      copy = repaired_polygons(im.geos, gg.get());
      if (!copy)
        throw InputError(what + " has an invalid geometry with no area once repaired: " + r);
      im.repaired.push_back(id + ": " + r);
    }
    if (copy->transform(ct.get()) != OGRERR_NONE)
      throw InputError(what + " cannot be transformed to the analysis CRS: " + gdal_last_error());
    by_id.emplace(id, std::pair{to_wkb(*copy), name_idx >= 0 && feat->IsFieldSetAndNotNull(name_idx)
                                                   ? feat->GetFieldAsString(name_idx)
                                                   : std::string()});
  }
  if (by_id.empty()) throw InputError(where + " has no features");

  bool first = true;
  for (auto& [id, value] : by_id) {
    auto& [wkb, name] = value;
    im.ids.push_back(id);
    im.names.push_back(name);
    auto g = geos_from_wkb(im.geos, wkb);
    double x0, y0, x1, y1;
    GEOSGeom_getXMin_r(im.geos.get(), g.get(), &x0);
    GEOSGeom_getYMin_r(im.geos.get(), g.get(), &y0);
    GEOSGeom_getXMax_r(im.geos.get(), g.get(), &x1);
    GEOSGeom_getYMax_r(im.geos.get(), g.get(), &y1);
    const Box b{x0, y0, x1, y1};
    im.extent = first ? b
                      : Box{std::min(im.extent.xmin, b.xmin), std::min(im.extent.ymin, b.ymin),
                            std::max(im.extent.xmax, b.xmax), std::max(im.extent.ymax, b.ymax)};
    first = false;
    im.wkb.push_back(std::move(wkb));
    im.geoms.push_back(std::move(g));
  }
  im.area = std::make_unique<EllipsoidalArea>(target_crs_wkt);
  im.tree = GEOSSTRtree_create_r(im.geos.get(), 10);
  for (std::size_t i = 0; i < im.geoms.size(); ++i) {
    im.prepared.push_back(GEOSPrepare_r(im.geos.get(), im.geoms[i].get()));
    // The tree stores the index as its item pointer.
    GEOSSTRtree_insert_r(im.geos.get(), im.tree, im.geoms[i].get(),
                         reinterpret_cast<void*>(static_cast<std::uintptr_t>(i)));
  }
  return out;
}

void FarmlandLayer::rasterize(const Grid& grid, const std::string& out_path) const {
  RasterLayout layout;
  layout.grid = grid;
  layout.type = PixelType::u32;
  layout.nodata = 0;
  layout.description = "farmland parcel index (1-based, 0 = outside)";
  {
    BlockRasterWriter create(out_path, layout);
    create.close();
  }
  auto ds = open_raster(out_path, /*update=*/true);
  std::vector<GeometryPtr> owned;
  std::vector<OGRGeometryH> geoms;
  std::vector<double> burn;
  for (std::size_t i = 0; i < impl_->wkb.size(); ++i) {
    owned.push_back(from_wkb(impl_->wkb[i]));
    geoms.push_back(OGRGeometry::ToHandle(owned.back().get()));
    burn.push_back(static_cast<double>(i + 1));
  }
  int band = 1;
  CPLErrorReset();
  if (GDALRasterizeGeometries(GDALDataset::ToHandle(ds.get()), 1, &band,
                              static_cast<int>(geoms.size()), geoms.data(), nullptr, nullptr,
                              burn.data(), nullptr, nullptr, nullptr) != CE_None)
    throw ProcessingError("cannot rasterize farmland layer '" + impl_->path +
                          "': " + gdal_last_error());
}

namespace {
/// Indices of the features whose interiors `q` overlaps (sharing only a boundary, as a patch
/// ending at a parcel's edge does, is not overlapping), ascending.
std::vector<std::size_t> interior_hits(const GeosContext& geos, GEOSSTRtree* tree,
                                       const std::vector<const GEOSPreparedGeometry*>& prepared,
                                       const GEOSGeometry* q) {
  std::vector<std::size_t> idx;
  GEOSSTRtree_query_r(
      geos.get(), tree, q,
      [](void* item, void* user) {
        static_cast<std::vector<std::size_t>*>(user)->push_back(
            static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(item)));
      },
      &idx);
  std::sort(idx.begin(), idx.end());
  std::erase_if(idx, [&](std::size_t i) {
    return GEOSPreparedIntersects_r(geos.get(), prepared[i], q) != 1 ||
           GEOSPreparedTouches_r(geos.get(), prepared[i], q) == 1;
  });
  return idx;
}
}  // namespace

std::vector<std::string> FarmlandLayer::parcels_intersecting(
    const std::vector<std::uint8_t>& wkb) const {
  auto q = geos_from_wkb(impl_->geos, wkb);
  std::vector<std::string> out;
  for (std::size_t i : interior_hits(impl_->geos, impl_->tree, impl_->prepared, q.get()))
    out.push_back(impl_->ids[i]);
  return out;
}

std::vector<Overlap> FarmlandLayer::overlaps(const std::vector<std::uint8_t>& wkb) const {
  const GeosContext& geos = impl_->geos;
  auto q = geos_from_wkb(geos, wkb);
  std::vector<Overlap> out;
  for (std::size_t i : interior_hits(geos, impl_->tree, impl_->prepared, q.get())) {
    GeosGeometryPtr cut(GEOSIntersection_r(geos.get(), impl_->geoms[i].get(), q.get()),
                        GeosGeometryDeleter{geos.get()});
    if (!cut) continue;
    const double a = impl_->area->area_m2(geos_to_wkb(geos, cut.get()));
    if (a > 0) out.push_back({i, a});
  }
  return out;
}

std::vector<PolygonRings> FarmlandLayer::parcel_rings(std::size_t i) const {
  const auto g = from_wkb(impl_->wkb.at(i));
  std::vector<PolygonRings> out;
  auto add = [&](const OGRPolygon& p) {
    PolygonRings rings;
    auto ring = [&](const OGRLinearRing* r) {
      Ring x;
      for (int k = 0; k < r->getNumPoints(); ++k) {
        x.x.push_back(r->getX(k));
        x.y.push_back(r->getY(k));
      }
      rings.push_back(std::move(x));
    };
    if (p.getExteriorRing()) ring(p.getExteriorRing());
    for (int k = 0; k < p.getNumInteriorRings(); ++k) ring(p.getInteriorRing(k));
    out.push_back(std::move(rings));
  };
  if (wkbFlatten(g->getGeometryType()) == wkbPolygon) {
    add(*g->toPolygon());
  } else {
    for (const auto* part : *g->toMultiPolygon()) add(*part);
  }
  return out;
}

}  // namespace farmwatch::io
