#include "farmwatch/io/info.h"

#include <sstream>

#include "farmwatch/core/error.h"
#include "farmwatch/core/text_encoding.h"
#include "farmwatch/io/image_source.h"
#include "farmwatch/io/spatial_ref.h"
#include "gdal_error.h"
#include "gdal_handles.h"
#include "geos_handles.h"
#include "product.h"
#include "vector_reader.h"

namespace farmwatch::io {
namespace {

/// `base` is what the pipeline would be given for this raster (path, or a product's stack with
/// its metadata and quality layer).
nlohmann::json describe_raster(GDALDataset& ds, const std::string& path, const ImageRequest& base) {
  const Grid g = grid_of(ds);
  nlohmann::json j;
  j["kind"] = "raster";
  j["path"] = utf8_or_escaped(path);
  j["driver"] = ds.GetDriver()->GetDescription();
  j["width"] = g.width;
  j["height"] = g.height;
  j["crs"] = crs_label(g.crs_wkt);
  j["geotransform"] = g.transform.c;
  // The ground size of a pixel, whatever the orientation (south-up rasters have a positive
  // pixel height in their geotransform, rotated ones spread it over two terms).
  j["pixel_size"] = {g.transform.pixel_width(), g.transform.pixel_height()};
  j["orientation"] = !has_geotransform(ds)    ? "none"
                     : g.transform.north_up() ? "north-up"
                     : (g.transform.c[2] == 0 && g.transform.c[4] == 0)
                         ? (g.transform.c[5] > 0 ? "south-up" : "flipped")
                         : "rotated";
  const Box e = g.extent();
  j["extent"] = {e.xmin, e.ymin, e.xmax, e.ymax};
  BandMap roles;
  bool roles_ok = true;
  try {
    ImageRequest req = base;
    req.scale = 1.0;  // roles only: no calibration needed
    const auto info = inspect_image(req, {});
    roles = info.bands;
    if (info.quality_kind != QualityKind::none)
      j["quality_band"] = {{"band", info.quality_band},
                           {"kind", quality_name(info.quality_kind)},
                           {"file", info.quality_path}};
  } catch (const std::exception&) {
    roles_ok = false;
  }
  // The DN-to-reflectance rule the pipeline would use, or why it cannot tell.
  try {
    const auto info = inspect_image(base, {BandRole::red});
    j["reflectance_rule"] = info.calibration_source;
  } catch (const std::exception& err) {
    j["reflectance_rule"] = std::string("unknown: ") + err.what();
  }
  for (int i = 1; i <= ds.GetRasterCount(); ++i) {
    GDALRasterBand* b = ds.GetRasterBand(i);
    nlohmann::json jb;
    jb["band"] = i;
    jb["type"] = GDALGetDataTypeName(b->GetRasterDataType());
    jb["description"] = utf8_or_escaped(b->GetDescription());
    for (std::size_t r = 0; roles_ok && r < kRoleCount; ++r)
      if (roles.index[r] == i) jb["role"] = role_name(static_cast<BandRole>(r));
    int has = 0;
    const double nd = b->GetNoDataValue(&has);
    if (has) jb["nodata"] = nd;
    const double sc = b->GetScale(&has);
    if (has) jb["scale"] = sc;
    const double of = b->GetOffset(&has);
    if (has) jb["offset"] = of;
    int bx = 0, by = 0;
    b->GetBlockSize(&bx, &by);
    jb["block"] = {bx, by};
    jb["overviews"] = b->GetOverviewCount();
    if (b->GetColorTable()) jb["color_table"] = b->GetColorTable()->GetColorEntryCount();
    j["bands"].push_back(jb);
  }
  return j;
}

nlohmann::json describe_vector(const std::string& path) {
  VectorRequest req;
  req.path = path;
  req.all_layers = true;
  const DecodedVector decoded = open_vector_decoded(req);
  GDALDataset& ds = *decoded.ds;
  const std::string where = "vector '" + path + "'";
  nlohmann::json j;
  j["kind"] = "vector";
  j["path"] = utf8_or_escaped(path);
  j["driver"] = ds.GetDriver()->GetDescription();
  j["encoding"] = decoded.encoding;
  j["encoding_source"] = decoded.encoding_source;
  j["layers"] = nlohmann::json::array();
  GeosContext geos;
  for (int li = 0; li < ds.GetLayerCount(); ++li) {
    OGRLayer* l = ds.GetLayer(li);
    nlohmann::json jl;
    jl["name"] = utf8_or_escaped(l->GetName());
    jl["geometry"] = OGRGeometryTypeToName(l->GetGeomType());
    std::string wkt;
    if (const OGRSpatialReference* s = l->GetSpatialRef()) {
      char* w = nullptr;
      s->exportToWkt(&w);
      wkt = w ? w : "";
      CPLFree(w);
    }
    jl["crs"] = crs_label(wkt);
    jl["features"] = l->GetFeatureCount();
    OGREnvelope env;
    if (l->GetExtent(&env) == OGRERR_NONE) jl["extent"] = {env.MinX, env.MinY, env.MaxX, env.MaxY};
    jl["fields"] = nlohmann::json::array();
    for (int f = 0; f < l->GetLayerDefn()->GetFieldCount(); ++f) {
      OGRFieldDefn* fd = l->GetLayerDefn()->GetFieldDefn(f);
      jl["fields"].push_back(
          {{"name", fd->GetNameRef()}, {"type", OGRFieldDefn::GetFieldTypeName(fd->GetType())}});
    }
    // Validity as GEOS judges it, on curves made linear (GEOS reads no arcs).
    int invalid = 0, curved = 0;
    for_each_feature(*l, where, [&](OGRFeature& feat) {
      const GeometryPtr g = linear_geometry(feat);
      if (!g) return;
      if (feat.GetGeometryRef()->hasCurveGeometry(FALSE)) ++curved;
      GeosGeometryPtr gg;
      try {
        gg = geos_from_wkb(geos, to_wkb(*g));
      } catch (const std::runtime_error& e) {
        throw InputError(where + ": feature FID " + std::to_string(feat.GetFID()) + " of layer '" +
                         utf8_or_escaped(l->GetName()) +
                         "' has a geometry GEOS cannot read: " + e.what());
      }
      if (GEOSisValid_r(geos.get(), gg.get()) != 1) ++invalid;
    });
    jl["invalid_geometries"] = invalid;
    jl["curved_geometries"] = curved;
    j["layers"].push_back(jl);
  }
  return j;
}

}  // namespace

nlohmann::json describe_file(const std::string& path) {
  VSIStatBufL st;
  if (VSIStatL(path.c_str(), &st) != 0)
    throw InputError("cannot open '" + path + "': file does not exist");
  ImageRequest as_product;
  as_product.path = path;
  if (const auto product = resolve_product(as_product, {})) {
    // A product folder: described as the stack the pipeline reads.
    auto ds = open_raster(product->path);
    auto j = describe_raster(*ds, path, *product);
    j["product"] = ds->GetMetadataItem("FARMWATCH_PRODUCT");
    if (!product->quality.empty()) j["quality_file"] = product->quality;
    if (!product->metadata.empty()) j["metadata_file"] = product->metadata;
    return j;
  }
  CPLErrorReset();
  DatasetPtr ds(
      GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_VECTOR | GDAL_OF_READONLY));
  if (!ds)
    throw InputError("cannot open '" + path + "': " + why_not_opened(path, "raster or vector"));
  if (ds->GetRasterCount() > 0) return describe_raster(*ds, path, as_product);
  ds.reset();
  return describe_vector(path);
}

std::string format_description(const nlohmann::json& d) {
  std::ostringstream o;
  o << d["path"].get<std::string>() << " (" << d["driver"].get<std::string>() << ", "
    << d["kind"].get<std::string>() << ")\n";
  if (d["kind"] == "raster") {
    o << "  size: " << d["width"] << " x " << d["height"] << "\n";
    o << "  crs: " << d["crs"].get<std::string>() << "\n";
    o << "  pixel size: " << d["pixel_size"][0] << " x " << d["pixel_size"][1];
    if (d["orientation"] != "north-up")
      o << " (" << d["orientation"].get<std::string>() << ", read onto a north-up grid)";
    o << "\n";
    o << "  extent: " << d["extent"].dump() << "\n";
    if (d.contains("reflectance_rule"))
      o << "  reflectance: " << d["reflectance_rule"].get<std::string>() << "\n";
    if (d.contains("product")) o << "  product: " << d["product"].get<std::string>() << "\n";
    if (d.contains("quality_band"))
      o << "  quality layer: band " << d["quality_band"]["band"] << " of "
        << d["quality_band"]["file"].get<std::string>() << " ("
        << d["quality_band"]["kind"].get<std::string>() << ")\n";
    for (const auto& b : d["bands"]) {
      o << "  band " << b["band"] << ": " << b["type"].get<std::string>();
      if (!b["description"].get<std::string>().empty())
        o << " '" << b["description"].get<std::string>() << "'";
      if (b.contains("role")) o << " role=" << b["role"].get<std::string>();
      if (b.contains("nodata")) o << " nodata=" << b["nodata"];
      if (b.contains("scale")) o << " scale=" << b["scale"];
      if (b.contains("offset")) o << " offset=" << b["offset"];
      o << " block=" << b["block"][0] << "x" << b["block"][1];
      o << " overviews=" << b["overviews"];
      if (b.contains("color_table")) o << " colours=" << b["color_table"];
      o << "\n";
    }
  } else {
    o << "  text encoding: " << d["encoding"].get<std::string>() << " ("
      << d["encoding_source"].get<std::string>() << ")\n";
    for (const auto& l : d["layers"]) {
      o << "  layer '" << l["name"].get<std::string>() << "': " << l["features"] << " features, "
        << l["geometry"].get<std::string>() << ", " << l["crs"].get<std::string>() << "\n";
      if (l.contains("extent")) o << "    extent: " << l["extent"].dump() << "\n";
      o << "    invalid geometries: " << l["invalid_geometries"] << "\n";
      if (l["curved_geometries"] != 0)
        o << "    curved geometries: " << l["curved_geometries"] << " (read as line segments)\n";
      if (l.contains("fields"))
        for (const auto& f : l["fields"])
          o << "    field " << f["name"].get<std::string>() << " (" << f["type"].get<std::string>()
            << ")\n";
    }
  }
  return o.str();
}

}  // namespace farmwatch::io
