#include <iostream>

#include "farmwatch/io/info.h"
#include "options.h"

namespace farmwatch::cli {
namespace po = boost::program_options;

int cmd_info(const std::vector<std::string>& args) {
  std::string file;
  bool as_json = false;
  po::options_description desc;
  desc.add_options()("file", po::value<std::string>(&file)->required(), "raster or vector file")(
      "json", po::bool_switch(&as_json), "print JSON");
  po::positional_options_description pos;
  pos.add("file", 1);
  CommonOptions common;
  po::variables_map vm;
  if (!parse_command("info <raster|vector> [--json]",
                     "Describes a raster (grid, CRS, bands and their detected roles) or a vector\n"
                     "file (layers, CRS, fields, invalid geometries).",
                     desc, pos, args, common, vm))
    return 0;
  const auto d = io::describe_file(file);
  std::cout << (as_json ? d.dump(2) + "\n" : io::format_description(d));
  return 0;
}

}  // namespace farmwatch::cli
