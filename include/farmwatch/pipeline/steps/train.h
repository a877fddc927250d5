#pragma once
// farmwatch train: a random forest from labelled polygons or a label raster over dates of imagery.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "farmwatch/pipeline/image_params.h"
#include "farmwatch/pipeline/step.h"

namespace farmwatch::pipeline {

struct TrainParams {
  std::vector<std::string> image, labels;
  /// A change model instead: very-high-resolution RGB pairs, one --labels each.
  std::vector<std::string> before, after;
  std::optional<double> pixel_size;  ///< metres, pairs with no georeference (default 0.5)
  std::string field, name_field, class_table, layer, where, out;
  int trees = 100, max_depth = 10, interior = 1, max_per_class = 20000;
  ImageParams read;
  static const ParamSet& params();
};

struct TrainResult {
  std::string path;
  std::size_t samples = 0, features = 0;
  struct Class {
    int code;
    std::string name;
    std::int64_t pixels;
  };
  std::vector<Class> classes;
};

/// Learns an OpenCV random forest (Breiman 2001) from the labelled pixels of the images (every
/// band of every date, spectral indices, multi-date NDVI statistics as features) and writes the
/// model file atomically. One --labels: one model over all the dates; one per --image: each
/// image a sample of a one-date model. InputError for images with other bands than the first,
/// ConfigError for a class table without a row for a label code.
/// With --before/--after: a change model (core/vhr_change_model.h) from pairs of
/// very-high-resolution RGB images and their change labels (io::read_change_labels: 0 no change,
/// other values change, nodata unlabelled, on the earlier image's pixel grid); each pair gives at
/// most max_per_class pixels of change and as many of no change, taken evenly over the image.
/// ParamError when the lists differ in length, InputError for a pair of other sizes or labels
/// without both classes.
TrainResult train(const TrainParams& p, const StepEnv& env);

}  // namespace farmwatch::pipeline
