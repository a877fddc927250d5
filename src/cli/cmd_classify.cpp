// farmwatch classify: parses, runs the classify step, prints the classes it mapped.
#include <iostream>

#include "farmwatch/pipeline/steps/classify.h"
#include "step_options.h"

namespace farmwatch::cli {

int cmd_classify(const std::vector<std::string>& args) {
  CommonOptions common;
  const auto p = parse_step<pipeline::ClassifyParams>(
      {"classify", "classify --in IMAGE --out LANDUSE.tif",
       "Classifies land use with the rules file, on the image's own grid or the\n"
       "grid given by --crs and --resolution.\n"
       "Writes UInt8 class codes with a colour table, nodata 255, as a COG."},
      args, common);
  if (!p) return 0;
  const auto r = pipeline::classify(*p, {common.threads, cli_log()});
  std::cout << r.path << "\n";
  for (const auto& c : r.classes) {
    std::cout << "  " << c.code;
    if (c.pixels < 0)
      std::cout << (c.name.empty() ? "" : " " + c.name) << "\n";
    else
      std::cout << " " << c.key << " (" << c.name << "): " << c.pixels << " pixels\n";
  }
  if (r.nodata_pixels >= 0) {
    std::cout << "  nodata: " << r.nodata_pixels << " pixels";
    if (!r.quality_kind.empty())
      std::cout << ", of which cloud or shadow (" << r.quality_kind << "): " << r.cloud_pixels;
    std::cout << "\n";
  }
  return 0;
}

}  // namespace farmwatch::cli
