#include "farmwatch/io/patches.h"

#include <gdal_alg.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "farmwatch/core/error.h"
#include "farmwatch/core/units.h"
#include "farmwatch/io/farmland.h"
#include "farmwatch/io/geodesic.h"
#include "farmwatch/io/raster_writer.h"
#include "gdal_error.h"
#include "gdal_handles.h"

namespace farmwatch::io {
namespace {

std::vector<std::uint8_t> to_wkb(const OGRGeometry& g) {
  std::vector<std::uint8_t> out(g.WkbSize());
  g.exportToWkb(wkbNDR, out.data(), wkbVariantIso);
  return out;
}

template <class T>
void read_window(GDALDataset& ds, const Window& w, std::vector<T>& out, GDALDataType type) {
  out.resize(static_cast<std::size_t>(w.pixels()));
  CPLErrorReset();
  if (ds.GetRasterBand(1)->RasterIO(GF_Read, w.col, w.row, w.width, w.height, out.data(),
                                    w.width, w.height, type, 0, 0, nullptr) != CE_None)
    throw ProcessingError("cannot read '" + std::string(ds.GetDescription()) + "': " +
                          gdal_last_error());
}

/// Pixels of `window` whose centres fall inside `geom` (1) or not (0).
std::vector<std::uint8_t> pixel_mask(const Grid& grid, const Window& window, OGRGeometry& geom) {
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  DatasetPtr ds(mem->Create("", window.width, window.height, 1, GDT_Byte, nullptr));
  const Grid sub = grid.subgrid(window);
  double gt[6];
  std::copy(sub.transform.c.begin(), sub.transform.c.end(), gt);
  ds->SetGeoTransform(gt);
  int band = 1;
  double burn = 1;
  OGRGeometryH h = OGRGeometry::ToHandle(&geom);
  if (GDALRasterizeGeometries(GDALDataset::ToHandle(ds.get()), 1, &band, 1, &h, nullptr, nullptr,
                              &burn, nullptr, nullptr, nullptr) != CE_None)
    throw ProcessingError("cannot rasterize a patch: " + gdal_last_error());
  std::vector<std::uint8_t> mask;
  read_window(*ds, {0, 0, window.width, window.height}, mask, GDT_Byte);
  return mask;
}

struct Measure {
  std::array<std::int64_t, 256> before{}, after{};
  std::int64_t pixels = 0, in_farmland = 0, pure = 0;
  double evidence_sum = 0;
};

std::uint8_t majority(const std::array<std::int64_t, 256>& h) {
  return static_cast<std::uint8_t>(std::max_element(h.begin(), h.end()) - h.begin());
}

}  // namespace

PatchResult extract_patches(const PatchInputs& in, const Log& log) {
  auto cand = open_raster(in.candidates);
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("Memory");
  DatasetPtr vds(mem->Create("", 0, 0, 0, GDT_Unknown, nullptr));
  auto srs = srs_from_wkt(in.grid.crs_wkt);
  OGRLayer* layer = vds->CreateLayer("patches", &srs, wkbPolygon, nullptr);
  OGRFieldDefn cat_field("cat", OFTInteger);
  layer->CreateField(&cat_field);
  GDALRasterBand* band = cand->GetRasterBand(1);
  CPLErrorReset();
  if (GDALPolygonize(GDALRasterBand::ToHandle(band), GDALRasterBand::ToHandle(band->GetMaskBand()),
                     OGRLayer::ToHandle(layer), 0, nullptr, nullptr, nullptr) != CE_None)
    throw ProcessingError("cannot polygonise change raster '" + in.candidates + "': " +
                          gdal_last_error());
  cand.reset();

  auto before = open_raster(in.before_classes), after = open_raster(in.after_classes);
  auto evidence = open_raster(in.evidence);
  DatasetPtr parcels = in.parcels.empty() ? nullptr : open_raster(in.parcels);
  const EllipsoidalArea area(in.grid.crs_wkt);
  const auto lonlat = wgs84_lonlat();
  auto to_lonlat = make_transform(srs, lonlat);

  PatchResult result;
  std::vector<std::vector<std::uint8_t>> dropped;
  std::vector<std::uint8_t> b, a, e;
  std::vector<std::uint32_t> p;
  layer->ResetReading();
  for (auto& feat : *layer) {
    OGRGeometry* g = feat->GetGeometryRef();
    if (!g) continue;
    Patch patch;
    patch.category = static_cast<ChangeCategory>(feat->GetFieldAsInteger(0));
    patch.wkb = to_wkb(*g);
    patch.area_m2 = area.area_m2(patch.wkb);
    if (patch.area_m2 < in.rules->min_area_m2(patch.category)) {
      dropped.push_back(std::move(patch.wkb));
      continue;
    }
    patch.area_mu = m2_to_mu(patch.area_m2);

    OGREnvelope env;
    g->getEnvelope(&env);
    const Window w = in.grid.window_for({env.MinX, env.MinY, env.MaxX, env.MaxY});
    const auto mask = pixel_mask(in.grid, w, *g);
    read_window(*before, w, b, GDT_Byte);
    read_window(*after, w, a, GDT_Byte);
    read_window(*evidence, w, e, GDT_Byte);
    if (parcels) read_window(*parcels, w, p, GDT_UInt32);
    Measure m;
    for (std::size_t i = 0; i < mask.size(); ++i) {
      if (!mask[i]) continue;
      ++m.pixels;
      ++m.before[b[i]];
      ++m.after[a[i]];
      m.evidence_sum += e[i];
      if (!parcels || p[i] != 0) ++m.in_farmland;
    }
    patch.pixels = m.pixels;
    patch.class_before = majority(m.before);
    patch.class_after = majority(m.after);
    for (std::size_t i = 0; i < mask.size(); ++i)
      if (mask[i] && b[i] == patch.class_before && a[i] == patch.class_after) ++m.pure;
    const double n = static_cast<double>(std::max<std::int64_t>(m.pixels, 1));
    patch.farmland_share = static_cast<double>(m.in_farmland) / n;
    // Confidence: agreement of the pixels on one transition, and how strong the spectral
    // change is. A heuristic until a trained model gives class probabilities.
    patch.confidence =
        std::round(100.0 * (0.5 * static_cast<double>(m.pure) / n + 0.5 * m.evidence_sum / n / 100.0)) /
        100.0;

    OGRPoint centroid;
    g->Centroid(&centroid);
    patch.centroid_x = centroid.getX();
    patch.centroid_y = centroid.getY();
    centroid.transform(to_lonlat.get());
    patch.centroid_lon = centroid.getX();
    patch.centroid_lat = centroid.getY();
    GeometryPtr ll(g->clone());
    ll->transform(to_lonlat.get());
    patch.wkb_lonlat = to_wkb(*ll);
    if (in.farmland) patch.parcel_ids = in.farmland->parcels_intersecting(patch.wkb);
    result.patches.push_back(std::move(patch));
  }
  result.dropped_below_min_area = dropped.size();
  burn_polygons(in.change, dropped, 0);

  // Stable order: category, then north to south, then west to east.
  std::sort(result.patches.begin(), result.patches.end(), [](const Patch& x, const Patch& y) {
    if (x.category != y.category) return x.category < y.category;
    if (x.centroid_y != y.centroid_y) return x.centroid_y > y.centroid_y;
    return x.centroid_x < y.centroid_x;
  });
  for (std::size_t i = 0; i < result.patches.size(); ++i) {
    std::string seq = std::to_string(i + 1);
    if (seq.size() < 4) seq.insert(0, 4 - seq.size(), '0');
    result.patches[i].id = in.id_prefix + "-" + seq;
  }
  log.info(std::to_string(result.patches.size()) + " patches kept, " +
           std::to_string(dropped.size()) + " below the minimum area dropped");
  return result;
}

}  // namespace farmwatch::io
