#include "farmwatch/io/parcel_stats.h"

#include <ogr_geometry.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <array>
#include <cmath>

#include "farmwatch/core/error.h"
#include "farmwatch/io/geodesic.h"
#include "farmwatch/io/image_source.h"
#include "gdal_error.h"
#include "gdal_handles.h"
#include "on_grid.h"

namespace farmwatch::io {
namespace {

/// One thread's class raster and area calculator.
struct Worker {
  explicit Worker(const ImageInfo& info)
      : ds(open_on_grid(info, Resampling::nearest)), area(info.grid.crs_wkt) {}
  DatasetPtr ds;
  EllipsoidalArea area;
  std::vector<std::uint8_t> buf;
};

/// Ellipsoidal area of the grid cell at (row, col).
double cell_area(const Grid& g, int row, int col, const EllipsoidalArea& area) {
  const auto& t = g.transform.c;
  const double x0 = t[0] + col * t[1], y0 = t[3] + row * t[5];
  OGRPolygon p;
  OGRLinearRing r;
  r.addPoint(x0, y0);
  r.addPoint(x0 + t[1], y0);
  r.addPoint(x0 + t[1], y0 + t[5]);
  r.addPoint(x0, y0 + t[5]);
  r.addPoint(x0, y0);
  p.addRing(&r);
  std::vector<std::uint8_t> wkb(static_cast<std::size_t>(p.WkbSize()));
  p.exportToWkb(wkbNDR, wkb.data());
  return area.area_m2(wkb);
}

}  // namespace

std::vector<std::vector<ParcelClassArea>> parcel_class_areas(const FarmlandLayer& parcels,
                                                             const std::string& class_raster) {
  ImageRequest req;
  req.path = class_raster;
  req.scale = 1.0;
  const ImageInfo info = inspect_image(req, {});
  if (info.band_count != 1 || info.data_type != "Byte")
    throw InputError("raster '" + class_raster + "' is not a class map (one Byte band)");
  const Grid& g = info.grid;
  std::vector<std::vector<ParcelClassArea>> out(parcels.size());
  tbb::enumerable_thread_specific<Worker> workers([&] { return Worker(info); });
  tbb::parallel_for(std::size_t(0), parcels.size(), [&](std::size_t i) {
    Worker& w = workers.local();
    const auto rings = parcels.parcel_rings(i);
    // The cells it touches, with their fractions; then their classes in one read.
    struct Cell {
      int row, col;
      double f;
    };
    std::vector<Cell> cells;
    coverage_fractions(g, rings, [&](int r, int c, double f) { cells.push_back({r, c, f}); });
    if (cells.empty()) return;
    int r0 = cells.front().row, r1 = cells.back().row, c0 = g.width, c1 = -1;
    for (const auto& c : cells) c0 = std::min(c0, c.col), c1 = std::max(c1, c.col);
    const int ww = c1 - c0 + 1, hh = r1 - r0 + 1;
    w.buf.resize(static_cast<std::size_t>(ww) * hh);
    if (w.ds->GetRasterBand(1)->RasterIO(GF_Read, c0, r0, ww, hh, w.buf.data(), ww, hh, GDT_Byte, 0,
                                         0, nullptr) != CE_None)
      throw ProcessingError("cannot read '" + class_raster + "': " + gdal_last_error());
    int has_nodata = 0;
    const double nodata = w.ds->GetRasterBand(1)->GetNoDataValue(&has_nodata);
    // Cell areas change slowly across a parcel: the one at its middle serves all its cells.
    const double a = cell_area(g, (r0 + r1) / 2, (c0 + c1) / 2, w.area);
    std::array<double, 256> sum{};
    for (const auto& c : cells) {
      std::uint8_t v = w.buf[static_cast<std::size_t>(c.row - r0) * ww + (c.col - c0)];
      if (has_nodata && v == nodata) v = 255;
      sum[v] += c.f * a;
    }
    for (int k = 0; k < 256; ++k)
      if (sum[static_cast<std::size_t>(k)] > 0)
        out[i].push_back({static_cast<std::uint8_t>(k), sum[static_cast<std::size_t>(k)]});
  });
  return out;
}

}  // namespace farmwatch::io
