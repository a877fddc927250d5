#include <iostream>

#include "farmwatch/engine/block_engine.h"
#include "farmwatch/io/xyz_tiles.h"
#include "farmwatch/pipeline/output_dir.h"
#include "options.h"

namespace farmwatch::cli {
namespace po = boost::program_options;

int cmd_tiles(const std::vector<std::string>& args) {
  io::TileRequest req;
  std::string out;
  po::options_description desc;
  desc.add_options()("in", po::value<std::string>(&req.raster)->required(),
                     "paletted single-band raster (e.g. landuse_<date>.tif, change.tif)")(
      "out", po::value<std::string>(&out)->required(), "output folder (z/x/y.png)")(
      "min-zoom", po::value<int>(&req.min_zoom)->default_value(-1), "lowest zoom (-1: max - 4)")(
      "max-zoom", po::value<int>(&req.max_zoom)->default_value(-1),
      "highest zoom (-1: matches the raster's resolution)");
  CommonOptions common;
  po::variables_map vm;
  if (!parse_command("tiles --in RASTER --out DIR",
                     "Writes Web Mercator XYZ PNG tiles (z/x/y.png); nodata is transparent.", desc,
                     {}, args, common, vm))
    return 0;
  const engine::ThreadLimit threads(common.threads);
  pipeline::StagedDir staged(out);
  req.out_dir = staged.staging().string();
  const auto stats = io::write_xyz_tiles(req, cli_log());
  staged.commit();
  std::cout << stats.written << " tiles z" << stats.min_zoom << "-" << stats.max_zoom << " in "
            << staged.target().string() << "\n";
  return 0;
}

}  // namespace farmwatch::cli
