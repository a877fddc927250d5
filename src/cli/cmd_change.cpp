#include <filesystem>
#include <iostream>
#include <regex>

#include "farmwatch/core/error.h"
#include "farmwatch/io/class_table_io.h"
#include "farmwatch/io/pixel_grid.h"
#include "farmwatch/pipeline/pixel_change.h"
#include "farmwatch/pipeline/run.h"
#include "options.h"

namespace farmwatch::cli {
namespace po = boost::program_options;

namespace {
/// A YYYY-MM-DD date found in a file name (20240315 or 2024-03-15), else `fallback`.
std::string date_from_name(const std::string& path, const std::string& fallback) {
  static const std::regex re(R"((19|20)(\d{2})-?(\d{2})-?(\d{2}))");
  std::smatch m;
  const std::string name = std::filesystem::path(path).filename().string();
  if (std::regex_search(name, m, re)) {
    const std::string d = m[1].str() + m[2].str() + "-" + m[3].str() + "-" + m[4].str();
    if (pipeline::valid_date(d)) return d;
  }
  return fallback;
}

/// Two images with no georeference: new buildings on their pixel grid, with a warning.
int change_on_pixel_grid(const std::string& before, const std::string& after,
                         const std::string& out, const io::ImageRequest& request,
                         const po::variables_map& vm, int threads) {
  for (const char* opt : {"farmland", "model", "db", "tiles", "date-before", "date-after"})
    if (vm.count(opt) && !vm[opt].defaulted())
      throw UsageError(std::string("change: --") + opt + " needs georeferenced images; '" + before +
                       "' and '" + after + "' have no coordinate reference system");
  pipeline::PixelChangeRequest req;
  req.before = before;
  req.after = after;
  req.out_dir = out;
  req.bands = request.bands;
  req.threads = threads;
  if (vm.count("pixel-size")) {
    req.pixel_size_m = vm["pixel-size"].as<double>();
    if (!(*req.pixel_size_m > 0))
      throw UsageError("change: --pixel-size must be a positive number of metres");
  }
  const auto summary = pipeline::run_pixel_grid_change(req, cli_log());
  std::cout << summary["outputs"]["dir"].get<std::string>() << "/change.tif\n";
  const auto& built = summary["changes"]["categories"]["non_agricultural"];
  std::cout << "new buildings: " << built["patches"] << " patches, " << built["area_px"]
            << " pixels (" << built["area_m2"] << " m2 at " << summary["grid"]["pixel_size_m"]
            << " m)\n";
  return 0;
}
}  // namespace

int cmd_change(const std::vector<std::string>& args) {
  std::string before, after, out, farmland, id_field, layer, change_rules, date_a, date_b, db,
      model;
  bool tiles = false, no_coregister = false, no_normalise = false;
  ImageOptions io_opts;
  po::options_description desc;
  desc.add_options()("before", po::value<std::string>(&before)->required(),
                     "earlier image or land-use map (its grid is the analysis grid)")(
      "after", po::value<std::string>(&after)->required(), "later image or land-use map")(
      "out", po::value<std::string>(&out)->required(), "output folder")(
      "farmland", po::value<std::string>(&farmland),
      "farmland layer; without it the whole area is watched")(
      "id-field", po::value<std::string>(&id_field), "parcel-id field of the farmland layer")(
      "layer", po::value<std::string>(&layer), "layer name in the farmland file")(
      "change-rules", po::value<std::string>(&change_rules),
      "change rules file (default: pipelines/rules/change_rules.yaml)")(
      "date-before", po::value<std::string>(&date_a), "date of --before (default: from its name)")(
      "date-after", po::value<std::string>(&date_b), "date of --after (default: from its name)")(
      "tiles", po::bool_switch(&tiles), "also write XYZ tiles")(
      "model", po::value<std::string>(&model),
      "classify both dates with this model (farmwatch train, one date) instead of the rules; "
      "its class probabilities weigh the change")(
      "db", po::value<std::string>(&db),
      "record the run in this monitoring database (GeoPackage or \"PG:...\")")(
      "no-coregister", po::bool_switch(&no_coregister),
      "do not measure and correct the shift of B against A")(
      "no-normalise", po::bool_switch(&no_normalise),
      "do not normalise B's radiometry to A's on pseudo-invariant pixels")(
      "pixel-size", po::value<double>(),
      "ground size of a pixel in metres, for images with no georeference (default 0.5)");
  add_image_options(desc, io_opts);
  CommonOptions common;
  po::variables_map vm;
  if (!parse_command("change --before A --after B --out DIR",
                     "Compares two dates on A's grid. Writes DIR/change.tif (0 no change,\n"
                     "1 非农化, 2 非粮化, 3 other change, 255 nodata), land-use maps, and the\n"
                     "patches as changes.gpkg/.geojson/.csv with summary.json.\n"
                     "Two RGB images with no georeference (PNG, JPEG) are compared on their\n"
                     "pixel grid for new buildings (change.tif value 1, changes.csv in pixels).",
                     desc, {}, args, common, vm))
    return 0;
  if (!farmland.empty() && id_field.empty())
    throw UsageError("change: --farmland needs --id-field (the parcel-id attribute)");

  const bool geo_before = io::has_georeference(before), geo_after = io::has_georeference(after);
  if (geo_before != geo_after)
    throw InputError("raster '" + (geo_before ? after : before) +
                     "' has no coordinate reference system while '" +
                     (geo_before ? before : after) +
                     "' has one: assign one (e.g. gdal_edit.py -a_srs ... -a_ullr ...)");
  if (!geo_before)
    return change_on_pixel_grid(before, after, out, image_request(before, io_opts, vm), vm,
                                common.threads);

  pipeline::PipelineSpec spec;
  spec.name = "change";
  // Two land-use maps that say what their codes mean (a learned model's classes, with keys
  // from its class table) are compared with those classes; images use the rules file.
  auto describe = [&](const std::string& path) {
    auto req = image_request(path, io_opts, vm);
    req.allow_relative = true;
    return io::inspect_image(req, {});
  };
  const auto map_a = describe(before), map_b = describe(after);
  if (map_a.classes && map_b.classes) {
    if (io::class_table_metadata(*map_a.classes) != io::class_table_metadata(*map_b.classes))
      throw InputError("land-use maps '" + before + "' and '" + after +
                       "' have different class tables: classify both with the same model");
    spec.classifier_source = "class table of " + before;
    spec.classifier = pipeline::classes_only(*map_a.classes);
  } else if (!model.empty()) {
    spec.model = model;
    spec.classifier_source = model;
    spec.classifier = pipeline::model_class_source(model);
  } else {
    spec.classifier_source = rules_file(io_opts);
    spec.classifier = pipeline::load_classifier_file(spec.classifier_source);
  }
  spec.change_source =
      change_rules.empty() ? pipeline::default_rules_dir() + "/change_rules.yaml" : change_rules;
  spec.change =
      pipeline::load_change_rules_file(spec.change_source, spec.classifier->classes(),
                                       /*skip_absent_classes=*/map_a.classes || !model.empty());
  if (!io_opts.quality.empty() && io_opts.quality != "spectral" && io_opts.quality != "none")
    throw UsageError(
        "change: --quality takes 'spectral' or 'none' here (a quality file belongs to one "
        "image: name it per date in a pipeline file)");
  pipeline::DateSpec a, b;
  a.date = date_a.empty() ? date_from_name(before, "before") : date_a;
  b.date = date_b.empty() ? date_from_name(after, "after") : date_b;
  if (a.date == b.date) {
    a.date = "before";
    b.date = "after";
  }
  a.scenes = {{image_request(before, io_opts, vm), a.date, a.sensor}};
  b.scenes = {{image_request(after, io_opts, vm), b.date, b.sensor}};
  // A general change detector needs no reflectance: DNs without a rule are compared as they
  // are (the spectral test is calibrated on the images themselves).
  a.scenes[0].image.allow_relative = b.scenes[0].image.allow_relative = true;
  spec.dates = {a, b};
  if (!farmland.empty()) {
    io::FarmlandRequest f;
    f.path = farmland;
    f.layer = layer;
    f.id_field = id_field;
    spec.farmland = f;
  }
  spec.outputs.dir = out;
  spec.database = db;
  spec.outputs.tiles = tiles;
  spec.coregister = !no_coregister;
  spec.normalise = !no_normalise;
  pipeline::RunOptions opts;
  opts.threads = common.threads;
  const auto summary = pipeline::run_pipeline(spec, opts, cli_log());
  std::cout << summary["outputs"]["dir"].get<std::string>() << "/change.tif\n";
  for (const auto& [key, c] : summary["changes"]["categories"].items())
    std::cout << c["label"].get<std::string>() << ": " << c["patches"] << " patches, "
              << c["area_m2"] << " m2\n";
  return 0;
}

}  // namespace farmwatch::cli
