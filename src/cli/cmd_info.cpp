// farmwatch info: parses, describes the file, prints text or JSON.
#include <iostream>

#include "farmwatch/io/info.h"
#include "farmwatch/pipeline/steps/info.h"
#include "step_options.h"

namespace farmwatch::cli {

int cmd_info(const std::vector<std::string>& args) {
  CommonOptions common;
  const auto p = parse_step<pipeline::InfoParams>(
      {"info", "info <raster|vector> [--json]",
       "Describes a raster (grid, CRS, bands and their detected roles) or a vector\n"
       "file (layers, CRS, fields, invalid geometries).",
       {"file"}},
      args, common);
  if (!p) return 0;
  const auto d = pipeline::info(*p);
  std::cout << (p->json ? d.dump(2) + "\n" : io::format_description(d));
  return 0;
}

}  // namespace farmwatch::cli
