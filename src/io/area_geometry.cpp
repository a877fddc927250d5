#include "farmwatch/io/area_geometry.h"

#include <gdal_alg.h>
#include <gdal_priv.h>
#include <ogr_geometry.h>

#include "farmwatch/core/error.h"
#include "farmwatch/io/geodesic.h"
#include "farmwatch/io/spatial_ref.h"
#include "gdal_error.h"
#include "gdal_handles.h"

namespace farmwatch::io {

namespace {

std::vector<std::uint8_t> wkb_or_empty(const OGRGeometry* g) {
  if (!g || g->IsEmpty()) return {};
  return to_wkb(*g);
}

DatasetPtr mem_raster(int w, int h, const Grid& grid, GDALDataType type) {
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  DatasetPtr ds(mem->Create("", w, h, 1, type, nullptr));
  if (!ds) throw ProcessingError("cannot create an in-memory raster: " + gdal_last_error());
  double gt[6] = {grid.transform.c[0], grid.transform.c[1], grid.transform.c[2],
                  grid.transform.c[3], grid.transform.c[4], grid.transform.c[5]};
  ds->SetGeoTransform(gt);
  ds->SetProjection(grid.crs_wkt.c_str());
  return ds;
}

}  // namespace

std::vector<std::uint8_t> box_lonlat(const Box& b, const std::string& crs_wkt) {
  OGRLinearRing ring;
  constexpr int n = 16;
  for (int i = 0; i < n; ++i) ring.addPoint(b.xmin + (b.xmax - b.xmin) * i / n, b.ymin);
  for (int i = 0; i < n; ++i) ring.addPoint(b.xmax, b.ymin + (b.ymax - b.ymin) * i / n);
  for (int i = 0; i < n; ++i) ring.addPoint(b.xmax - (b.xmax - b.xmin) * i / n, b.ymax);
  for (int i = 0; i < n; ++i) ring.addPoint(b.xmin, b.ymax - (b.ymax - b.ymin) * i / n);
  ring.closeRings();
  OGRPolygon poly;
  poly.addRing(&ring);
  const auto from = srs_from_wkt(crs_wkt);
  const auto to = wgs84_lonlat();
  auto ct = make_transform(from, to);
  if (poly.transform(ct.get()) != OGRERR_NONE)
    throw ProcessingError("cannot transform a footprint to lon/lat");
  return to_wkb(poly);
}

std::vector<std::uint8_t> mask_outline(const std::vector<std::uint8_t>& mask, const Grid& grid) {
  bool any = false;
  for (auto v : mask) any = any || v;
  if (!any) return {};
  DatasetPtr ds = mem_raster(grid.width, grid.height, grid, GDT_Byte);
  GDALRasterBand* band = ds->GetRasterBand(1);
  window_io(*band, GF_Write, {0, 0, grid.width, grid.height}, const_cast<std::uint8_t*>(mask.data()),
            GDT_Byte, "(mask)");
  GDALDriver* memv = GetGDALDriverManager()->GetDriverByName("Memory");
  DatasetPtr vds(memv->Create("", 0, 0, 0, GDT_Unknown, nullptr));
  auto srs = srs_from_wkt(grid.crs_wkt);
  OGRLayer* layer = vds->CreateLayer("mask", &srs, wkbPolygon, nullptr);
  OGRFieldDefn fd("v", OFTInteger);
  layer->CreateField(&fd);
  CPLErrorReset();
  if (GDALPolygonize(band, band, layer, 0, nullptr, nullptr, nullptr) != CE_None)
    throw ProcessingError("cannot outline a mask: " + gdal_last_error());
  OGRMultiPolygon all;
  layer->ResetReading();
  while (OGRFeatureUniquePtr f{layer->GetNextFeature()})
    if (const OGRGeometry* g = f->GetGeometryRef()) all.addGeometry(g);
  GeometryPtr merged(all.UnionCascaded());
  if (!merged || merged->IsEmpty()) return {};
  return to_wkb(*merged);
}

std::vector<std::uint8_t> mask_lonlat(const std::vector<std::uint8_t>& mask, const Grid& grid) {
  const auto outline = mask_outline(mask, grid);
  return outline.empty() ? outline : wkb_to_lonlat(outline, grid.crs_wkt);
}

GridMask rasterize_lonlat(const std::vector<std::uint8_t>& wkb, const Grid& grid) {
  GridMask out;
  GeometryPtr g = from_wkb(wkb);
  const auto lonlat = wgs84_lonlat();
  const auto srs = srs_from_wkt(grid.crs_wkt);
  auto ct = make_transform(lonlat, srs);
  if (g->transform(ct.get()) != OGRERR_NONE) return out;
  OGREnvelope e;
  g->getEnvelope(&e);
  out.window = grid.window_for(Box{e.MinX, e.MinY, e.MaxX, e.MaxY});
  if (out.window.empty()) return out;
  const Grid sub = grid.subgrid(out.window);
  DatasetPtr ds = mem_raster(out.window.width, out.window.height, sub, GDT_Byte);
  int band = 1;
  double burn = 1;
  OGRGeometryH h = OGRGeometry::ToHandle(g.get());
  CPLErrorReset();
  if (GDALRasterizeGeometries(GDALDataset::ToHandle(ds.get()), 1, &band, 1, &h, nullptr, nullptr,
                              &burn, nullptr, nullptr, nullptr) != CE_None)
    throw ProcessingError("cannot rasterize a patch: " + gdal_last_error());
  out.inside.resize(static_cast<std::size_t>(out.window.pixels()));
  window_io(*ds->GetRasterBand(1), GF_Read, {0, 0, out.window.width, out.window.height},
            out.inside.data(), GDT_Byte, "(patch)");
  return out;
}

std::vector<std::uint8_t> wkb_to_lonlat(const std::vector<std::uint8_t>& wkb,
                                        const std::string& crs_wkt) {
  GeometryPtr g = from_wkb(wkb);
  auto ct = make_transform(srs_from_wkt(crs_wkt), wgs84_lonlat());
  if (g->transform(ct.get()) != OGRERR_NONE)
    throw ProcessingError("cannot transform a geometry to lon/lat");
  return to_wkb(*g);
}

double area_m2_lonlat(const std::vector<std::uint8_t>& wkb) {
  if (wkb.empty()) return 0;
  static const EllipsoidalArea area(crs_from_user("EPSG:4326"));
  return area.area_m2(wkb);
}

std::vector<std::uint8_t> union_lonlat(const std::vector<std::vector<std::uint8_t>>& parts) {
  OGRMultiPolygon all;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    GeometryPtr g = from_wkb(p);
    if (auto* mp = dynamic_cast<OGRMultiPolygon*>(g.get())) {
      for (const auto* poly : *mp) all.addGeometry(poly);
    } else {
      all.addGeometry(g.get());
    }
  }
  if (all.IsEmpty()) return {};
  GeometryPtr merged(all.UnionCascaded());
  return wkb_or_empty(merged.get());
}

std::vector<std::uint8_t> intersection_lonlat(const std::vector<std::uint8_t>& a,
                                              const std::vector<std::uint8_t>& b) {
  if (a.empty() || b.empty()) return {};
  GeometryPtr ga = from_wkb(a), gb = from_wkb(b);
  GeometryPtr r(ga->Intersection(gb.get()));
  return wkb_or_empty(r.get());
}

std::vector<std::uint8_t> difference_lonlat(const std::vector<std::uint8_t>& a,
                                            const std::vector<std::uint8_t>& b) {
  if (a.empty()) return {};
  if (b.empty()) return a;
  GeometryPtr ga = from_wkb(a), gb = from_wkb(b);
  GeometryPtr r(ga->Difference(gb.get()));
  return wkb_or_empty(r.get());
}

}  // namespace farmwatch::io
