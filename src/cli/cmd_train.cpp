// farmwatch train: a random forest from labelled polygons or a label raster over one or more
// dates of imagery.
#include <filesystem>
#include <iostream>

#include "farmwatch/core/error.h"
#include "farmwatch/engine/model_classify.h"
#include "farmwatch/io/class_table_io.h"
#include "farmwatch/io/evaluate.h"
#include "options.h"

namespace farmwatch::cli {
namespace po = boost::program_options;
namespace fs = std::filesystem;

int cmd_train(const std::vector<std::string>& args) {
  std::vector<std::string> images;
  io::EvaluateRequest labels;
  std::string name_field, class_table, out;
  std::vector<std::string> label_files;
  int trees = 100, max_depth = 10, interior = 1;
  std::int64_t max_per_class = 20000;
  ImageOptions io_opts;
  po::options_description desc;
  desc.add_options()("image", po::value<std::vector<std::string>>(&images)->required(),
                     "an image; repeat for several dates (the first gives the grid)")(
      "labels", po::value<std::vector<std::string>>(&label_files)->required(),
      "labelled polygons or a label raster (0 = unlabelled); given once per --image, each "
      "image is a sample of a one-date model (several seasons, one model)")(
      "field", po::value<std::string>(&labels.field), "polygons: attribute with the class code")(
      "name-field", po::value<std::string>(&name_field), "polygons: attribute with class names")(
      "class-table", po::value<std::string>(&class_table),
      "CSV code,key,name,gbt21010[,color]: what each label code is (GB/T 21010)")(
      "layer", po::value<std::string>(&labels.layer), "polygons: layer name")(
      "where", po::value<std::string>(&labels.where),
      "polygons: OGR SQL filter, e.g. \"fid % 2 = 0\"")(
      "out", po::value<std::string>(&out)->required(), "model file to write (.yml or .yml.gz)")(
      "trees", po::value<int>(&trees)->default_value(100), "trees in the forest")(
      "max-depth", po::value<int>(&max_depth)->default_value(10), "depth limit of each tree")(
      "interior", po::value<int>(&interior)->default_value(1),
      "train on pixels at least this far inside their labelled area (0: all)")(
      "max-per-class", po::value<std::int64_t>(&max_per_class)->default_value(20000),
      "labelled pixels used per class at most (a fixed-seed random subset)");
  add_image_options(desc, io_opts);
  CommonOptions common;
  po::variables_map vm;
  if (!parse_command("train --image IMAGE [--image IMAGE2 ...] --labels REF --out MODEL.yml",
                     "Learns a random forest (OpenCV) from labelled pixels: every band of every\n"
                     "date, spectral indices and multi-date NDVI statistics as features. The\n"
                     "map it makes carries the label values as class codes.",
                     desc, {}, args, common, vm))
    return 0;
  if (trees < 1 || max_depth < 1 || max_per_class < 1 || interior < 0)
    throw UsageError("train: --trees, --max-depth and --max-per-class must be positive");
  if (label_files.size() != 1 && label_files.size() != images.size())
    throw UsageError(
        "train: give --labels once (one model over all the --image dates) or once "
        "per --image (a one-date model learned from each)");
  labels.reference = label_files.front();
  std::vector<io::ImageInfo> dates;
  for (const auto& path : images)
    dates.push_back(io::inspect_image(image_request(path, io_opts, vm), {}));
  const engine::ThreadLimit threads(common.threads);
  // One set of labels: the dates stack into one multi-date sample. One per image: each image
  // is a one-date sample; their bands must agree.
  const bool pooled = label_files.size() > 1;
  std::vector<std::vector<io::ImageInfo>> groups;
  if (pooled)
    for (const auto& d : dates) groups.push_back({d});
  else
    groups.push_back(dates);
  engine::TrainingSet set;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (engine::feature_layout(groups[g]).names() != engine::feature_layout(groups[0]).names())
      throw InputError("image '" + groups[g][0].path + "' (" + io::describe_bands(groups[g][0]) +
                       ") has other bands than '" + groups[0][0].path + "' (" +
                       io::describe_bands(groups[0][0]) + "): one model needs the same bands");
    io::EvaluateRequest req = labels;
    req.reference = label_files[pooled ? g : 0];
    const Grid& grid = groups[g][0].grid;
    const auto part = engine::collect_samples(grid, groups[g], io::labels_on_grid(req, grid),
                                              max_per_class, interior);
    set.features.insert(set.features.end(), part.features.begin(), part.features.end());
    set.labels.insert(set.labels.end(), part.labels.begin(), part.labels.end());
    set.per_class.resize(std::max(set.per_class.size(), part.per_class.size()), 0);
    for (std::size_t c = 0; c < part.per_class.size(); ++c) set.per_class[c] += part.per_class[c];
  }
  ModelInfo info;
  info.layout = engine::feature_layout(groups[0]);
  for (std::size_t d = 0; d < groups[0].size(); ++d) {
    info.images.push_back(groups[0][d].path);
    info.date_descriptions.push_back(io::describe_bands(groups[0][d]));
    info.date_calibrations.push_back(groups[0][d].calibration_source);
  }
  const auto names = io::label_names(labels, name_field);
  const auto table =
      class_table.empty() ? std::optional<ClassTable>() : io::load_class_table_csv(class_table);
  for (int c = 1; c < 255; ++c)
    if (set.per_class[static_cast<std::size_t>(c)]) {
      ModelClass mc{static_cast<std::uint8_t>(c), "", "", "", "", true};
      for (const auto& [code, n] : names)
        if (code == c) mc.name = n;
      if (table) {
        const LandClass* lc = table->find(mc.code);
        if (!lc)
          throw ConfigError("class table '" + class_table + "' has no row for label code " +
                            std::to_string(c));
        mc.key = lc->key;
        mc.name = lc->name;
        mc.gbt_code = lc->gbt_code;
        mc.color = io::color_hex(lc->color);
        mc.observed = lc->observed;
      }
      info.classes.push_back(mc);
    }
  std::string sources;
  for (const auto& f : label_files) sources += (sources.empty() ? "" : ", ") + f;
  info.labels = sources + (labels.field.empty() ? "" : " field " + labels.field) +
                (labels.where.empty() ? "" : " where " + labels.where);
  cli_log().info("training on " + std::to_string(set.labels.size()) + " pixels, " +
                 std::to_string(info.layout.size()) + " features, " +
                 std::to_string(info.classes.size()) + " classes");
  const RandomForest model = RandomForest::train(set.features, set.labels, info, trees, max_depth);
  // Written beside, then renamed: a failed run leaves the previous model as it was.
  const fs::path target = fs::absolute(out);
  const fs::path tmp = target.parent_path() / (".partial." + target.filename().string());
  model.save(tmp.string());
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) throw ProcessingError("cannot write '" + target.string() + "': " + ec.message());
  std::cout << target.string() << ": " << set.labels.size() << " samples, " << info.layout.size()
            << " features, " << info.classes.size() << " classes\n";
  for (const auto& c : info.classes)
    std::cout << "  " << int(c.code) << (c.name.empty() ? "" : " " + c.name) << ": "
              << set.per_class[c.code] << " labelled pixels\n";
  return 0;
}

}  // namespace farmwatch::cli
