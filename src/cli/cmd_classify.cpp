#include <chrono>
#include <filesystem>
#include <iostream>

#include "farmwatch/core/error.h"
#include "farmwatch/engine/landuse_change.h"
#include "farmwatch/io/raster_writer.h"
#include "farmwatch/io/spatial_ref.h"
#include "farmwatch/pipeline/output_dir.h"
#include "farmwatch/pipeline/rules_file.h"
#include "options.h"

namespace farmwatch::cli {
namespace po = boost::program_options;
namespace fs = std::filesystem;

int cmd_classify(const std::vector<std::string>& args) {
  std::string in, out, metadata, crs;
  double resolution = 0;
  int block = 512;
  ImageOptions io_opts;
  po::options_description desc;
  desc.add_options()("in", po::value<std::string>(&in)->required(), "multispectral image")(
      "out", po::value<std::string>(&out)->required(), "land-use GeoTIFF (COG) to write")(
      "block-size", po::value<int>(&block)->default_value(512), "processing block size")(
      "metadata", po::value<std::string>(&metadata),
      "product metadata: Landsat *_MTL.txt or Sentinel-2 MTD XML (default: an MTL beside the "
      "image)")("crs", po::value<std::string>(&crs),
                "classify on a grid in this CRS (default: the image's grid)")(
      "resolution", po::value<double>(&resolution), "pixel size of that grid (with --crs)");
  add_image_options(desc, io_opts);
  CommonOptions common;
  po::variables_map vm;
  if (!parse_command("classify --in IMAGE --out LANDUSE.tif",
                     "Classifies land use with the rules file, on the image's own grid or the\n"
                     "grid given by --crs and --resolution.\n"
                     "Writes UInt8 class codes with a colour table, nodata 255, as a COG.",
                     desc, {}, args, common, vm))
    return 0;
  if (block < 16 || block % 16) throw UsageError("classify: --block-size must be a multiple of 16");
  const auto classifier = pipeline::load_classifier_file(rules_file(io_opts));
  auto request = image_request(in, io_opts, vm);
  request.metadata = metadata;
  const auto info = io::inspect_image(request, classifier->required_roles());
  cli_log().info("reflectance: " + info.calibration_source);
  const engine::ThreadLimit threads(common.threads);

  // The final file appears only when complete: written beside it, then renamed.
  const fs::path target = fs::absolute(out);
  pipeline::StagedDir staged(target.string() + ".d");
  engine::LanduseChangeJob job;
  job.grid = info.grid;
  if (!crs.empty()) {
    if (!(resolution > 0)) throw UsageError("classify: --crs needs a positive --resolution");
    const std::string wkt = io::crs_from_user(crs);
    job.grid = Grid::snapped(io::transform_box(info.grid.extent(), info.grid.crs_wkt, wkt),
                             resolution, wkt);
  }
  job.images = {io::Mosaic(info)};
  job.classifier = classifier.get();
  job.landuse_out = {(staged.scratch() / "landuse.tif").string()};
  engine::EngineOptions eopt;
  eopt.block_size = block;
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  const auto stats = engine::run_landuse_change(job, eopt, cli_log().child("classify"));
  const auto t1 = clock::now();
  const fs::path staged_file = staged.staging() / "landuse.tif";
  io::write_cog(job.landuse_out[0], staged_file.string(), "NEAREST");
  const auto t2 = clock::now();
  cli_log().info("classified in " + std::to_string(std::chrono::duration<double>(t1 - t0).count()) +
                 " s, COG written in " +
                 std::to_string(std::chrono::duration<double>(t2 - t1).count()) + " s");
  std::error_code ec;
  fs::rename(staged_file, target, ec);
  if (ec) throw ProcessingError("cannot write '" + target.string() + "': " + ec.message());

  std::cout << target.string() << "\n";
  for (const auto& c : classifier->classes().classes())
    if (stats.class_pixels[0][c.code])
      std::cout << "  " << int(c.code) << " " << c.key << " (" << c.name
                << "): " << stats.class_pixels[0][c.code] << " pixels\n";
  std::cout << "  nodata: " << stats.class_pixels[0][255] << " pixels";
  if (info.quality_kind != QualityKind::none)
    std::cout << ", of which cloud or shadow (" << quality_name(info.quality_kind)
              << "): " << stats.cloud_pixels[0];
  std::cout << "\n";
  return 0;
}

}  // namespace farmwatch::cli
