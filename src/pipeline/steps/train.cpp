#include "farmwatch/pipeline/steps/train.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "farmwatch/core/building_change.h"
#include "farmwatch/core/error.h"
#include "farmwatch/core/vhr_change_model.h"
#include "farmwatch/engine/model_classify.h"
#include "farmwatch/io/class_table_io.h"
#include "farmwatch/io/evaluate.h"
#include "farmwatch/io/geodesic.h"
#include "farmwatch/io/pixel_grid.h"
#include "farmwatch/pipeline/output_dir.h"
#include "farmwatch/pipeline/pixel_change.h"

namespace farmwatch::pipeline {

const ParamSet& TrainParams::params() {
  using P = TrainParams;
  static const ParamSet set =
      Params<P>("train")
          .list("image", &P::image,
                "an image; repeat for several dates (the first gives the grid); a land-use model")
          .list("before", &P::before,
                "a change model instead: the earlier very-high-resolution RGB image of a pair; "
                "repeat, one --after and one --labels per pair")
          .list("after", &P::after, "the later image of a pair (with --before)")
          .list("labels", &P::labels,
                "labelled polygons or a label raster (0 = unlabelled); given once per --image, "
                "each image is a sample of a one-date model (several seasons, one model). With "
                "--before: a change raster on the pair's pixel grid (0 no change, other values "
                "change, nodata unlabelled)",
                true)
          .number("pixel_size", &P::pixel_size,
                  "with --before: ground size of a pixel in metres, for pairs with no "
                  "georeference (default 0.5)",
                  {0.05, 100})
          .text("field", &P::field, "polygons: attribute with the class code")
          .text("name_field", &P::name_field, "polygons: attribute with class names")
          .path("class_table", &P::class_table,
                "CSV code,key,name,gbt21010[,color]: what each label code is (GB/T 21010)")
          .text("layer", &P::layer, "polygons: layer name")
          .text("where", &P::where, "polygons: OGR SQL filter, e.g. \"fid % 2 = 0\"")
          .path("out", &P::out, "model file to write (.yml or .yml.gz)", true)
          .integer("trees", &P::trees, "trees in the forest", {1, 5000})
          .default_value(100)
          .integer("max_depth", &P::max_depth, "depth limit of each tree", {1, 25})
          .default_value(10)
          .integer("interior", &P::interior,
                   "train on pixels at least this far inside their labelled area (0: all)", {0})
          .default_value(1)
          .integer("max_per_class", &P::max_per_class,
                   "labelled pixels used per class at most (a fixed-seed random subset); with --before: per "
                   "class and pair", {1})
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

/// At most `most` of `indices`, a random subset drawn with the fixed `seed` (the same for the
/// same input).
std::vector<std::size_t> subset(std::vector<std::size_t> indices, std::int64_t most,
                                std::uint64_t seed) {
  if (static_cast<std::int64_t>(indices.size()) <= most) return indices;
  std::mt19937_64 rng(seed);
  const std::size_t n = indices.size(), m = static_cast<std::size_t>(most);
  for (std::size_t j = 0; j < m; ++j) std::swap(indices[j], indices[j + rng() % (n - j)]);
  indices.resize(m);
  return indices;
}

/// One pair of a change model's training: its images on one grid and its pixel size.
struct TrainingPair {
  RgbImage before, after;
  double pixel_m = kAssumedPixelSizeM;
};

TrainingPair read_pair(const TrainParams& p, std::size_t k) {
  TrainingPair pair;
  const std::string &a = p.before[k], &b = p.after[k];
  if (io::pair_georeferenced(a, b)) {
    if (p.pixel_size)
      throw ParamError("--pixel-size is for pairs with no georeference; '" + a +
                       "' has one, which gives the pixel size");
    const io::ImageInfo ia =
        io::inspect_image(p.read.request(a), {BandRole::red, BandRole::green, BandRole::blue});
    const io::ImageInfo ib =
        io::inspect_image(p.read.request(b), {BandRole::red, BandRole::green, BandRole::blue});
    pair.before = io::read_rgb_on_grid(ia, ia.grid);
    pair.after = io::read_rgb_on_grid(ib, ia.grid);
    pair.pixel_m = std::sqrt(io::mean_pixel_area_m2(ia.grid));
  } else {
    pair.before = io::read_rgb(a, p.read.bands);
    pair.after = io::read_rgb(b, p.read.bands);
    if (pair.before.width != pair.after.width || pair.before.height != pair.after.height)
      throw InputError("rasters '" + a + "' and '" + b +
                       "' have no georeference and differ in size: a pair must share its pixel "
                       "grid");
    pair.pixel_m = p.pixel_size.value_or(kAssumedPixelSizeM);
  }
  return pair;
}

/// farmwatch train --before A --after B --labels CHANGE [...]: a change model.
TrainResult train_change(const TrainParams& p, const StepEnv& env) {
  if (!p.image.empty())
    throw ParamError(
        "give --image (a land-use model) or --before and --after (a change model), "
        "not both");
  if (p.after.size() != p.before.size() || p.labels.size() != p.before.size())
    throw ParamError("a change model takes pairs: one --after and one --labels per --before (" +
                     std::to_string(p.before.size()) + " --before, " +
                     std::to_string(p.after.size()) + " --after, " +
                     std::to_string(p.labels.size()) + " --labels)");
  const engine::ThreadLimit threads(env.threads);
  const std::size_t f = vhr_change_feature_names().size();
  std::vector<float> features;
  std::vector<std::uint8_t> labels;
  VhrChangeModelInfo info;
  std::int64_t per_class[2] = {0, 0};
  for (std::size_t k = 0; k < p.before.size(); ++k) {
    TrainingPair pair = read_pair(p, k);
    if (k == 0) info.pixel_size_m = pair.pixel_m;
    const int width = pair.before.width, height = pair.before.height;
    const auto truth = io::read_change_labels(p.labels[k], width, height);
    std::vector<std::size_t> of_class[2];
    for (std::size_t i = 0; i < truth.size(); ++i) {
      const bool valid = (pair.before.valid.empty() || pair.before.valid[i]) &&
                         (pair.after.valid.empty() || pair.after.valid[i]);
      if (valid && truth[i] != 255) of_class[truth[i]].push_back(i);
    }
    if (of_class[0].empty() && of_class[1].empty())
      throw InputError("change labels '" + p.labels[k] + "' label no pixel where '" + p.before[k] +
                       "' and '" + p.after[k] + "' both have data");
    env.log.info("pair " + std::to_string(k + 1) + " ('" + p.before[k] + "', '" + p.after[k] +
                 "'): " + std::to_string(of_class[1].size()) + " changed and " +
                 std::to_string(of_class[0].size()) + " unchanged labelled pixels");
    BuildingChangeParams params;
    params.pixel_size_m = pair.pixel_m;
    const BuildingChange method = detect_building_change(pair.before, pair.after, params);
    const RgbStats sa = rgb_stats(pair.before), sb = rgb_stats(pair.after);
    // The samples tile by tile (vhr_change_tiles, as detection computes them), row-major in each.
    std::vector<std::uint8_t> chosen(truth.size(), 0);
    for (int c = 0; c < 2; ++c)
      for (std::size_t i :
           subset(std::move(of_class[c]), p.max_per_class, 0x66617277u + 2 * k + c)) {
        chosen[i] = 1;
        ++per_class[c];
      }
    for (const Window& w : vhr_change_tiles(width, height)) {
      std::vector<std::size_t> in_tile;
      for (int r = w.row; r < w.row + w.height; ++r)
        for (int c = w.col; c < w.col + w.width; ++c)
          if (chosen[static_cast<std::size_t>(r) * width + c])
            in_tile.push_back(static_cast<std::size_t>(r - w.row) * w.width + (c - w.col));
      if (in_tile.empty()) continue;
      const auto x =
          vhr_change_features(pair.before, pair.after, sa, sb, method.labels, pair.pixel_m, w);
      for (std::size_t t : in_tile) {
        const float* row = x.data() + t * f;
        features.insert(features.end(), row, row + f);
        const std::size_t i =
            static_cast<std::size_t>(w.row + int(t / std::size_t(w.width))) * width +
            static_cast<std::size_t>(w.col) + t % std::size_t(w.width);
        labels.push_back(truth[i]);
      }
    }
    info.pairs.push_back(p.before[k] + " -> " + p.after[k]);
  }
  for (const auto& l : p.labels) info.labels += (info.labels.empty() ? "" : ", ") + l;
  if (per_class[0] == 0 || per_class[1] == 0)
    throw InputError("change labels '" + info.labels + "' hold no pixel of " +
                     (per_class[1] == 0 ? "change" : "no change") +
                     " where both dates have data: a change model learns from both");
  env.log.info("training on " + std::to_string(labels.size()) + " pixels, " + std::to_string(f) +
               " features");
  const VhrChangeForest model =
      VhrChangeForest::train(features, labels, info, p.trees, p.max_depth);
  StagedFile file(p.out);
  model.save(file.path().string());
  file.commit();
  TrainResult r;
  r.path = file.target().string();
  r.samples = labels.size();
  r.features = f;
  r.classes = {{0, "no change", per_class[0]}, {1, "change", per_class[1]}};
  return r;
}

}  // namespace

TrainResult train(const TrainParams& p, const StepEnv& env) {
  if (!p.before.empty() || !p.after.empty()) return train_change(p, env);
  if (p.image.empty())
    throw ParamError("give --image (a land-use model) or --before and --after (a change model)");
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
