#include "farmwatch/io/evaluate.h"

#include <gdal_utils.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <filesystem>

#include "farmwatch/core/error.h"
#include "farmwatch/io/geodesic.h"
#include "farmwatch/io/image_source.h"
#include "farmwatch/io/spatial_ref.h"
#include "gdal_error.h"
#include "gdal_handles.h"

namespace farmwatch::io {
namespace {

constexpr int kRows = 256;

bool is_vector(const std::string& path) {
  GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR));
  return ds && ds->GetLayerCount() > 0;
}

/// The labelled polygons burnt onto `grid` (their CRS transformed to the grid's): a MEM raster,
/// 0 where no polygon is.
DatasetPtr rasterise(const EvaluateRequest& req, const Grid& grid) {
  auto vec = open_vector(req.reference);
  OGRLayer* layer = req.layer.empty() ? vec->GetLayer(0) : vec->GetLayerByName(req.layer.c_str());
  if (!layer)
    throw InputError("reference '" + req.reference + "' has no layer '" + req.layer + "'");
  if (req.field.empty())
    throw InputError("reference '" + req.reference + "' is a vector layer: name the attribute " +
                     "holding the class code (--field)");
  if (layer->GetLayerDefn()->GetFieldIndex(req.field.c_str()) < 0)
    throw InputError("reference '" + req.reference + "' has no field '" + req.field + "'");
  if (!layer->GetSpatialRef())
    throw InputError("reference '" + req.reference + "' has no coordinate reference system");
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  DatasetPtr out(mem->Create("", grid.width, grid.height, 1, GDT_Byte, nullptr));
  double gt[6];
  std::copy(grid.transform.c.begin(), grid.transform.c.end(), gt);
  out->SetGeoTransform(gt);
  auto srs = srs_from_wkt(grid.crs_wkt);
  out->SetSpatialRef(&srs);
  std::vector<std::string> args = {"-a", req.field, "-l", layer->GetName()};
  if (!req.where.empty()) args.insert(args.end(), {"-where", req.where});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  GDALRasterizeOptions* opts = GDALRasterizeOptionsNew(argv.data(), nullptr);
  int usage = 0;
  CPLErrorReset();
  GDALDatasetH h = GDALRasterize(nullptr, GDALDataset::ToHandle(out.get()),
                                 GDALDataset::ToHandle(vec.get()), opts, &usage);
  GDALRasterizeOptionsFree(opts);
  if (!h)
    throw InputError("cannot rasterise reference '" + req.reference + "': " + gdal_last_error());
  return out;
}

}  // namespace

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

  DatasetPtr burnt;
  std::optional<GridReader> rr;
  if (is_vector(req.reference)) {
    burnt = rasterise(req, map.grid);
  } else {
    ImageRequest rreq;
    rreq.path = req.reference;
    rreq.scale = 1.0;  // labels, not reflectance
    ImageInfo ref = inspect_image(rreq, {});
    if (ref.band_count != 1)
      throw InputError("reference '" + req.reference + "' has " + std::to_string(ref.band_count) +
                       " bands; a label raster has one");
    if (transform_box(ref.grid.extent(), ref.grid.crs_wkt, map.grid.crs_wkt)
            .intersect(map.grid.extent())
            .empty())
      throw InputError("reference '" + req.reference + "' does not overlap map '" + req.map + "'");
    rr.emplace(ref, map.grid, Resampling::nearest);
  }

  AccuracyCounter counter;
  std::vector<std::uint8_t> m, r;
  for (int row = 0; row < map.grid.height; row += kRows) {
    const Window w{0, row, map.grid.width, std::min(kRows, map.grid.height - row)};
    mr.read_bytes(w, m);
    if (rr) {
      rr->read_bytes(w, r);  // nodata and outside: 255
    } else {
      r.resize(m.size());
      if (burnt->GetRasterBand(1)->RasterIO(GF_Read, w.col, w.row, w.width, w.height, r.data(),
                                            w.width, w.height, GDT_Byte, 0, 0, nullptr) != CE_None)
        throw ProcessingError("cannot read the rasterised reference: " + gdal_last_error());
    }
    for (std::size_t i = 0; i < m.size(); ++i) {
      const bool labelled = r[i] != 0 && r[i] != 255;
      ev.reference_pixels += labelled;
      if (m[i] == 255) continue;
      counter.add_map_pixel(m[i]);
      if (labelled) counter.add_sample(m[i], r[i]);
    }
  }
  if (ev.reference_pixels == 0)
    throw InputError("reference '" + req.reference + "' has no labelled pixel on map '" + req.map +
                     "'" + (req.where.empty() ? "" : " (with --where " + req.where + ")"));
  try {
    ev.report = counter.report();
  } catch (const std::invalid_argument&) {
    throw InputError("reference '" + req.reference + "': every labelled pixel is nodata in map '" +
                     req.map + "'");
  }
  // The grid's area on its ellipsoid over its pixel count.
  const Box e = map.grid.extent();
  OGRPolygon poly;
  OGRLinearRing ring;
  for (auto [x, y] : {std::pair{e.xmin, e.ymin},
                      {e.xmax, e.ymin},
                      {e.xmax, e.ymax},
                      {e.xmin, e.ymax},
                      {e.xmin, e.ymin}})
    ring.addPoint(x, y);
  poly.addRing(&ring);
  std::vector<std::uint8_t> wkb(static_cast<std::size_t>(poly.WkbSize()));
  poly.exportToWkb(wkbNDR, wkb.data());
  ev.pixel_area_m2 = EllipsoidalArea(map.grid.crs_wkt).area_m2(wkb) /
                     (static_cast<double>(map.grid.width) * map.grid.height);
  return ev;
}

}  // namespace farmwatch::io
