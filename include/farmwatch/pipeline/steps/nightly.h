#pragma once
// farmwatch nightly (an area file, one unattended night) and farmwatch month (what a month
// found and where it was blind, from the monitoring database).
#include <optional>
#include <nlohmann/json.hpp>
#include <string>

#include "farmwatch/pipeline/nightly.h"
#include "farmwatch/pipeline/params.h"
#include "farmwatch/pipeline/step.h"

namespace farmwatch::pipeline {

struct NightlyParams {
  std::string area, log_format = "text";
  bool wait = false, dry_run = false;
  std::optional<std::string> shard;  ///< "i/N": only shard i of N (NightlyOptions::shard)
  int merge = 0;      ///< N: merge N shards (NightlyOptions::merge_shards)
  static const ParamSet& params();
};

/// Loads the area file and runs one night (nightly.h). std::filesystem errors (disk full...)
/// become ProcessingError naming the path.
NightResult nightly(const NightlyParams& p, const StepEnv& env,
                    std::function<void(std::size_t, std::size_t, const std::string&)> progress = {});

struct MonthParams {
  std::string month, db, out;
  static const ParamSet& params();
};

/// The month YYYY-MM from the database: per unit, the patches found (first seen that month),
/// seen persisting, reverted and handled (verified / dismissed by an analyst) that month, and
/// the area with no clear view that month (月发现、月预警: where the office is blind). Writes
/// DIR/month_<YYYY-MM>.json, units_<YYYY-MM>.csv, blind_<YYYY-MM>.gpkg (layer blind, one
/// feature per unit, EPSG:4326) and patches_<YYYY-MM>.csv; returns the summary.
/// InputError for a database nightly never wrote to.
nlohmann::json month(const MonthParams& p, const StepEnv& env);

}  // namespace farmwatch::pipeline
