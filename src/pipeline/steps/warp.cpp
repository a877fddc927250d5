#include "farmwatch/pipeline/steps/warp.h"

#include <tbb/enumerable_thread_specific.h>

#include "farmwatch/engine/block_engine.h"
#include "farmwatch/io/image_source.h"
#include "farmwatch/io/raster_writer.h"
#include "farmwatch/io/spatial_ref.h"
#include "farmwatch/pipeline/output_dir.h"

namespace farmwatch::pipeline {

namespace {
/// Blocks of 1024: each thread warps a larger area, so fewer source tiles are decompressed by
/// both threads (the readers cannot share one GDAL dataset).
constexpr int kWarpBlock = 1024;
}  // namespace

const ParamSet& WarpParams::params() {
  static const ParamSet set =
      Params<WarpParams>("warp")
          .path("in", &WarpParams::in, "image", true)
          .path("out", &WarpParams::out, "GeoTIFF to write (tiled, DEFLATE)", true)
          .text("crs", &WarpParams::crs, "grid CRS, e.g. EPSG:4527", true)
          .number("resolution", &WarpParams::resolution, "grid pixel size in CRS units",
                  {0, {}, true}, true)
          .set();
  return set;
}

WarpResult warp(const WarpParams& p, const StepEnv& env) {
  io::ImageRequest req;
  req.path = p.in;
  req.scale = 1.0;  // values are copied as stored
  const auto info = io::inspect_image(req, {});
  const std::string wkt = io::crs_from_user(p.crs);
  const Grid grid = Grid::snapped(io::transform_box(info.grid.extent(), info.grid.crs_wkt, wkt),
                                  p.resolution, wkt);
  const engine::ThreadLimit threads(env.threads);

  StagedFile file(p.out);
  // Bands keep what their readers need: scale, offset, descriptions, nodata, colours.
  const io::RasterLayout layout = io::derived_layout(info, grid);
  io::BlockRasterWriter writer(file.path().string(), layout);
  tbb::enumerable_thread_specific<io::GridReader> readers([&] {
    return io::GridReader(info, grid,
                          info.is_class_map ? io::Resampling::nearest : io::Resampling::reflectance,
                          kWarpBlock);
  });
  engine::EngineOptions blocks;
  blocks.block_size = kWarpBlock;
  engine::for_each_block(
      grid, blocks,
      [&](const Window& w) {
        std::vector<std::vector<float>> bands(info.band_count);
        for (int b = 0; b < info.band_count; ++b) readers.local().read_raw(w, b + 1, bands[b]);
        return bands;
      },
      [&](const Window& w, std::vector<std::vector<float>>&& bands) {
        for (int b = 0; b < info.band_count; ++b) writer.write_floats(w, bands[b].data(), b + 1);
      });
  writer.close();
  file.commit();
  return {file.target().string(), grid.width, grid.height, info.band_count, info.data_type};
}

}  // namespace farmwatch::pipeline
