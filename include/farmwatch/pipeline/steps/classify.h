#pragma once
// farmwatch classify: one image (rules) or the dates a model was trained on, into a land-use map.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "farmwatch/pipeline/image_params.h"
#include "farmwatch/pipeline/step.h"

namespace farmwatch::pipeline {

struct ClassifyParams {
  std::vector<std::string> in;
  std::string out, model, rules, crs;
  std::optional<double> resolution;  ///< CRS units, with crs
  int mmu = 4;                       ///< pixels, with model
  int block_size;
  ImageParams image;
  ClassifyParams();
  static const ParamSet& params();
};

/// Pixels per class of the map written (rules), or the model's classes (model: no counts).
struct ClassifyResult {
  std::string path;
  struct Class {
    int code;
    std::string key, name;
    std::int64_t pixels = -1;  ///< -1: not counted
  };
  std::vector<Class> classes;
  std::int64_t nodata_pixels = -1, cloud_pixels = -1;
  std::string quality_kind;  ///< the quality layer's kind, empty if none
  std::string calibration;   ///< the DN-to-reflectance rule used
};

/// Classifies and writes UInt8 class codes with a colour table, nodata 255, as a COG, atomically.
/// Rules: one image, on its own grid or on `crs` at `resolution`. Model: one image per date it
/// was trained on, checked against it before any pixel is read, patches under `mmu` pixels
/// merged into their surroundings. ConfigError/InputError before any output is touched.
ClassifyResult classify(const ClassifyParams& p, const StepEnv& env);

}  // namespace farmwatch::pipeline
