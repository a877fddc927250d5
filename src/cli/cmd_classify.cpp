#include <chrono>
#include <filesystem>
#include <iostream>

#include "farmwatch/core/error.h"
#include "farmwatch/engine/landuse_change.h"
#include "farmwatch/engine/model_classify.h"
#include "farmwatch/io/change_sieve.h"
#include "farmwatch/io/raster_writer.h"
#include "farmwatch/io/spatial_ref.h"
#include "farmwatch/pipeline/output_dir.h"
#include "farmwatch/pipeline/rules_file.h"
#include "options.h"

namespace farmwatch::cli {
namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

/// classify --model: every date the model was trained on, mapped with its forest.
int classify_with_model(const std::vector<std::string>& ins, const std::string& out,
                        const std::string& model_path, int mmu, int block,
                        const ImageOptions& io_opts, const po::variables_map& vm,
                        const CommonOptions& common) {
  const RandomForest model = engine::load_model(model_path);
  const auto& mi = model.info();
  if (ins.size() != mi.layout.bands_per_date.size())
    throw InputError("model '" + model_path + "' was trained on " +
                     std::to_string(mi.layout.bands_per_date.size()) + " date(s); " +
                     std::to_string(ins.size()) + " given with --in");
  std::vector<io::ImageInfo> dates;
  for (std::size_t d = 0; d < ins.size(); ++d) {
    dates.push_back(io::inspect_image(image_request(ins[d], io_opts, vm), {}));
    if (dates.back().band_count != mi.layout.bands_per_date[d] ||
        dates.back().bands.index != mi.layout.roles_per_date[d])
      throw InputError("image '" + ins[d] + "' (" + io::describe_bands(dates.back()) +
                       ") does not fit model '" + model_path + "', trained on date " +
                       std::to_string(d + 1) + " with " + mi.date_descriptions[d]);
  }
  const engine::ThreadLimit threads(common.threads);
  const fs::path target = fs::absolute(out);
  pipeline::StagedDir staged(target.string() + ".d");
  const std::string scratch = (staged.scratch() / "landuse.tif").string();
  engine::EngineOptions eopt;
  eopt.block_size = block;
  engine::run_model_classify(dates[0].grid, dates, model, scratch, eopt,
                             cli_log().child("classify"));
  if (mmu > 1) io::sieve_classes(scratch, mmu);
  const fs::path staged_file = staged.staging() / "landuse.tif";
  io::write_cog(scratch, staged_file.string(), "NEAREST");
  std::error_code ec;
  fs::rename(staged_file, target, ec);
  if (ec) throw ProcessingError("cannot write '" + target.string() + "': " + ec.message());
  std::cout << target.string() << "\n";
  for (const auto& c : mi.classes)
    std::cout << "  " << int(c.code) << (c.name.empty() ? "" : " " + c.name) << "\n";
  return 0;
}

}  // namespace

int cmd_classify(const std::vector<std::string>& args) {
  std::vector<std::string> ins;
  std::string out, metadata, crs, model_path;
  double resolution = 0;
  int block = 512, mmu = 4;
  ImageOptions io_opts;
  po::options_description desc;
  desc.add_options()("in", po::value<std::vector<std::string>>(&ins)->required(),
                     "multispectral image; with --model, repeat for each date it was trained on")(
      "model", po::value<std::string>(&model_path),
      "a model from farmwatch train, instead of the rules file")(
      "mmu", po::value<int>(&mmu)->default_value(4),
      "with --model: patches of one class under this many pixels merge into their surroundings")(
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
  if (!model_path.empty())
    return classify_with_model(ins, out, model_path, mmu, block, io_opts, vm, common);
  if (ins.size() != 1) throw UsageError("classify: one --in without --model");
  const std::string& in = ins[0];
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
