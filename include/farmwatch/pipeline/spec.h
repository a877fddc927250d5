#pragma once
// A pipeline file: what to read, how to classify and compare, and what to write.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "farmwatch/core/classifier.h"
#include "farmwatch/core/calendar.h"
#include "farmwatch/io/farmland.h"
#include "farmwatch/io/image_source.h"
#include "farmwatch/pipeline/rules_file.h"

namespace farmwatch::pipeline {

/// One scene (image) of a date.
struct SceneSpec {
  io::ImageRequest image;
  std::string acquired;  ///< acquisition date YYYY-MM-DD (default: the date it belongs to)
  std::string sensor;    ///< free text (default: the date's)
};

struct DateSpec {
  std::string date;                ///< YYYY-MM-DD
  std::string sensor = "unknown";  ///< free text for reports, e.g. "Sentinel-2 L2A"
  /// One or more scenes; several are composited per pixel (clear first, nearest date first).
  std::vector<SceneSpec> scenes;
  /// A scene whose pixels on the grid are cloud in a larger share than this is skipped.
  double max_cloud = 0.95;
};

/// The analysis grid. Absent values come from the first date's image.
struct GridSpec {
  std::optional<std::string> crs;  ///< "EPSG:4527", WKT...
  std::optional<double> resolution;
  std::optional<Box> extent;  ///< in `crs`; absent: see `bound`
  /// Without `extent`: the images' common footprint, cut to the farmland layer's extent plus
  /// `margin` when `bound` is farmland (`extent: farmland`). The default watches all the
  /// imagery, since changes outside farmland are reported too (其他变化).
  enum class Bound { farmland, imagery } bound = Bound::imagery;
  std::optional<double> margin;  ///< CRS units around the farmland; absent: 20 pixels
};

struct OutputSpec {
  std::string dir;
  bool landuse = true;
  bool tiles = true;
  /// Patch files and report.html of the run. Not a pipeline key: `nightly` publishes its own
  /// from the database, so its comparisons skip them.
  bool reports = true;
  /// The land-use, imagery and change COGs of the run. Not a pipeline key: `nightly` publishes
  /// its own from the state and the database, so its comparisons skip them.
  bool rasters = true;
  int min_zoom = -1, max_zoom = -1;  ///< -1: derived from the grid
  std::string tile_grid = "both";    ///< tile matrix sets: webmercator, tianditu-c or both
  int max_chips = 300;  ///< report chips for at most this many patches (farmland ones first)
};

/// A layer of areas where a change is reasonable (合理): approved construction land, approved
/// facility land, the urban development boundary...
struct ExemptionSpec {
  std::string name;  ///< how reports name it, e.g. "建设用地审批"
  io::FarmlandRequest layer;
};

struct PipelineSpec {
  std::string file;  ///< where it was read from (empty if built in code)
  std::string name;
  std::vector<DateSpec> dates;  ///< one (classify only) or two (before, after)
  std::optional<io::FarmlandRequest> farmland;
  std::vector<ExemptionSpec> exemptions;
  /// Administrative units (乡镇/村): id_field holds the unit code, name_field its name.
  std::optional<io::FarmlandRequest> admin;
  /// The monitoring database: a GeoPackage path or a "PG:..." connection string; empty: none.
  std::string database;
  /// The file did not name a database: it is the default, farmwatch.gpkg beside the output
  /// folder, and follows the output folder when `run --out` moves it.
  bool database_is_default = false;
  GridSpec grid;
  std::shared_ptr<const RuleClassifier> classifier;
  std::string classifier_source;
  /// A land-use model from farmwatch train (one date): it classifies each date instead of the
  /// rules, and its class probabilities weigh the change. `classifier` then holds only its
  /// class table (keys the change rules name). Empty: the rules classify.
  std::string model;
  /// A change model from `farmwatch train --labels` (core/vhr_change_model.h): on two
  /// very-high-resolution RGB dates it finds the change instead of the building method, as
  /// `farmwatch change --model` does. Empty: the building method.
  std::string change_model;
  ChangeConfig change;
  std::string change_source;
  OutputSpec outputs;
  int block_size = kBlockSize;
  bool coregister = true;  ///< measure and correct the shift of the later date
  bool normalise = true;   ///< bring the later date's radiometry to the earlier one's
};

/// Reads and checks a pipeline file (YAML or JSON). Relative paths are taken from the file's
/// folder. ConfigError naming the file and key on any problem, unknown keys included.
PipelineSpec load_pipeline(const std::string& path);

struct PipelineParams;
struct ParamSource;
/// A spec from keys already read (load_pipeline, and an area file's pipeline keys). Without
/// `outputs` the spec has no output folder and no database: the caller sets them.
PipelineSpec pipeline_spec(const PipelineParams& p, const ParamSource& src);

// Calendar dates (core/calendar.h), as the pipeline names them.
using farmwatch::days_between;
using farmwatch::valid_date;

}  // namespace farmwatch::pipeline
