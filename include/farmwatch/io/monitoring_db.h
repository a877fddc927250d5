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
/// A place that returned to its class before the change, seen by a later clear view, is
/// reverted (已恢复); a dismissed patch stays dismissed.
inline constexpr const char* kPatchStatuses[] = {"new", "persisting", "verified", "dismissed",
                                                 "reverted"};
bool valid_patch_status(const std::string& s);
/// The current time, UTC, as 2026-03-15T02:10:00Z (how the database records times).
std::string utc_timestamp();
/// 新发现, 持续存在, 已核实, 已排除.
std::string patch_status_label(const std::string& s);
/// The Chinese label of a stored category key (non_agricultural -> 非农化); unknown keys as
/// they are.
std::string patch_category_label(const std::string& key);

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

/// A delivery of a scene found in a nightly inbox (`scenes` table), identified by its product id
/// and the checksum of its files.
struct SceneRecord {
  std::string product_id, checksum, kind, sensor, path;
  std::string acquired;  ///< YYYY-MM-DD
  /// new (found, not yet handled: what `nightly --dry-run` lists), processed, cloudy (too little clear view to use), failed
  /// (`reason` says why; retried only when its bytes change), duplicate (the same bytes as a
  /// delivery already handled), replaced (a later delivery with other bytes took its place).
  std::string status;
  std::string reason;
  std::int64_t bytes = 0;
  std::int64_t run_id = 0;    ///< the run that compared it (0: none)
  double clear_share = -1;    ///< share of the area it saw clear; -1: not measured
  std::string recorded_utc;   ///< when the status was recorded (filled in when written)
  std::vector<std::uint8_t> footprint_lonlat;  ///< WKB polygon, EPSG:4326 lon/lat; may be empty
  /// Where it gave a clear view of the area (processed scenes), WKB lon/lat; may be empty.
  std::vector<std::uint8_t> clear_lonlat;
};
inline constexpr const char* kSceneStatuses[] = {"new",       "processed", "cloudy",
                                                 "failed",    "duplicate", "replaced"};

/// A stored patch looked at again by a later clear view without being found as a change:
/// the changed class is still there (persisting), or the place is back to its class before
/// (reverted).
struct PatchRevisit {
  std::string patch_id;
  std::string event;  ///< persisting or reverted
  /// The status the patch had when it was looked at: a persisting patch seen persisting again
  /// only has its last sighting moved, without reading it back.
  std::string status;
};

/// An administrative unit of a nightly area, kept so `farmwatch month` can measure per unit.
struct UnitRecord {
  std::string code, name;
  std::vector<std::uint8_t> wkb_lonlat;
};

/// What a night records besides a run: scene statuses, the area's units and key-value facts
/// (the state generation the database and the state folder agree on...).
struct NightRecord {
  std::vector<SceneRecord> scenes;   ///< upserted by (product_id, checksum, path)
  std::vector<PatchRevisit> revisits;  ///< applied with a run (date and run id of the run)
  std::vector<UnitRecord> units;     ///< replace the stored units when not empty
  std::vector<std::pair<std::string, std::string>> meta;
};

/// A clear view: the scene's date and where it saw the area clear (EPSG:4326 WKB).
struct Observation {
  std::string product_id, acquired;
  std::vector<std::uint8_t> clear_lonlat;
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
  /// A nightly run's scenes, revisits and facts, written in the same transaction.
  const NightRecord* night = nullptr;
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
  /// Opens an existing database to read only: nothing in it is changed (no columns added by a
  /// newer farmwatch), for processes that hold no lock (a night's shards, a dry run). Readers
  /// see a column it lacks as empty. InputError as open().
  static MonitoringDb open_read_only(const std::string& target);
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
  /// Every stored parcel (outline in lon/lat), in parcel id order.
  std::vector<ParcelRecord> parcels() const;
  std::vector<ParcelClassRecord> parcel_classes(const std::string& parcel_id) const;
  std::vector<PatchParcelRecord> patch_parcels(const std::string& parcel_id) const;

  /// Writes a night's scene statuses, units and facts in one transaction (for what a night
  /// records outside a run: cloudy, failed and duplicate scenes, the first clear view).
  void write_night(const NightRecord& n);
  /// The scenes table, in the order recorded.
  std::vector<SceneRecord> scenes() const;
  /// A fact recorded by write_night / a run's NightRecord; empty if absent.
  std::string meta(const std::string& key) const;
  /// Clear views of scenes acquired in [from, to] (YYYY-MM-DD), processed ones only.
  std::vector<Observation> observations(const std::string& from, const std::string& to) const;
  std::vector<UnitRecord> units() const;
  /// Patch history lines dated in [from, to] (YYYY-MM-DD), in the order recorded.
  std::vector<PatchEvent> history_between(const std::string& from, const std::string& to) const;

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
