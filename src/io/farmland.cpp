#include "farmwatch/io/farmland.h"

#include <gdal_alg.h>

#include <algorithm>
#include <map>

#include "farmwatch/core/error.h"
#include "farmwatch/io/geodesic.h"
#include "farmwatch/io/raster_writer.h"
#include "gdal_error.h"
#include "gdal_handles.h"
#include "geos_handles.h"
#include "vector_reader.h"

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

namespace {

/// Validity is judged by GEOS on the geometry as delivered, before any reprojection; an
/// invalid one (a bow-tie, a self-touching ring) is repaired with GEOS MakeValid, keeping its
/// polygonal part, and reported in `im.repaired`. InputError naming `what` otherwise.
GeometryPtr valid_polygons(FarmlandLayer::Impl& im, const OGRGeometry& g, const std::string& what,
                           const std::string& id) {
  GeometryPtr copy(g.clone());
  GeosGeometryPtr gg;
  try {
    gg = geos_from_wkb(im.geos, to_wkb(g));
  } catch (const std::runtime_error& e) {
    throw InputError(what + " has a geometry GEOS cannot read: " + e.what());
  }
  if (GEOSisValid_r(im.geos.get(), gg.get()) != 1) {
    char* reason = GEOSisValidReason_r(im.geos.get(), gg.get());
    const std::string r = reason ? reason : "invalid";
    GEOSFree_r(im.geos.get(), reason);
    copy = repaired_polygons(im.geos, gg.get());
    if (!copy) throw InputError(what + " has an invalid geometry with no area once repaired: " + r);
    im.repaired.push_back(id + ": " + r);
  }
  return copy;
}

/// The parcels in id order with their extent, prepared geometries and an STR tree.
void index_parcels(
    FarmlandLayer::Impl& im,
    std::map<std::string, std::pair<std::vector<std::uint8_t>, std::string>>& by_id,
    const std::string& target_crs_wkt) {
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
}

}  // namespace

FarmlandLayer FarmlandLayer::load(const FarmlandRequest& req, const std::string& target_crs_wkt) {
  VectorRequest vreq;
  vreq.path = req.path;
  vreq.kind = req.kind;
  vreq.layer = req.layer;
  DecodedVector decoded = open_vector_decoded(vreq);
  OGRLayer* layer = &pick_layer(*decoded.ds, vreq);
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
  im.encoding = decoded.encoding;
  std::map<std::string, std::pair<std::vector<std::uint8_t>, std::string>> by_id;
  for_each_feature(*layer, where, [&](OGRFeature& f) {
    OGRFeature* feat = &f;
    const std::string fid = std::to_string(feat->GetFID());
    if (id_idx >= 0 && !feat->IsFieldSetAndNotNull(id_idx))
      throw InputError(where + ": feature FID " + fid + " has no value in '" + req.id_field + "'");
    const std::string id = id_idx >= 0 ? feat->GetFieldAsString(id_idx) : fid;
    const std::string what = where + ": feature FID " + fid + " (" + req.id_field + "=" + id + ")";
    // Arcs (CurvePolygon, MultiSurface from ArcGIS or QGIS) become line segments.
    const GeometryPtr linear = linear_geometry(*feat);
    const OGRGeometry* g = linear.get();
    if (!g || g->IsEmpty()) throw InputError(what + " has no geometry");
    const auto type = wkbFlatten(g->getGeometryType());
    if (type != wkbPolygon && type != wkbMultiPolygon)
      throw InputError(what + " is a " + OGRGeometryTypeToName(g->getGeometryType()) +
                       ", not a polygon");
    if (by_id.count(id)) throw InputError(where + ": parcel id '" + id + "' occurs more than once");
    GeometryPtr copy = valid_polygons(im, *g, what, id);
    if (copy->transform(ct.get()) != OGRERR_NONE)
      throw InputError(what + " cannot be transformed to the analysis CRS: " + gdal_last_error());
    by_id.emplace(id, std::pair{to_wkb(*copy), name_idx >= 0 && feat->IsFieldSetAndNotNull(name_idx)
                                                   ? feat->GetFieldAsString(name_idx)
                                                   : std::string()});
  });
  if (by_id.empty()) throw InputError(where + " has no features");

  index_parcels(im, by_id, target_crs_wkt);
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
