#pragma once
// farmwatch change: two dates (images or land-use maps) compared on A's grid.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "farmwatch/pipeline/image_params.h"
#include "farmwatch/pipeline/step.h"

namespace farmwatch::pipeline {

struct ChangeParams {
  std::string before, after, out, farmland, id_field, layer, change_rules, rules, date_before,
      date_after, db, model;
  bool tiles = false, no_coregister = false, no_normalise = false;
  int chips = 300;  ///< report chips for at most this many patches
  std::optional<double> pixel_size;  ///< metres, images with no georeference only
  ImageParams image;
  static const ParamSet& params();
};

/// Compares the two dates and writes change.tif, land-use maps, patches (GPKG, GeoJSON, CSV)
/// and summary.json into `out` (swapped in whole); returns the summary. Georeferenced inputs
/// run the monitoring chain of a pipeline with one scene per date; two RGB images without any
/// georeference are compared on their pixel grid for new buildings (pixel_change.h).
/// ParamError for options that need georeference on such images, InputError when one image
/// has a georeference and the other not, or land-use maps with different class tables.
nlohmann::json change(const ChangeParams& p, const StepEnv& env);

}  // namespace farmwatch::pipeline
