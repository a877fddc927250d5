#pragma once
// The monitoring database: runs, parcels, per-parcel per-date class areas, and change patches
// with their history and status, kept from night to night so that a patch found again keeps
// its id. One code path through GDAL/OGR serves a GeoPackage file (the default: one file an
// office can copy) and PostgreSQL/PostGIS ("PG:dbname=... host=...").
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "farmwatch/core/class_table.h"
#include "farmwatch/io/patches.h"

namespace farmwatch::io {

/// Statuses a patch goes through: found this run for the first time (new), found again
/// (persisting), and an analyst's field decision (verified, dismissed), which later runs keep.
inline constexpr const char* kPatchStatuses[] = {"new", "persisting", "verified", "dismissed"};
bool valid_patch_status(const std::string& s);
/// The current time, UTC, as 2026-03-15T02:10:00Z (how the database records times).
std::string utc_timestamp();
/// 新发现, 持续存在, 已核实, 已排除.
std::string patch_status_label(const std::string& s);

struct RunRecord {
  std::int64_t id = 0;
  std::string started_utc, finished_utc;
  std::string pipeline, farmwatch_version, out_dir;
  std::string date_before, date_after, sensor_before, sensor_after;
  std::string image_before, image_after;  ///< first scene of each date (for image chips)
};

struct ParcelRecord {
  std::string id, unit_code, unit_name;
  double area_m2 = 0;
  std::vector<std::uint8_t> wkb_lonlat;
};

/// One class's area inside one parcel on one date.
struct ParcelClassRecord {
  std::int64_t run_id = 0;
  std::string parcel_id, date;
  int code = 0;
  std::string class_name, gbt_code;
  double area_m2 = 0, share = 0;
};

/// A patch as stored: its latest observation and its status.
struct StoredPatch {
  std::string id, category, status;
  std::string class_before, class_after;  ///< class names
  std::string first_seen, last_seen;      ///< dates (the later date of the run)
  std::int64_t first_run = 0, last_run = 0;
  std::string unit_code, unit_name, parcel_ids, exempt_by;
  std::string status_by, status_at, status_note;
  double area_m2 = 0, confidence = 0;
  std::vector<std::uint8_t> wkb_lonlat;
};

/// One line of a patch's history: detected / persisting (a run found it), verified /
/// dismissed (an analyst).
struct PatchEvent {
  std::string patch_id;
  std::int64_t run_id = 0;  ///< 0 for an analyst's decision
  std::string date, event, by, at, note;
  double area_m2 = 0;
};

/// A patch's overlap with a parcel in one run.
struct PatchParcelRecord {
  std::string patch_id, parcel_id;
  std::int64_t run_id = 0;
  double area_m2 = 0;
};

/// Everything one run writes, in one transaction.
struct RunWrite {
  RunRecord run;
  std::vector<ParcelRecord> parcels;
  std::vector<ParcelClassRecord> parcel_classes;  ///< run_id filled in by write_run
  const std::vector<Patch>* patches = nullptr;    ///< ids and statuses from match_patches
  const ClassTable* classes = nullptr;
  /// Called inside the transaction once every row is written, just before the commit: a
  /// failure there (an exception) or the process dying there must leave the database as it
  /// was. Empty in production; the atomicity tests set it (tests/support/hooked_run.cpp).
  std::function<void()> before_commit;
};

struct PatchQuery {
  std::string unit;      ///< unit name or code; empty: all
  std::string since;     ///< YYYY-MM-DD: last seen on or after it; empty: all
  std::string category;  ///< non_agricultural / non_grain / other_change; empty: all
  std::string status;    ///< one of kPatchStatuses; empty: all
};

class MonitoringDb {
 public:
  /// Opens a GeoPackage path or a "PG:" connection string, creating the GeoPackage and the
  /// tables when `create` is set. InputError naming the database on a missing, corrupt or
  /// locked one.
  static MonitoringDb open(const std::string& target, bool create);
  ~MonitoringDb();
  MonitoringDb(MonitoringDb&&) noexcept;
  MonitoringDb& operator=(MonitoringDb&&) noexcept;
  const std::string& target() const;

  /// Gives each patch of this run its monitoring id and status. A patch overlapping a stored
  /// one by at least 30 % of the smaller of the two keeps the stored id (each stored patch is
  /// claimed once, best overlap first); its status becomes persisting unless an analyst has
  /// verified or dismissed it. Other patches get a new id, `prefix`-NNNN, never used before.
  void match_patches(std::vector<Patch>& patches, const std::string& prefix) const;

  /// Writes the run, its parcels, class areas, patches, history and patch-parcel overlaps in
  /// one transaction; nothing is written if any of it fails. Returns the run id.
  std::int64_t write_run(const RunWrite& w);

  std::vector<RunRecord> runs() const;
  std::vector<StoredPatch> patches(const PatchQuery& q) const;
  std::optional<StoredPatch> patch(const std::string& id) const;
  std::vector<PatchEvent> patch_history(const std::string& id) const;
  std::optional<ParcelRecord> parcel(const std::string& id) const;
  std::vector<ParcelClassRecord> parcel_classes(const std::string& parcel_id) const;
  std::vector<PatchParcelRecord> patch_parcels(const std::string& parcel_id) const;

  /// Records an analyst's decision on a patch (who, when, note) in one transaction.
  /// InputError if there is no such patch or the status is not verified/dismissed.
  void set_status(const std::string& patch_id, const std::string& status, const std::string& note,
                  const std::string& who);

 private:
  MonitoringDb();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace farmwatch::io
