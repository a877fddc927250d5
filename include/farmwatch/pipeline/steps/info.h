#pragma once
// farmwatch info: what a raster or vector file holds, as farmwatch would read it.
#include <nlohmann/json.hpp>
#include <string>

#include "farmwatch/pipeline/params.h"

namespace farmwatch::pipeline {

struct InfoParams {
  std::string file;
  bool json = false;
  static const ParamSet& params();
};

/// The file's description (io::describe_file): a raster's grid, CRS, bands and their roles,
/// reflectance rule and quality layer; a vector file's layers, CRS, fields, text encoding and
/// invalid geometries. InputError naming the file when it cannot be opened.
nlohmann::json info(const InfoParams& p);

}  // namespace farmwatch::pipeline
