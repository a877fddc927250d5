// farmwatch tiles: parses, runs the tiles step, prints what it wrote.
#include <iostream>

#include "farmwatch/pipeline/steps/tiles.h"
#include "step_options.h"

namespace farmwatch::cli {

int cmd_tiles(const std::vector<std::string>& args) {
  CommonOptions common;
  const auto p = parse_step<pipeline::TilesParams>(
      {"tiles", "tiles --in RASTER --out DIR",
       "Writes Web Mercator XYZ PNG tiles (z/x/y.png); nodata is transparent."},
      args, common);
  if (!p) return 0;
  const auto r = pipeline::tiles(*p, {common.threads, cli_log()});
  std::cout << r.written << " tiles z" << r.min_zoom << "-" << r.max_zoom << " in " << r.dir
            << "\n";
  return 0;
}

}  // namespace farmwatch::cli
