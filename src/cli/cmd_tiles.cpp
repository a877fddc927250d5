// farmwatch tiles: parses, runs the tiles step, prints what it wrote.
#include <iostream>

#include "farmwatch/pipeline/steps/tiles.h"
#include "step_options.h"

namespace farmwatch::cli {

int cmd_tiles(const std::vector<std::string>& args) {
  CommonOptions common;
  const auto p = parse_step<pipeline::TilesParams>(
      {"tiles", "tiles --in RASTER --out DIR [--grid both|webmercator|tianditu-c]",
       "Writes the one map's PNG tiles of a class raster or an RGB(A) image: Web Mercator XYZ "
       "and 天地图 \"c\" (CGCS2000) z/x/y folders, TileJSON, MBTiles and TileMatrixSet JSON; "
       "nodata is transparent. With --previous, updates the tiles in DIR."},
      args, common);
  if (!p) return 0;
  const auto r = pipeline::tiles(*p, {common.threads, cli_log()});
  for (const auto& [set, layers] : r.sets.items())
    for (const auto& [layer, t] : layers.items())
      std::cout << t["tiles"] << " tiles (" << t["rendered"] << " rendered) z" << t["min_zoom"]
                << "-" << t["max_zoom"] << " in " << r.dir << "/" << set << "/" << layer << "\n";
  return 0;
}

}  // namespace farmwatch::cli
