#include "farmwatch/io/evaluate.h"

#include <gdal_alg.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "farmwatch/core/error.h"
#include "farmwatch/io/geodesic.h"
#include "farmwatch/io/image_source.h"
#include "farmwatch/io/spatial_ref.h"
#include "gdal_error.h"
#include "gdal_handles.h"
#include "vector_reader.h"

namespace farmwatch::io {
namespace {

constexpr int kRows = 256;

bool is_vector(const std::string& path) {
  GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR));
  return ds && ds->GetLayerCount() > 0;
}

/// How the reference polygons are opened: as every vector layer, named "reference".
VectorRequest reference_request(const EvaluateRequest& req) {
  VectorRequest vreq;
  vreq.path = req.reference;
  vreq.kind = "reference";
  vreq.layer = req.layer;
  return vreq;
}

/// The labelled polygons burnt onto `grid` (their CRS transformed to the grid's): a MEM raster,
/// 0 where no polygon is. Read like every vector layer (text decoded, curves made linear),
/// then burnt as gdal_rasterize -a FIELD does: pixel centres inside, later features on top.
DatasetPtr rasterise(const EvaluateRequest& req, const Grid& grid) {
  const VectorRequest vreq = reference_request(req);
  const DecodedVector vec = open_vector_decoded(vreq);
  OGRLayer& layer = pick_layer(*vec.ds, vreq);
  const std::string where = "reference '" + req.reference + "'";
  if (req.field.empty())
    throw InputError(where + " is a vector layer: name the attribute holding the class code " +
                     "(--field)");
  const int field = layer.GetLayerDefn()->GetFieldIndex(req.field.c_str());
  if (field < 0) throw InputError(where + " has no field '" + req.field + "'");
  if (!layer.GetSpatialRef()) throw InputError(where + " has no coordinate reference system");
  OGRSpatialReference src = *layer.GetSpatialRef();
  src.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  const TransformPtr ct = make_transform(src, srs_from_wkt(grid.crs_wkt));
  if (!req.where.empty()) {
    CPLErrorReset();
    if (layer.SetAttributeFilter(req.where.c_str()) != OGRERR_NONE)
      throw InputError(where + ": cannot apply the filter '" + req.where +
                       "': " + gdal_last_error());
  }
  std::vector<GeometryPtr> geoms;
  std::vector<OGRGeometryH> handles;
  std::vector<double> burn;
  for_each_feature(layer, where, [&](OGRFeature& f) {
    GeometryPtr g = linear_geometry(f);
    if (!g || g->IsEmpty()) return;
    if (g->transform(ct.get()) != OGRERR_NONE)
      throw InputError(where + ": feature FID " + std::to_string(f.GetFID()) +
                       " cannot be transformed to the CRS of the map: " + gdal_last_error());
    burn.push_back(f.GetFieldAsDouble(field));
    handles.push_back(OGRGeometry::ToHandle(g.get()));
    geoms.push_back(std::move(g));
  });
  layer.SetAttributeFilter(nullptr);
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  DatasetPtr out(mem->Create("", grid.width, grid.height, 1, GDT_Byte, nullptr));
  double gt[6];
  std::copy(grid.transform.c.begin(), grid.transform.c.end(), gt);
  out->SetGeoTransform(gt);
  auto srs = srs_from_wkt(grid.crs_wkt);
  out->SetSpatialRef(&srs);
  int band = 1;
  CPLErrorReset();
  if (!handles.empty() &&
      GDALRasterizeGeometries(GDALDataset::ToHandle(out.get()), 1, &band,
                              static_cast<int>(handles.size()), handles.data(), nullptr, nullptr,
                              burn.data(), nullptr, nullptr, nullptr) != CE_None)
    throw ProcessingError("cannot rasterise " + where + ": " + gdal_last_error());
  return out;
}

/// The labels on `grid`, 0 where unlabelled.
std::vector<std::uint8_t> read_labels(const EvaluateRequest& req, const Grid& grid) {
  std::vector<std::uint8_t> out(static_cast<std::size_t>(grid.width) * grid.height, 0);
  if (is_vector(req.reference)) {
    DatasetPtr burnt = rasterise(req, grid);
    if (burnt->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, grid.width, grid.height, out.data(),
                                          grid.width, grid.height, GDT_Byte, 0, 0,
                                          nullptr) != CE_None)
      throw ProcessingError("cannot read the rasterised reference: " + gdal_last_error());
    return out;
  }
  ImageRequest rreq;
  rreq.path = req.reference;
  rreq.scale = 1.0;  // labels, not reflectance
  const ImageInfo ref = inspect_image(rreq, {});
  if (ref.band_count != 1)
    throw InputError("reference '" + req.reference + "' has " + std::to_string(ref.band_count) +
                     " bands; a label raster has one");
  if (transform_box(ref.grid.extent(), ref.grid.crs_wkt, grid.crs_wkt)
          .intersect(grid.extent())
          .empty())
    throw InputError("reference '" + req.reference + "' does not overlap the grid of the map");
  GridReader rr(ref, grid, Resampling::nearest);
  std::vector<std::uint8_t> r;
  for (int row = 0; row < grid.height; row += kRows) {
    const Window w{0, row, grid.width, std::min(kRows, grid.height - row)};
    rr.read_bytes(w, r);  // nodata and outside: 255
    for (auto& v : r)
      if (v == 255) v = 0;
    std::copy(r.begin(), r.end(), out.begin() + static_cast<std::ptrdiff_t>(row) * grid.width);
  }
  return out;
}
}  // namespace

std::vector<std::uint8_t> labels_on_grid(const EvaluateRequest& req, const Grid& grid) {
  auto out = read_labels(req, grid);
  if (std::all_of(out.begin(), out.end(), [](std::uint8_t v) { return v == 0; }))
    throw InputError("reference '" + req.reference + "' has no labelled pixel on the grid (" +
                     std::to_string(grid.width) + " x " + std::to_string(grid.height) +
                     " pixels) of " +
                     (req.map.empty() ? "the image or map it labels" : "'" + req.map + "'") +
                     (req.where.empty() ? "" : " (with --where " + req.where + ")"));
  return out;
}

std::vector<std::pair<std::uint8_t, std::string>> label_names(const EvaluateRequest& req,
                                                              const std::string& name_field) {
  std::vector<std::pair<std::uint8_t, std::string>> out;
  if (name_field.empty() || !is_vector(req.reference)) return out;
  const VectorRequest vreq = reference_request(req);
  const DecodedVector vec = open_vector_decoded(vreq);
  OGRLayer& layer = pick_layer(*vec.ds, vreq);
  const int code_idx = layer.GetLayerDefn()->GetFieldIndex(req.field.c_str());
  const int name_idx = layer.GetLayerDefn()->GetFieldIndex(name_field.c_str());
  if (code_idx < 0)
    throw InputError("reference '" + req.reference + "' has no field '" + req.field + "'");
  if (name_idx < 0)
    throw InputError("reference '" + req.reference + "' has no field '" + name_field + "'");
  std::map<int, std::string> names;
  for_each_feature(layer, "reference '" + req.reference + "'", [&](OGRFeature& f) {
    const int code = f.GetFieldAsInteger(code_idx);
    if (code > 0 && code < 255) names.emplace(code, f.GetFieldAsString(name_idx));
  });
  for (const auto& [c, n] : names) out.emplace_back(static_cast<std::uint8_t>(c), n);
  return out;
}

Evaluation evaluate_map(const EvaluateRequest& req) {
  ImageRequest mreq;
  mreq.path = req.map;
  mreq.scale = 1.0;  // class codes, not reflectance
  const ImageInfo map = inspect_image(mreq, {});
  if (map.band_count != 1 || map.data_type != "Byte")
    throw InputError("map '" + req.map + "' is not a class map (one Byte band of class codes, " +
                     "as farmwatch classify writes)");
  Evaluation ev;
  ev.grid = map.grid;
  GridReader mr(map, map.grid, Resampling::nearest);

  const std::vector<std::uint8_t> ref = labels_on_grid(req, map.grid);
  AccuracyCounter counter;
  std::vector<std::uint8_t> m;
  for (int row = 0; row < map.grid.height; row += kRows) {
    const Window w{0, row, map.grid.width, std::min(kRows, map.grid.height - row)};
    mr.read_bytes(w, m);
    const std::size_t off = static_cast<std::size_t>(row) * map.grid.width;
    for (std::size_t i = 0; i < m.size(); ++i) {
      const std::uint8_t r = ref[off + i];
      ev.reference_pixels += r != 0;
      if (m[i] == 255) continue;
      counter.add_map_pixel(m[i]);
      if (r != 0) counter.add_sample(m[i], r);
    }
  }
  try {
    ev.report = counter.report();
  } catch (const std::invalid_argument&) {
    throw InputError("reference '" + req.reference + "': every labelled pixel is nodata in map '" +
                     req.map + "'");
  }
  ev.pixel_area_m2 = mean_pixel_area_m2(map.grid);
  return ev;
}

}  // namespace farmwatch::io
