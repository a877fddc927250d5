#include "farmwatch/pipeline/steps/train.h"

#include "farmwatch/core/error.h"
#include "farmwatch/engine/model_classify.h"
#include "farmwatch/io/class_table_io.h"
#include "farmwatch/io/evaluate.h"
#include "farmwatch/pipeline/output_dir.h"

namespace farmwatch::pipeline {

const ParamSet& TrainParams::params() {
  using P = TrainParams;
  static const ParamSet set =
      Params<P>("train")
          .list("image", &P::image, "an image; repeat for several dates (the first gives the grid)",
                true)
          .list("labels", &P::labels,
                "labelled polygons or a label raster (0 = unlabelled); given once per --image, "
                "each image is a sample of a one-date model (several seasons, one model)",
                true)
          .text("field", &P::field, "polygons: attribute with the class code")
          .text("name_field", &P::name_field, "polygons: attribute with class names")
          .path("class_table", &P::class_table,
                "CSV code,key,name,gbt21010[,color]: what each label code is (GB/T 21010)")
          .text("layer", &P::layer, "polygons: layer name")
          .text("where", &P::where, "polygons: OGR SQL filter, e.g. \"fid % 2 = 0\"")
          .path("out", &P::out, "model file to write (.yml or .yml.gz)", true)
          .integer("trees", &P::trees, "trees in the forest", {1})
          .default_value(100)
          .integer("max_depth", &P::max_depth, "depth limit of each tree", {1})
          .default_value(10)
          .integer("interior", &P::interior,
                   "train on pixels at least this far inside their labelled area (0: all)", {0})
          .default_value(1)
          .integer("max_per_class", &P::max_per_class,
                   "labelled pixels used per class at most (a fixed-seed random subset)", {1})
          .default_value(20000)
          .embed(&P::read)
          .set();
  return set;
}

namespace {

/// The classes a model learned: every label code with samples, named from the polygons'
/// name field and, with a class table, given its key, name, GB/T 21010 code and colour.
std::vector<ModelClass> model_classes(const TrainParams& p, const io::EvaluateRequest& labels,
                                      const std::vector<std::int64_t>& per_class) {
  std::vector<ModelClass> classes;
  const auto names = io::label_names(labels, p.name_field);
  const auto table =
      p.class_table.empty() ? std::optional<ClassTable>() : io::load_class_table_csv(p.class_table);
  for (int c = 1; c < 255; ++c)
    if (per_class[static_cast<std::size_t>(c)]) {
      ModelClass mc{static_cast<std::uint8_t>(c), "", "", "", "", true};
      for (const auto& [code, n] : names)
        if (code == c) mc.name = n;
      if (table) {
        const LandClass* lc = table->find(mc.code);
        if (!lc)
          throw ConfigError("class table '" + p.class_table + "' has no row for label code " +
                            std::to_string(c));
        mc.key = lc->key;
        mc.name = lc->name;
        mc.gbt_code = lc->gbt_code;
        mc.color = io::color_hex(lc->color);
        mc.observed = lc->observed;
      }
      classes.push_back(mc);
    }
  return classes;
}

}  // namespace

TrainResult train(const TrainParams& p, const StepEnv& env) {
  if (p.labels.size() != 1 && p.labels.size() != p.image.size())
    throw ParamError(
        "give --labels once (one model over all the --image dates) or once per --image (a "
        "one-date model learned from each)");
  io::EvaluateRequest labels;
  labels.field = p.field;
  labels.layer = p.layer;
  labels.where = p.where;
  labels.reference = p.labels.front();
  std::vector<io::ImageInfo> dates;
  for (const auto& path : p.image) dates.push_back(io::inspect_image(p.read.request(path), {}));
  const engine::ThreadLimit threads(env.threads);
  // One set of labels: the dates stack into one multi-date sample. One per image: each image
  // is a one-date sample; their bands must agree.
  const bool pooled = p.labels.size() > 1;
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
    req.reference = p.labels[pooled ? g : 0];
    req.map = groups[g][0].path;  // what the labels' grid is, for messages
    const Grid& grid = groups[g][0].grid;
    const auto part = engine::collect_samples(grid, groups[g], io::labels_on_grid(req, grid),
                                              p.max_per_class, p.interior);
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
  info.classes = model_classes(p, labels, set.per_class);
  std::string sources;
  for (const auto& f : p.labels) sources += (sources.empty() ? "" : ", ") + f;
  info.labels = sources + (labels.field.empty() ? "" : " field " + labels.field) +
                (labels.where.empty() ? "" : " where " + labels.where);
  env.log.info("training on " + std::to_string(set.labels.size()) + " pixels, " +
               std::to_string(info.layout.size()) + " features, " +
               std::to_string(info.classes.size()) + " classes");
  const RandomForest model =
      RandomForest::train(set.features, set.labels, info, p.trees, p.max_depth);
  // Written beside, then renamed: a failed run leaves the previous model as it was.
  StagedFile file(p.out);
  model.save(file.path().string());
  file.commit();
  TrainResult r;
  r.path = file.target().string();
  r.samples = set.labels.size();
  r.features = info.layout.size();
  for (const auto& c : info.classes)
    r.classes.push_back({int(c.code), c.name, set.per_class[c.code]});
  return r;
}

}  // namespace farmwatch::pipeline
