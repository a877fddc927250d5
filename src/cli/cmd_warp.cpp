// farmwatch warp: an image onto an analysis grid through the streaming engine, the same way the
// pipeline reads its inputs (average when coarsening, bilinear otherwise).
#include <tbb/enumerable_thread_specific.h>

#include <filesystem>
#include <iostream>

#include "farmwatch/core/error.h"
#include "farmwatch/engine/block_engine.h"
#include "farmwatch/io/raster_writer.h"
#include "farmwatch/io/spatial_ref.h"
#include "farmwatch/pipeline/output_dir.h"
#include "options.h"

namespace farmwatch::cli {
namespace po = boost::program_options;
namespace fs = std::filesystem;

/// Blocks of 1024: each thread warps a larger area, so fewer source tiles are decompressed by
/// both threads (the readers cannot share one GDAL dataset).
constexpr int kWarpBlock = 1024;

int cmd_warp(const std::vector<std::string>& args) {
  std::string in, out, crs;
  double resolution = 0;
  po::options_description desc;
  desc.add_options()("in", po::value<std::string>(&in)->required(), "image")(
      "out", po::value<std::string>(&out)->required(), "GeoTIFF to write (tiled, DEFLATE)")(
      "crs", po::value<std::string>(&crs)->required(), "grid CRS, e.g. EPSG:4527")(
      "resolution", po::value<double>(&resolution)->required(), "grid pixel size in CRS units");
  CommonOptions common;
  po::variables_map vm;
  if (!parse_command("warp --in IMAGE --out OUT.tif --crs CRS --resolution R",
                     "Puts every band of an image on a grid snapped to the resolution over the\n"
                     "image's footprint, keeping its data type and nodata.",
                     desc, {}, args, common, vm))
    return 0;
  if (!(resolution > 0)) throw UsageError("warp: --resolution must be positive");
  io::ImageRequest req;
  req.path = in;
  req.scale = 1.0;  // values are copied as stored
  const auto info = io::inspect_image(req, {});
  const std::string wkt = io::crs_from_user(crs);
  const Grid grid =
      Grid::snapped(io::transform_box(info.grid.extent(), info.grid.crs_wkt, wkt), resolution, wkt);
  const engine::ThreadLimit threads(common.threads);

  const fs::path target = fs::absolute(out);
  pipeline::StagedDir staged(target.string() + ".d");
  const fs::path file = staged.staging() / "warped.tif";
  // Bands keep what their readers need: scale, offset, descriptions, nodata, colours.
  const io::RasterLayout layout = io::derived_layout(info, grid);
  io::BlockRasterWriter writer(file.string(), layout);
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
  std::error_code ec;
  fs::rename(file, target, ec);
  if (ec) throw ProcessingError("cannot write '" + target.string() + "': " + ec.message());
  std::cout << target.string() << ": " << grid.width << " x " << grid.height << " x "
            << info.band_count << " " << info.data_type << "\n";
  return 0;
}

}  // namespace farmwatch::cli
