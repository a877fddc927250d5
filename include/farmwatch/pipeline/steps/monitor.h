#pragma once
// The analyst's queries on the monitoring database: patches (list and filter), patch (one
// patch's history; record a field decision), parcel (a parcel's history and image chips).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "farmwatch/io/monitoring_db.h"
#include "farmwatch/pipeline/params.h"
#include "farmwatch/pipeline/step.h"

namespace farmwatch::pipeline {

/// The monitoring database: --db, else $FARMWATCH_DB. ParamError when neither is given,
/// InputError naming it when it is missing, corrupt or not farmwatch's.
io::MonitoringDb open_monitoring_db(const std::string& db);

struct PatchesParams {
  std::string db, unit, since, category, status, format = "table";
  static const ParamSet& params();
};

/// The stored patches matching the filters (unit name or code, last seen on or after `since`,
/// category key or its Chinese label, status), in id order.
std::vector<io::StoredPatch> list_patches(const PatchesParams& p);

struct PatchParams {
  std::string id, db, status, note, by;
  static const ParamSet& params();
};

struct PatchReport {
  io::StoredPatch patch;
  std::vector<io::PatchEvent> history;
};

/// One patch and its history; with `status` (verified | dismissed) first records the field
/// decision (by `by`, else $USER; now, in UTC) in one transaction. InputError for an unknown id.
PatchReport patch(const PatchParams& p);

struct ParcelParams {
  std::string id, db, chips;
  static const ParamSet& params();
};

struct ParcelReport {
  io::ParcelRecord parcel;
  /// Per date, its class areas from the latest run that measured that date.
  std::map<std::string, std::vector<io::ParcelClassRecord>> classes_by_date;
  /// Patches on the parcel with the area they take of it (m², their latest run).
  std::vector<std::pair<io::StoredPatch, double>> patches;
  std::vector<std::string> chips;  ///< PNGs written (before, after) with `chips`
};

/// A parcel's history; with `chips`, before/after image chips of the latest run's images.
/// InputError for an unknown id or a database with no run to take imagery from.
ParcelReport parcel(const ParcelParams& p);

}  // namespace farmwatch::pipeline
