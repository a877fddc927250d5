#pragma once
// A learned land-use classifier: OpenCV's random forest over the features of ml_features.h,
// saved with what it was trained on (features, images, class table), so it can refuse input
// it does not fit.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "farmwatch/core/class_table.h"
#include "farmwatch/core/ml_features.h"

namespace farmwatch {

struct ModelClass {
  std::uint8_t code = 0;  ///< the label value of the training field, written in the map
  std::string name;       ///< from the class table or the training layer's name field
  std::string key;        ///< from the class table: the key change rules use (e.g. cropland)
  std::string gbt_code;   ///< from the class table: GB/T 21010 code
  std::string color;      ///< from the class table: #rrggbb
  /// False for a class that is no observation of the land (cloud, shadow): its pixels are no
  /// data in change detection.
  bool observed = true;
};

/// The land-use classes of a model's maps: key (default class_<code>), name, GB/T 21010 code
/// and name, colour (default: one made from the code).
ClassTable model_class_table(const std::vector<ModelClass>& classes);

/// A pixel's two most voted classes and their shares of the trees' votes, in percent: the
/// forest's class probabilities, which change detection weighs (255 / 0 where none).
struct ClassVotes {
  std::uint8_t first = 255, second = 255;
  std::uint8_t p_first = 0, p_second = 0;
};

/// What a model was trained on; written into the model file.
struct ModelInfo {
  FeatureLayout layout;
  std::vector<std::string> date_descriptions;  ///< per date: "13 bands Float32: B01 ..."
  std::vector<std::string> date_calibrations;  ///< per date: the DN-to-reflectance rule used
  std::vector<ModelClass> classes;
  std::string labels;  ///< the label source (file, field, filter)
  std::vector<std::string> images;
  std::int64_t samples = 0;
  int trees = 0;
  int max_depth = 0;
};

class RandomForest {
 public:
  RandomForest();
  ~RandomForest();
  RandomForest(RandomForest&&) noexcept;
  RandomForest& operator=(RandomForest&&) noexcept;

  /// Trains on `features` (`labels.size()` rows of info.layout.size() values, row-major) with
  /// a fixed seed, so the same samples give the same model.
  static RandomForest train(const std::vector<float>& features,
                            const std::vector<std::uint8_t>& labels, ModelInfo info, int trees,
                            int max_depth);
  void save(const std::string& path) const;
  /// std::runtime_error on a file that is not a farmwatch model.
  static RandomForest load(const std::string& path);

  /// Class codes of `n` pixels' features (row-major); 255 where no date observed the pixel.
  void predict(const float* features, std::size_t n, std::uint8_t* codes) const;
  /// The two most voted classes of `n` pixels (ties to the lower code).
  void predict_votes(const float* features, std::size_t n, ClassVotes* votes) const;
  const ModelInfo& info() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace farmwatch
