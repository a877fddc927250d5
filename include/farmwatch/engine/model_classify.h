#pragma once
// Learned classification over one or more dates on one grid: reading every band of every
// date per block, sampling labelled pixels for training, and mapping with a trained forest.
#include <cstdint>
#include <string>
#include <vector>

#include "farmwatch/core/log.h"
#include "farmwatch/core/rf_model.h"
#include "farmwatch/engine/block_engine.h"
#include "farmwatch/io/image_source.h"

namespace farmwatch::engine {

/// Reads a model file; InputError naming it if it is not a farmwatch model.
RandomForest load_model(const std::string& path);

/// The feature layout of these dates (every band; roles as inspected).
FeatureLayout feature_layout(const std::vector<io::ImageInfo>& dates);

/// Checks, before any pixel is read, that `dates` (one image per date) are what `model` (read
/// from `model_path`) was trained on: the number of dates, and each date's bands and roles.
/// InputError naming the image and the model otherwise.
void check_model_fits(const RandomForest& model, const std::string& model_path,
                      const std::vector<io::ImageInfo>& dates);

struct TrainingSet {
  std::vector<float> features;  ///< row-major, layout.size() per sample
  std::vector<std::uint8_t> labels;
  std::vector<std::int64_t> per_class;  ///< labelled pixels seen per code (before capping)
};

/// The features of labelled pixels (`labels` on `grid`, 0 = none), at most `max_per_class`
/// per class, chosen by a fixed-seed shuffle so the same inputs give the same set. With
/// `interior` > 0, only pixels that far inside their labelled area (mixed rim pixels left
/// out), unless a class would keep under a quarter of its pixels.
TrainingSet collect_samples(const Grid& grid, const std::vector<io::ImageInfo>& dates,
                            const std::vector<std::uint8_t>& labels, std::int64_t max_per_class,
                            int interior);

/// Maps `grid` with `model` into a Byte GeoTIFF at `out` (codes of the training labels,
/// 255 nodata; empty: not written); returns pixels per code. With `votes_out`, also a 4-band Byte GeoTIFF of the
/// forest's votes per pixel: most voted class, its share (%), runner-up, its share.
std::vector<std::int64_t> run_model_classify(const Grid& grid,
                                             const std::vector<io::ImageInfo>& dates,
                                             const RandomForest& model, const std::string& out,
                                             const EngineOptions& opt, const Log& log,
                                             const std::string& votes_out = "");

}  // namespace farmwatch::engine
