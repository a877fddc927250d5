// farmwatch zonal: per-parcel class areas of a class map, from exact cell-coverage fractions.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "farmwatch/core/error.h"
#include "farmwatch/engine/block_engine.h"
#include "farmwatch/io/parcel_stats.h"
#include "farmwatch/io/spatial_ref.h"
#include "options.h"

namespace farmwatch::cli {
namespace po = boost::program_options;
namespace fs = std::filesystem;

int cmd_zonal(const std::vector<std::string>& args) {
  std::string classes, out;
  io::FarmlandRequest parcels;
  po::options_description desc;
  desc.add_options()("classes", po::value<std::string>(&classes)->required(),
                     "class map (one Byte band), e.g. landuse_<date>.tif")(
      "parcels", po::value<std::string>(&parcels.path)->required(), "parcel polygons")(
      "id-field", po::value<std::string>(&parcels.id_field)->required(), "parcel-id attribute")(
      "layer", po::value<std::string>(&parcels.layer), "layer name")(
      "out", po::value<std::string>(&out)->required(),
      "CSV to write: parcel_id, class, area_m2, share");
  CommonOptions common;
  po::variables_map vm;
  if (!parse_command("zonal --classes MAP --parcels F --id-field ID --out STATS.csv",
                     "The area of each class in each parcel, from the exact share of each cell\n"
                     "the parcel covers, in ellipsoidal square metres.",
                     desc, {}, args, common, vm))
    return 0;
  const engine::ThreadLimit threads(common.threads);
  io::ImageRequest req;
  req.path = classes;
  req.scale = 1.0;
  const auto info = io::inspect_image(req, {});
  const auto layer = io::FarmlandLayer::load(parcels, info.grid.crs_wkt);
  const auto stats = io::parcel_class_areas(layer, classes);
  const fs::path target = fs::absolute(out);
  const fs::path tmp = target.parent_path() / (".partial." + target.filename().string());
  {
    std::ofstream csv(tmp);
    csv << "\xEF\xBB\xBFparcel_id,class,area_m2,share\n";
    char buf[64];
    for (std::size_t i = 0; i < stats.size(); ++i) {
      double total = 0;
      for (const auto& c : stats[i]) total += c.area_m2;
      for (const auto& c : stats[i]) {
        std::snprintf(buf, sizeof buf, ",%d,%.4f,%.6f\n", c.code, c.area_m2, c.area_m2 / total);
        csv << layer.parcel_id(i) << buf;
      }
    }
    if (!csv) throw ProcessingError("cannot write '" + tmp.string() + "'");
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) throw ProcessingError("cannot write '" + target.string() + "': " + ec.message());
  std::cout << target.string() << ": " << stats.size() << " parcels\n";
  return 0;
}

}  // namespace farmwatch::cli
