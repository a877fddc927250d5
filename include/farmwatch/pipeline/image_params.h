#pragma once
// The keys that describe how to read one image, declared once for the command line (classify,
// change) and the pipeline file (each date or scene).
#include <optional>
#include <string>

#include "farmwatch/io/image_source.h"
#include "farmwatch/pipeline/params.h"

namespace farmwatch::pipeline {

/// Band roles, the DN-to-reflectance rule and the quality layer of an image.
struct ImageParams {
  std::optional<io::BandMap> bands;  ///< absent: from the band descriptions
  std::optional<double> scale, offset;
  std::string profile = "auto";
  std::string metadata;           ///< product metadata file (MTL, MTD XML, Gaofen XML)
  std::string calibration_table;  ///< Gaofen gains CSV
  std::string quality;            ///< a file, "spectral" or "none"; empty: from the image
  int quality_band = 0;
  std::string quality_kind;  ///< scl, qa_pixel, cloud_mask, spectral, none; empty: guessed

  static const ParamSet& params();
  /// Whether any of these keys was given.
  bool any_set() const;
  /// The request to read `path` with these settings. ConfigError on a contradiction (a quality
  /// kind that needs a file without one).
  io::ImageRequest request(const std::string& path) const;
};

}  // namespace farmwatch::pipeline
