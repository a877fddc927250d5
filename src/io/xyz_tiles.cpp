#include "farmwatch/io/xyz_tiles.h"

#include <gdal_alg.h>
#include <gdalwarper.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "farmwatch/core/error.h"
#include "farmwatch/core/tile_math.h"
#include "farmwatch/io/spatial_ref.h"
#include "gdal_error.h"
#include "gdal_handles.h"

namespace farmwatch::io {
namespace {

using Palette = std::array<std::array<std::uint8_t, 4>, 256>;  // RGBA per code

/// Colours from the colour table (GeoTIFF stores no alpha); transparent: nodata, and the values
/// listed in the FARMWATCH_TRANSPARENT_VALUES metadata item (change.tif: 0 = no change).
Palette palette_of(GDALDataset& ds) {
  GDALRasterBand& band = *ds.GetRasterBand(1);
  Palette p{};  // all transparent
  if (const GDALColorTable* ct = band.GetColorTable())
    for (int i = 0; i < std::min(ct->GetColorEntryCount(), 255); ++i) {
      const GDALColorEntry* e = ct->GetColorEntry(i);
      p[i] = {static_cast<std::uint8_t>(e->c1), static_cast<std::uint8_t>(e->c2),
              static_cast<std::uint8_t>(e->c3), static_cast<std::uint8_t>(e->c4)};
    }
  int has_nodata = 0;
  const double nodata = band.GetNoDataValue(&has_nodata);
  if (has_nodata && nodata >= 0 && nodata <= 255) p[static_cast<int>(nodata)] = {0, 0, 0, 0};
  if (const char* list = ds.GetMetadataItem("FARMWATCH_TRANSPARENT_VALUES")) {
    const CPLStringList values(CSLTokenizeString2(list, ", ", 0));
    for (int i = 0; i < values.size(); ++i)
      if (const int k = std::atoi(values[i]); k >= 0 && k <= 255) p[k] = {0, 0, 0, 0};
  }
  return p;
}

/// Opens overview `level` of a raster as a dataset of its own (0: the full resolution).
DatasetPtr open_level(const std::string& path, int level) {
  if (level == 0) return open_raster(path);
  const std::string opt = "OVERVIEW_LEVEL=" + std::to_string(level - 1);
  const char* open_options[] = {opt.c_str(), nullptr};
  CPLErrorReset();
  DatasetPtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr,
                                  open_options, nullptr));
  if (!ds)
    throw ProcessingError("cannot open overview " + std::to_string(level) + " of '" + path +
                          "': " + gdal_last_error());
  return ds;
}

/// Renders tiles of one level of a raster, nearest neighbour, in one thread. The coordinate
/// transformation (whose set-up searches PROJ's database, ~10 ms) is made once, not per tile:
/// only the destination geotransform changes from tile to tile.
class TileWarper {
 public:
  TileWarper(const std::string& path, int level, const std::string& mercator_wkt)
      : src_(open_level(path, level)), mercator_(mercator_wkt) {
    GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
    dst_.reset(mem->Create("", kTileSize, kTileSize, 1, GDT_Byte, nullptr));
    dst_->SetProjection(mercator_.c_str());
    dst_->GetRasterBand(1)->SetNoDataValue(255);
    double gt[6] = {0, 1, 0, 0, 0, -1};
    dst_->SetGeoTransform(gt);
    CPLErrorReset();
    gen_ = GDALCreateGenImgProjTransformer2(GDALDataset::ToHandle(src_.get()),
                                            GDALDataset::ToHandle(dst_.get()), nullptr);
    if (!gen_)
      throw ProcessingError("cannot transform '" + path +
                            "' to Web Mercator: " + gdal_last_error());
    approx_ = GDALCreateApproxTransformer(GDALGenImgProjTransform, gen_, 0.125);
  }
  ~TileWarper() {
    if (approx_) GDALDestroyApproxTransformer(approx_);
    if (gen_) GDALDestroyGenImgProjTransformer(gen_);
  }
  TileWarper(const TileWarper&) = delete;
  TileWarper& operator=(const TileWarper&) = delete;

  /// Class codes of one tile (255 where the raster has no data).
  std::vector<std::uint8_t> render(const TileAddress& t) {
    const Box b = tile_bounds(t);
    double gt[6] = {b.xmin, b.width() / kTileSize, 0, b.ymax, 0, -b.height() / kTileSize};
    dst_->SetGeoTransform(gt);
    GDALSetGenImgProjTransformerDstGeoTransform(gen_, gt);
    GDALRasterBand* band = dst_->GetRasterBand(1);
    band->Fill(255);
    GDALWarpOptions* o = GDALCreateWarpOptions();
    o->hSrcDS = GDALDataset::ToHandle(src_.get());
    o->hDstDS = GDALDataset::ToHandle(dst_.get());
    o->nBandCount = 1;
    o->panSrcBands = static_cast<int*>(CPLMalloc(sizeof(int)));
    o->panDstBands = static_cast<int*>(CPLMalloc(sizeof(int)));
    o->panSrcBands[0] = o->panDstBands[0] = 1;
    o->eResampleAlg = GRA_NearestNeighbour;
    o->pfnTransformer = GDALApproxTransform;
    o->pTransformerArg = approx_;
    int has_nodata = 0;
    const double nodata = src_->GetRasterBand(1)->GetNoDataValue(&has_nodata);
    if (has_nodata) {
      o->padfSrcNoDataReal = static_cast<double*>(CPLMalloc(sizeof(double)));
      o->padfSrcNoDataReal[0] = nodata;
    }
    o->padfDstNoDataReal = static_cast<double*>(CPLMalloc(sizeof(double)));
    o->padfDstNoDataReal[0] = 255;
    GDALWarpOperation op;
    CPLErrorReset();
    const bool ok =
        op.Initialize(o) == CE_None && op.ChunkAndWarpImage(0, 0, kTileSize, kTileSize) == CE_None;
    GDALDestroyWarpOptions(o);
    if (!ok)
      throw ProcessingError("cannot render tile " + std::to_string(t.z) + "/" +
                            std::to_string(t.x) + "/" + std::to_string(t.y) + " of '" +
                            src_->GetDescription() + "': " + gdal_last_error());
    std::vector<std::uint8_t> codes(kTileSize * kTileSize);
    if (band->RasterIO(GF_Read, 0, 0, kTileSize, kTileSize, codes.data(), kTileSize, kTileSize,
                       GDT_Byte, 0, 0, nullptr) != CE_None)
      throw ProcessingError("cannot read rendered tile: " + gdal_last_error());
    return codes;
  }

 private:
  DatasetPtr src_, dst_;
  std::string mercator_;
  void* gen_ = nullptr;
  void* approx_ = nullptr;
};

}  // namespace

TileStats write_xyz_tiles(const TileRequest& req, const Log& log) {
  auto probe = open_raster(req.raster);
  probe_readable(*probe, req.raster);
  const Grid grid = grid_of(*probe);
  if (grid.crs_wkt.empty()) throw InputError("raster '" + req.raster + "' has no CRS to tile from");
  const Palette palette = palette_of(*probe);
  const std::string mercator = crs_from_user("EPSG:3857");
  const Box merc = transform_box(grid.extent(), grid.crs_wkt, mercator);
  const Box ll = transform_box(grid.extent(), grid.crs_wkt, crs_from_user("OGC:CRS84"));

  TileStats stats;
  // Web Mercator stretches by 1/cos(latitude): match ground resolution at the area's centre.
  const double lat = 0.5 * (ll.ymin + ll.ymax) * M_PI / 180.0;
  double ground_res = grid.transform.pixel_width();
  if (is_geographic(grid.crs_wkt)) ground_res *= 111320.0;
  stats.max_zoom =
      req.max_zoom >= 0 ? req.max_zoom : zoom_for_resolution(ground_res / std::cos(lat));
  stats.min_zoom = req.min_zoom >= 0 ? req.min_zoom : std::max(0, stats.max_zoom - 4);
  if (stats.min_zoom > stats.max_zoom)
    throw ConfigError("tiles: min_zoom " + std::to_string(stats.min_zoom) + " > max_zoom " +
                      std::to_string(stats.max_zoom));

  std::vector<TileAddress> tiles;
  for (int z = stats.min_zoom; z <= stats.max_zoom; ++z)
    for (const auto& t : tiles_covering(merc, z)) tiles.push_back(t);

  // Lower zooms read the raster's overviews (as gdalwarp does): the finest overview no finer
  // than the tile's pixel, so a zoom-11 tile does not read the whole full-resolution raster.
  std::vector<double> level_factor = {1.0};
  for (int k = 0; k < probe->GetRasterBand(1)->GetOverviewCount(); ++k)
    level_factor.push_back(double(grid.width) /
                           probe->GetRasterBand(1)->GetOverview(k)->GetXSize());
  auto level_for = [&](int z) {
    const double factor = tile_resolution(z) * std::cos(lat) / ground_res;
    int level = 0;
    for (std::size_t k = 1; k < level_factor.size(); ++k)
      if (level_factor[k] <= factor) level = static_cast<int>(k);
    return level;
  };
  using Warpers = std::vector<std::unique_ptr<TileWarper>>;
  tbb::enumerable_thread_specific<Warpers> warpers([&] { return Warpers(level_factor.size()); });
  std::vector<std::uint8_t> written(tiles.size(), 0);
  tbb::parallel_for(std::size_t(0), tiles.size(), [&](std::size_t i) {
    const TileAddress& t = tiles[i];
    const int level = level_for(t.z);
    auto& warper = warpers.local()[static_cast<std::size_t>(level)];
    if (!warper) warper = std::make_unique<TileWarper>(req.raster, level, mercator);
    const auto codes = warper->render(t);
    cv::Mat rgba(kTileSize, kTileSize, CV_8UC4);
    bool any = false;
    for (int k = 0; k < kTileSize * kTileSize; ++k) {
      const auto& c = palette[codes[k]];
      // OpenCV stores BGRA.
      rgba.data[4 * k + 0] = c[2];
      rgba.data[4 * k + 1] = c[1];
      rgba.data[4 * k + 2] = c[0];
      rgba.data[4 * k + 3] = c[3];
      any = any || c[3] != 0;
    }
    if (!any) return;
    std::vector<unsigned char> png;
    cv::imencode(".png", rgba, png, {cv::IMWRITE_PNG_COMPRESSION, 6});
    const auto dir = std::filesystem::path(req.out_dir) / std::to_string(t.z) / std::to_string(t.x);
    std::filesystem::create_directories(dir);
    const auto file = dir / (std::to_string(t.y) + ".png");
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
    if (!out) throw ProcessingError("cannot write tile '" + file.string() + "'");
    written[i] = 1;
  });
  for (auto w : written) (w ? stats.written : stats.empty)++;
  log.info(std::to_string(stats.written) + " tiles z" + std::to_string(stats.min_zoom) + "-" +
           std::to_string(stats.max_zoom) + " written to " + req.out_dir + " (" +
           std::to_string(stats.empty) + " empty skipped)");
  return stats;
}

}  // namespace farmwatch::io
