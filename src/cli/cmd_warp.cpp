// farmwatch warp: parses, runs the warp step, prints what it wrote.
#include <iostream>

#include "farmwatch/pipeline/steps/warp.h"
#include "step_options.h"

namespace farmwatch::cli {

int cmd_warp(const std::vector<std::string>& args) {
  CommonOptions common;
  const auto p = parse_step<pipeline::WarpParams>(
      {"warp", "warp --in IMAGE --out OUT.tif --crs CRS --resolution R",
       "Puts every band of an image on a grid snapped to the resolution over the\n"
       "image's footprint, keeping its data type and nodata."},
      args, common);
  if (!p) return 0;
  const auto r = pipeline::warp(*p, {common.threads, cli_log()});
  std::cout << r.path << ": " << r.width << " x " << r.height << " x " << r.bands << " "
            << r.data_type << "\n";
  return 0;
}

}  // namespace farmwatch::cli
