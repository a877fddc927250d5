#pragma once
// What the stages of one run share: the spec, what validation found, where outputs go, and
// what each stage produced for the next.
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "farmwatch/core/change_kernel.h"
#include "farmwatch/core/log.h"
#include "farmwatch/engine/landuse_change.h"
#include "farmwatch/io/cog_writer.h"
#include "farmwatch/io/farmland.h"
#include "farmwatch/io/monitoring_db.h"
#include "farmwatch/io/patches.h"
#include "farmwatch/pipeline/output_dir.h"
#include "farmwatch/pipeline/run.h"
#include "farmwatch/pipeline/tile_sets.h"

namespace farmwatch::pipeline {

struct RunContext {
  RunContext(const PipelineSpec& s, const RunOptions& o, const Log& l)
      : spec(s), options(o), log(l) {}
  const PipelineSpec& spec;
  const RunOptions& options;
  const Log& log;

  bool compares_dates() const { return spec.dates.size() == 2; }

  // validate, screen
  std::vector<io::Mosaic> images;  ///< per date: its usable scenes, best first
  /// Per date, one report per scene listed (path, acquisition date, status, reason...).
  nlohmann::json scenes = nlohmann::json::array();
  int failed_scenes = 0;  ///< scenes that could not be read (not: skipped as cloudy)
  /// Both dates one georeferenced very-high-resolution RGB image each (drone orthomosaics,
  /// aerial photos; is_vhr_rgb): the change is the building method's (stage "buildings"),
  /// not the spectral test's.
  bool vhr = false;
  Grid grid;
  std::optional<io::FarmlandLayer> farmland;
  std::optional<io::FarmlandLayer> admin;
  std::vector<io::FarmlandLayer> exemptions;  ///< in the order of spec.exemptions
  std::optional<io::MonitoringDb> db;
  std::string started_utc;
  std::string generated_utc;  ///< the time outputs show: started_utc, or SOURCE_DATE_EPOCH
  // coregister
  nlohmann::json coregistration;
  // normalise
  nlohmann::json normalisation;
  // spectral
  std::optional<SpectralChangeTest> spectral;
  nlohmann::json spectral_report;
  // prepare
  std::unique_ptr<StagedDir> out;
  std::unique_ptr<ChangeKernel> kernel;
  engine::LanduseChangeJob job;  ///< scratch rasters of the per-pixel stage
  /// Per date, the imagery layer's 8-bit RGBA raster (stages/imagery.h) as a run makes it from
  /// job.rgb_out, uncompressed (or in a merge, a virtual raster over the shards'); "" where
  /// the date has no true colour.
  std::vector<std::string> imagery;
  /// In a merge, by the path of a layer's raster (job outputs and `imagery`): the tile stores
  /// the shards encoded of their cells (io::encode_cog_tiles), from which its COG is assembled.
  std::map<std::string, io::CogTileStores> cog_tiles;
  // classify
  engine::LanduseChangeStats pixels;
  // buildings
  nlohmann::json buildings_report;
  // patches
  io::PatchResult patches;
  // annotate
  std::vector<io::ParcelRecord> parcels;              ///< farmland parcels with their units
  std::vector<io::ParcelClassRecord> parcel_classes;  ///< per parcel, date and class
  // rasters, reports, tiles
  nlohmann::json files = nlohmann::json::array();
  std::vector<TileLayerSource> tile_layers;  ///< rasters by their path in the staging folder
  nlohmann::json tiles = nlohmann::json::object();
  nlohmann::json timings = nlohmann::json::object();
  /// rasters: the COG conversions that do not wait for the patches (land use, scene sources,
  /// imagery), running while the patches are extracted; the rasters stage joins them. Last
  /// member, so a failed run waits for them before its staging folder is removed.
  std::future<void> early_rasters;
};

}  // namespace farmwatch::pipeline
