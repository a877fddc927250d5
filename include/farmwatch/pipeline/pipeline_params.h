#pragma once
// The keys of a pipeline file, declared once: load_pipeline reads a file through them and
// `farmwatch schema` writes their JSON Schema (for editors, through yaml-language-server).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "farmwatch/pipeline/image_params.h"
#include "farmwatch/pipeline/params.h"

namespace farmwatch::pipeline {

/// One scene of a date (`scenes:` entries).
struct SceneParams {
  std::string image, date, sensor;
  ImageParams read;
  static const ParamSet& params();
};

/// One date: a single `image` or a list of `scenes`, with how to read them.
struct DateParams {
  std::string date, sensor = "unknown", image;
  std::optional<double> max_cloud;
  ImageParams read;
  std::vector<SceneParams> scenes;
  static const ParamSet& params();
};

/// A polygon layer: farmland (id_field), an exemption (name) or the admin units
/// (code_field, name_field).
struct LayerParams {
  std::string path, layer, id_field, name, code_field, name_field;
};
struct FarmlandParams : LayerParams {
  static const ParamSet& params();
};
struct ExemptionParams : LayerParams {
  static const ParamSet& params();
};
struct AdminParams : LayerParams {
  static const ParamSet& params();
};

struct GridParams {
  std::optional<std::string> crs;
  std::optional<double> resolution, margin;
  std::optional<std::vector<double>> extent;  ///< [xmin, ymin, xmax, ymax]
  std::string bound;                          ///< "farmland", "imagery" or empty
  static const ParamSet& params();
};

struct TileParams {
  std::optional<int> min_zoom, max_zoom;
  std::string grid = "both";  ///< webmercator, tianditu-c or both
  static const ParamSet& params();
};

/// `tiles: true | false | {min_zoom, max_zoom, grid}` (outputs.tiles, an area's tiles).
void read_tiles_value(const YAML::Node& v, const ParamSource& src, bool& tiles,
                      std::optional<TileParams>& zooms);
nlohmann::json tiles_schema();
struct OutputParams {
  std::string dir;
  bool landuse = true, tiles = true;
  std::optional<TileParams> zooms;
  int chips = 300;
  static const ParamSet& params();
};

/// A whole pipeline file as written; load_pipeline turns it into a PipelineSpec.
struct PipelineParams {
  std::string name;
  std::vector<DateParams> dates;
  std::optional<FarmlandParams> farmland;
  std::vector<ExemptionParams> exemptions;
  std::optional<AdminParams> admin;
  std::optional<GridParams> grid;
  std::string model;
  std::string change_model;
  std::optional<YAML::Node> classification, change_rules, min_patch_area_m2;
  std::string database;
  bool has_database = false;
  std::optional<OutputParams> outputs;
  int block_size;
  bool coregister = true, normalise = true;
  PipelineParams();
  static const ParamSet& params();
};

/// block_size's declared range, shared by every step that takes it.
ParamRange block_size_range();

/// The JSON Schema (draft 2020-12) of a pipeline file.
nlohmann::json pipeline_schema();

}  // namespace farmwatch::pipeline
