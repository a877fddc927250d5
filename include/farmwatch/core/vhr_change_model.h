#pragma once
// A learned change detector for very-high-resolution RGB pairs, trainable by an office on its
// own change labels: a random forest (Breiman 2001, OpenCV's RTrees) over per-pixel features of
// the two dates and of the building method's result on them (building_change.h). The method's
// objects give the learned change its kinds; what the forest adds beyond them is
// VhrChangeKind::land_changed.
//
// Features, per pixel, every window in metres (it follows the pixel size): each date's bands
// z-scored over the image (removing a colour balance), their differences and its magnitude
// (change vector analysis, Malila 1980); each date's saturation (max-min)/max and excess green
// (2g-r-b)/(r+g+b) (Woebbecke et al. 1995); each date's gradient magnitude; over 4.5 m and
// 10.5 m the local correlation of the two dates' gradient vectors and the log ratio of their
// energies (structure that appeared or went); over 2.5, 7.5 and 20.5 m the mean difference
// magnitude, each date's local standard deviation (texture) and the mean of each band's
// difference; the building method's change (0/1) and its share over 4.5 m and 15.5 m.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "farmwatch/core/building_change.h"
#include "farmwatch/core/geo.h"

namespace farmwatch {

/// The features' names, in the order vhr_change_features writes them (41).
const std::vector<std::string>& vhr_change_feature_names();

/// Pixels above and below a strip that vhr_change_features needs to be exact (its widest
/// window's half plus the gradient's), at `pixel_size_m`.
int vhr_change_feature_halo(double pixel_size_m);

/// The tiles in which features are computed, in training and in detection alike: 256 x 256
/// pixels from the top left (the last row and column of tiles smaller). The box filters' running
/// sums start at a tile's edge, so one tiling gives the same values whatever the thread count,
/// and a tile's memory (about 90 planes of 300 x 300 floats with its halo) does not grow with
/// the image.
std::vector<Window> vhr_change_tiles(int width, int height);

/// Per-image statistics the features are standardised by: mean and standard deviation of each
/// band (red, green, blue) over the valid pixels.
struct RgbStats {
  double mean[3] = {0, 0, 0}, sd[3] = {1, 1, 1};
};
/// std::invalid_argument for an image without a valid pixel.
RgbStats rgb_stats(const RgbImage& im);

/// The features of the pixels of `tile` (a window of the pair's grid): tile.pixels() rows of
/// vhr_change_feature_names().size() values, row-major, pixel by pixel. `before` and `after`
/// in their own colours (not histogram-matched), the same size; `method`: the building
/// method's labels on them (0 none, else an object), width * height. Reads
/// vhr_change_feature_halo pixels around the tile (mirrored at the image's edges), so a tile's
/// values equal the whole image's up to float rounding. std::invalid_argument on sizes or a
/// window that do not fit.
std::vector<float> vhr_change_features(const RgbImage& before, const RgbImage& after,
                                       const RgbStats& before_stats, const RgbStats& after_stats,
                                       const std::vector<std::int32_t>& method, double pixel_size_m,
                                       const Window& tile);

/// What a change model was trained on; written into the model file.
struct VhrChangeModelInfo {
  std::vector<std::string> pairs;  ///< "before -> after" per training pair
  std::string labels;              ///< the label files
  double pixel_size_m = 0.5;       ///< of the first pair (informative: features scale with it)
  std::int64_t samples = 0, changed_samples = 0;
  int trees = 0, max_depth = 0;
};

/// A trained change forest. Its file is a farmwatch model (cv::FileStorage YAML) with
/// `kind: vhr_change`; RandomForest::load refuses it and VhrChangeForest::load refuses a
/// land-use model, each saying which command takes it.
class VhrChangeForest {
 public:
  VhrChangeForest();
  ~VhrChangeForest();
  VhrChangeForest(VhrChangeForest&&) noexcept;
  VhrChangeForest& operator=(VhrChangeForest&&) noexcept;

  /// Trains on `labels.size()` rows of features (0 no change, 1 change) with a fixed seed and
  /// each class weighted by the other's share (changed pixels are few), so the same samples
  /// give the same model. std::invalid_argument when a class has no sample.
  static VhrChangeForest train(const std::vector<float>& features,
                               const std::vector<std::uint8_t>& labels, VhrChangeModelInfo info,
                               int trees, int max_depth);
  /// Writes the model (ProcessingError when the file cannot be written).
  void save(const std::string& path) const;
  /// std::runtime_error naming the file when it is not a change model.
  static VhrChangeForest load(const std::string& path);
  /// True when `path` is a farmwatch model file of kind vhr_change (false for anything else,
  /// unreadable files included).
  static bool is_change_model(const std::string& path);

  /// The share of trees voting change (0-1) for `n` rows of features.
  void predict(const float* features, std::size_t n, float* change_share) const;
  const VhrChangeModelInfo& info() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Change between `before` and `after` (own colours, the same size) by a learned model: the
/// building method runs first (`params`), its result joins the features; a pixel changed where
/// most trees vote change and both dates have data; changed pixels form 4-connected objects of
/// at least params.min_area_m2, holes filled (with pixels both dates have data on). An object
/// takes the kind most of its pixels have in the method's result, land_changed counting for
/// the pixels the method left unchanged; `votes` is its pixels' mean share of change votes.
/// std::invalid_argument when a date has no valid pixel. Objects
/// are numbered in row-major order of their first pixel. Rows run in parallel (oneTBB); the
/// result is the same for any thread count.
BuildingChange detect_vhr_change_learned(const RgbImage& before, const RgbImage& after,
                                         const VhrChangeForest& model,
                                         const BuildingChangeParams& params = {});

}  // namespace farmwatch
