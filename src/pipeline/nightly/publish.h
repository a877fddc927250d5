#pragma once
// Publishing a night (private to the nightly sources): the one map of the area as the state
// has it, written whole into publish/runs/<run id>/ and made current with rename(2).
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "farmwatch/core/log.h"
#include "farmwatch/io/monitoring_db.h"
#include "farmwatch/pipeline/area.h"

namespace farmwatch::pipeline::nightly {

/// The state generation publish/current shows ("" if nothing is published).
std::string published_generation(const std::filesystem::path& publish);

/// Writes publish/runs/<run_id>/ from the state generation `gen` and the database: landuse.tif,
/// observed.tif (YYYYMMDD of each place's latest clear view), change.tif (COGs), patches
/// (GeoPackage, GeoJSON, CSV), report.html, tiles, summary.json and a STAC Collection with an
/// Item per file; then points publish/current at it (symlink to a temporary name, rename(2)
/// over current) and removes runs beyond keep_runs. Returns the summary as written.
/// ProcessingError naming the file on any failure; current is then unchanged.
nlohmann::json publish_night(const AreaSpec& area, const std::filesystem::path& gen,
                             io::MonitoringDb& db, nlohmann::json summary,
                             const std::string& run_id, const Log& log);

}  // namespace farmwatch::pipeline::nightly
