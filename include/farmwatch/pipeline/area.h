#pragma once
// An area file: what `farmwatch nightly` watches. The keys of a pipeline file (farmland, admin,
// exemptions, grid, classification or model, change_rules, database...) except `dates` and
// `outputs`, declared once with them (pipeline_params.h), plus where scenes arrive, where the
// state of each place is kept and where readers find the one map.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "farmwatch/pipeline/spec.h"

namespace farmwatch::pipeline {

struct AreaSpec {
  std::string file;  ///< where it was read from
  /// The area as a pipeline without dates: layers, grid, rules, database. outputs.dir is
  /// unused (each scene's comparison is written under `state`).
  PipelineSpec pipeline;
  std::vector<std::string> inbox;  ///< folders or glob patterns (absolute)
  std::string state;               ///< folder farmwatch owns: the state rasters, the lock
  std::string publish;             ///< folder readers look in: runs/<run id>/ and current
  int keep_runs = 7;               ///< published runs kept besides current
  /// A scene seeing less than (1 - max_cloud) of the area clear is recorded as cloudy and
  /// not compared.
  double max_cloud = 0.8;
  /// A land-use map of a date (e.g. the annual survey map, 年度变更调查) that the first scenes
  /// are compared with: a single-band Byte raster in the classification's codes (colour table
  /// or FARMWATCH_CLASSES; 255 no data). Empty: the first clear view of a place is its baseline.
  std::string baseline;
  std::string baseline_date;  ///< YYYY-MM-DD
  bool tiles = true;                 ///< XYZ tiles of the published layers
  int min_zoom = -1, max_zoom = -1;  ///< -1: from the grid
  std::string tile_grid = "both";    ///< webmercator, tianditu-c or both
};

/// Reads and checks an area file (YAML or JSON); relative paths are taken from its folder.
/// ConfigError naming the file and the key on any problem, unknown keys included.
AreaSpec load_area(const std::string& path);

/// The JSON Schema (draft 2020-12) of area files.
nlohmann::json area_schema();

}  // namespace farmwatch::pipeline
