#pragma once
// The random forests of farmwatch's models (rf_model.cpp: land use; vhr_change_model.cpp:
// change): OpenCV's RTrees (Breiman 2001) trained the same way, and their model files opened the
// same way; private to the core library.
#include <opencv2/core.hpp>
#include <opencv2/ml.hpp>
#include <stdexcept>
#include <string>

#include "farmwatch/core/error.h"

namespace farmwatch::detail {

/// A forest of `trees` trees at most `max_depth` deep, sqrt(features) tried per split, nodes
/// of fewer than `min_samples` samples not split; the same samples give the same forest (a
/// fixed seed). ProcessingError when OpenCV fails.
inline cv::Ptr<cv::ml::RTrees> train_forest(const cv::Ptr<cv::ml::TrainData>& data, int trees,
                                            int max_depth, int min_samples) {
  auto rf = cv::ml::RTrees::create();
  rf->setMaxDepth(max_depth);
  rf->setMinSampleCount(min_samples);
  rf->setActiveVarCount(0);  // sqrt(features) per split
  rf->setCalculateVarImportance(false);
  rf->setTermCriteria(cv::TermCriteria(cv::TermCriteria::MAX_ITER, trees, 0));
  cv::theRNG().state = 0x66617277;  // "farw": the same samples give the same forest
  if (!rf->train(data)) throw ProcessingError("training the random forest failed");
  return rf;
}

/// Creates the model file `path` in `fs` and opens its `farmwatch_model` header (format 1; the
/// caller writes its keys and closes it with "}"). ProcessingError when it cannot be written.
inline void begin_model_file(cv::FileStorage& fs, const std::string& path) {
  fs.open(path, cv::FileStorage::WRITE);
  if (!fs.isOpened())
    throw ProcessingError("cannot write model '" + path + "' (does its folder exist?)");
  fs << "farmwatch_model"
     << "{";
  fs << "format" << 1;
}

/// Opens a farmwatch model file into `fs` and returns its `farmwatch_model` header;
/// std::runtime_error naming the file when it cannot be read or is no farmwatch model (format 1).
inline cv::FileNode open_model_file(cv::FileStorage& fs, const std::string& path) {
  try {
    fs.open(path, cv::FileStorage::READ);
  } catch (const cv::Exception& e) {
    throw std::runtime_error("'" + path + "' is not a farmwatch model: " + e.what());
  }
  if (!fs.isOpened()) throw std::runtime_error("cannot read model '" + path + "'");
  const cv::FileNode h = fs["farmwatch_model"];
  if (h.empty() || !h.isMap() || static_cast<int>(h["format"]) != 1)
    throw std::runtime_error("'" + path + "' is not a farmwatch model (no farmwatch_model, " +
                             "format 1)");
  return h;
}

/// The forest of an opened model file; std::runtime_error naming the file when it holds none
/// or a damaged one.
inline cv::Ptr<cv::ml::RTrees> read_forest(const cv::FileStorage& fs, const std::string& path) {
  auto rf = cv::ml::RTrees::create();
  try {
    rf->read(fs["forest"]);
  } catch (const cv::Exception& e) {
    throw std::runtime_error("model '" + path + "' holds a damaged forest: " + e.what());
  }
  if (!rf->isTrained()) throw std::runtime_error("model '" + path + "' holds no trained forest");
  return rf;
}

}  // namespace farmwatch::detail
