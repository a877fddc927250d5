#pragma once
// Private to the monitoring database's sources: its tables, the OGR helpers they share, and the
// implementation behind MonitoringDb (monitoring_db.cpp writes, monitoring_db_queries.cpp reads).
#include <algorithm>
#include <string>
#include <vector>

#include "farmwatch/core/error.h"
#include "farmwatch/io/monitoring_db.h"
#include "gdal_error.h"
#include "gdal_handles.h"

namespace farmwatch::io {

namespace db_detail {

// ---- schema: every table declared once --------------------------------------------------------

struct Column {
  const char* name;
  OGRFieldType type;
};

struct Table {
  const char* name;
  OGRwkbGeometryType geometry;  // wkbNone: attributes only
  std::vector<Column> columns;
};

inline const Table kRuns{"runs",
                  wkbNone,
                  {{"started_utc", OFTString},
                   {"finished_utc", OFTString},
                   {"pipeline", OFTString},
                   {"farmwatch_version", OFTString},
                   {"out_dir", OFTString},
                   {"date_before", OFTString},
                   {"date_after", OFTString},
                   {"sensor_before", OFTString},
                   {"sensor_after", OFTString},
                   {"image_before", OFTString},
                   {"image_after", OFTString}}};
inline const Table kParcels{"parcels",
                     wkbMultiPolygon,
                     {{"parcel_id", OFTString},
                      {"unit_code", OFTString},
                      {"unit_name", OFTString},
                      {"area_m2", OFTReal},
                      {"last_run", OFTInteger64}}};
inline const Table kParcelClasses{"parcel_classes",
                           wkbNone,
                           {{"run_id", OFTInteger64},
                            {"parcel_id", OFTString},
                            {"date", OFTString},
                            {"class_code", OFTInteger},
                            {"class_name", OFTString},
                            {"gbt21010", OFTString},
                            {"area_m2", OFTReal},
                            {"share", OFTReal}}};
inline const Table kPatches{"patches",
                     wkbMultiPolygon,
                     {{"patch_id", OFTString},
                      {"category", OFTString},
                      {"status", OFTString},
                      {"category_label", OFTString},  // 非农化 ... as in the reports
                      {"status_label", OFTString},    // 新发现 ... as in the reports
                      {"class_before", OFTString},
                      {"class_after", OFTString},
                      {"first_seen", OFTString},
                      {"last_seen", OFTString},
                      {"first_run", OFTInteger64},
                      {"last_run", OFTInteger64},
                      {"area_m2", OFTReal},
                      {"confidence", OFTReal},
                      {"unit_code", OFTString},
                      {"unit_name", OFTString},
                      {"parcel_ids", OFTString},
                      {"exempt_by", OFTString},
                      {"status_by", OFTString},
                      {"status_at", OFTString},
                      {"status_note", OFTString}}};
inline const Table kHistory{"patch_history",
                     wkbNone,
                     {{"patch_id", OFTString},
                      {"run_id", OFTInteger64},
                      {"date", OFTString},
                      {"event", OFTString},
                      {"area_m2", OFTReal},
                      {"by_user", OFTString},
                      {"at_utc", OFTString},
                      {"note", OFTString}}};
inline const Table kPatchParcels{"patch_parcels",
                          wkbNone,
                          {{"patch_id", OFTString},
                           {"run_id", OFTInteger64},
                           {"parcel_id", OFTString},
                           {"area_m2", OFTReal}}};
// The nightly tables (monitoring_db_night.cpp).
inline const Table kScenes{"scenes",
                    wkbMultiPolygon,  // footprint
                    {{"product_id", OFTString},
                     {"checksum", OFTString},
                     {"kind", OFTString},
                     {"sensor", OFTString},
                     {"acquired", OFTString},
                     {"path", OFTString},
                     {"status", OFTString},
                     {"reason", OFTString},
                     {"bytes", OFTInteger64},
                     {"run_id", OFTInteger64},
                     {"clear_share", OFTReal},
                     {"recorded_utc", OFTString}}};
inline const Table kObservations{"observations",
                          wkbMultiPolygon,  // where the scene saw the area clear
                          {{"product_id", OFTString},
                           {"checksum", OFTString},
                           {"acquired", OFTString}}};
inline const Table kUnits{"units", wkbMultiPolygon, {{"unit_code", OFTString}, {"unit_name", OFTString}}};
inline const Table kMeta{"meta", wkbNone, {{"key", OFTString}, {"value", OFTString}}};
/// Tables every farmwatch database has; opening without `create` checks them.
inline const Table* const kRunTables[] = {&kRuns,    &kParcels, &kParcelClasses,
                                          &kPatches, &kHistory, &kPatchParcels};
inline const Table* const kTables[] = {&kRuns,    &kParcels,      &kParcelClasses, &kPatches,
                                       &kHistory, &kPatchParcels, &kScenes,        &kObservations,
                                       &kUnits,   &kMeta};
/// Indexes (unique on the ids) created with the tables, on GeoPackage and PostGIS alike.
inline const char* const kIndexes[] = {
    "CREATE UNIQUE INDEX IF NOT EXISTS patches_patch_id ON patches (patch_id)",
    "CREATE INDEX IF NOT EXISTS patches_last_seen ON patches (last_seen)",
    "CREATE UNIQUE INDEX IF NOT EXISTS parcels_parcel_id ON parcels (parcel_id)",
    "CREATE INDEX IF NOT EXISTS patch_history_patch_id ON patch_history (patch_id)",
    "CREATE INDEX IF NOT EXISTS patch_history_date ON patch_history (date)",
    "CREATE INDEX IF NOT EXISTS patch_parcels_parcel_id ON patch_parcels (parcel_id)",
    "CREATE INDEX IF NOT EXISTS parcel_classes_parcel_id ON parcel_classes (parcel_id)",
    "CREATE UNIQUE INDEX IF NOT EXISTS scenes_delivery ON scenes (product_id, checksum, path)",
    "CREATE INDEX IF NOT EXISTS observations_acquired ON observations (acquired)",
    "CREATE UNIQUE INDEX IF NOT EXISTS meta_key ON meta (key)",
};

inline std::string quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

/// A (multi)polygon WKB as a MultiPolygon, the type every geometry column holds.
inline GeometryPtr as_multipolygon(const std::vector<std::uint8_t>& wkb) {
  GeometryPtr g = from_wkb(wkb);
  if (wkbFlatten(g->getGeometryType()) == wkbMultiPolygon) return g;
  return GeometryPtr(OGRGeometryFactory::forceToMultiPolygon(g.release()));
}

inline std::vector<std::uint8_t> wkb_of(const OGRFeature& f) {
  const OGRGeometry* g = f.GetGeometryRef();
  return g ? to_wkb(*g) : std::vector<std::uint8_t>{};
}

inline std::string str(const OGRFeature& f, const char* field) {
  const int i = f.GetFieldIndex(field);
  return i >= 0 && f.IsFieldSetAndNotNull(i) ? f.GetFieldAsString(i) : "";
}
inline double num(const OGRFeature& f, const char* field) {
  const int i = f.GetFieldIndex(field);
  return i >= 0 && f.IsFieldSetAndNotNull(i) ? f.GetFieldAsDouble(i) : 0.0;
}
inline std::int64_t int64(const OGRFeature& f, const char* field) {
  const int i = f.GetFieldIndex(field);
  return i >= 0 && f.IsFieldSetAndNotNull(i) ? f.GetFieldAsInteger64(i) : 0;
}

inline StoredPatch stored_patch(const OGRFeature& f) {
  StoredPatch p;
  p.id = str(f, "patch_id");
  p.category = str(f, "category");
  p.status = str(f, "status");
  p.class_before = str(f, "class_before");
  p.class_after = str(f, "class_after");
  p.first_seen = str(f, "first_seen");
  p.last_seen = str(f, "last_seen");
  p.first_run = int64(f, "first_run");
  p.last_run = int64(f, "last_run");
  p.area_m2 = num(f, "area_m2");
  p.confidence = num(f, "confidence");
  p.unit_code = str(f, "unit_code");
  p.unit_name = str(f, "unit_name");
  p.parcel_ids = str(f, "parcel_ids");
  p.exempt_by = str(f, "exempt_by");
  p.status_by = str(f, "status_by");
  p.status_at = str(f, "status_at");
  p.status_note = str(f, "status_note");
  p.wkb_lonlat = wkb_of(f);
  return p;
}

}  // namespace db_detail

using namespace db_detail;

struct MonitoringDb::Impl {
  std::string target;
  DatasetPtr ds;

  std::string where() const { return "monitoring database '" + target + "'"; }

  OGRLayer& layer(const Table& t) const {
    OGRLayer* l = ds->GetLayerByName(t.name);
    if (!l) throw InputError(where() + " has no table '" + t.name + "': not a farmwatch database");
    return *l;
  }

  [[noreturn]] void fail(const std::string& what) const {
    std::string msg = gdal_last_error();
    if (msg.find("locked") != std::string::npos || msg.find("busy") != std::string::npos)
      msg += " (another process is writing to it; try again when it has finished)";
    throw ProcessingError(where() + ": " + what + ": " + msg);
  }

  void create_tables() {
    auto lonlat = wgs84_lonlat();
    for (const Table* t : kTables) {
      if (ds->GetLayerByName(t->name)) continue;
      CPLErrorReset();
      const char* opts[] = {"FID=fid", nullptr};
      OGRLayer* l = ds->CreateLayer(t->name, t->geometry == wkbNone ? nullptr : &lonlat,
                                    t->geometry, const_cast<char**>(opts));
      if (!l) fail(std::string("cannot create table ") + t->name);
      for (const auto& c : t->columns) {
        OGRFieldDefn fd(c.name, c.type);
        if (l->CreateField(&fd) != OGRERR_NONE)
          fail(std::string("cannot create column ") + t->name + "." + c.name);
      }
    }
  }

  /// Columns added since a database was made are added to it, and rows of patches without
  /// the Chinese labels get them from their keys (in one transaction). Best effort: a database
  /// this user may not alter (read-only file, a PostgreSQL role that does not own the tables)
  /// is read as it is, and another process adding the same column first is no failure.
  void add_missing_columns() {
    for (const Table* t : kTables) {
      OGRLayer* l = ds->GetLayerByName(t->name);
      if (!l) continue;
      for (const auto& c : t->columns) {
        if (l->GetLayerDefn()->GetFieldIndex(c.name) >= 0) continue;
        OGRFieldDefn fd(c.name, c.type);
        CPLErrorReset();
        if (l->CreateField(&fd) != OGRERR_NONE) CPLErrorReset();
      }
    }
    OGRLayer* patches = ds->GetLayerByName(kPatches.name);
    if (!patches || patches->GetLayerDefn()->GetFieldIndex("category_label") < 0 ||
        patches->GetLayerDefn()->GetFieldIndex("status_label") < 0)
      return;
    try {
      transaction([&] {
        for (auto& f : select(kPatches, "category_label IS NULL OR status_label IS NULL")) {
          set_labels(*f);
          update(*patches, *f, kPatches.name);
        }
      });
    } catch (const ProcessingError&) {
      CPLErrorReset();  // not writable here: the keys are still there to read
    }
  }

  /// The Chinese labels of a patch row from its category and status keys.
  static void set_labels(OGRFeature& f) {
    f.SetField("category_label", patch_category_label(f.GetFieldAsString("category")).c_str());
    f.SetField("status_label", patch_status_label(f.GetFieldAsString("status")).c_str());
  }

  /// Whether a table exists (databases from before the nightly tables lack them).
  bool has(const Table& t) const { return ds->GetLayerByName(t.name) != nullptr; }

  void create_indexes() {
    for (const char* sql : kIndexes) {
      CPLErrorReset();
      ds->ExecuteSQL(sql, nullptr, nullptr);
      if (CPLGetLastErrorType() >= CE_Failure) fail(std::string("cannot create index: ") + sql);
    }
  }

  /// Features of a table matching an OGR SQL attribute filter ("" = all), in FID order.
  std::vector<OGRFeatureUniquePtr> select(const Table& t, const std::string& filter) const {
    OGRLayer& l = layer(t);
    l.SetSpatialFilter(nullptr);
    if (l.SetAttributeFilter(filter.empty() ? nullptr : filter.c_str()) != OGRERR_NONE)
      fail("bad query on " + std::string(t.name));
    std::vector<OGRFeatureUniquePtr> out;
    l.ResetReading();
    while (OGRFeature* f = l.GetNextFeature()) out.emplace_back(f);
    l.SetAttributeFilter(nullptr);
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a->GetFID() < b->GetFID(); });
    return out;
  }

  /// Features of a table whose `column` is one of `values`, in FID order; asked in batches of
  /// 500, so the work follows the values asked for, not the size of the table.
  std::vector<OGRFeatureUniquePtr> select_in(const Table& t, const char* column,
                                             const std::vector<std::string>& values) const {
    std::vector<OGRFeatureUniquePtr> out;
    for (std::size_t i = 0; i < values.size(); i += 500) {
      std::string list;
      for (std::size_t k = i; k < std::min(values.size(), i + 500); ++k)
        list += (list.empty() ? "" : ",") + quoted(values[k]);
      for (auto& f : select(t, std::string(column) + " IN (" + list + ")")) out.push_back(std::move(f));
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a->GetFID() < b->GetFID(); });
    return out;
  }

  /// Runs an SQL statement that returns nothing (UPDATE...); ProcessingError naming it on failure.
  void execute(const std::string& sql) const {
    CPLErrorReset();
    OGRLayer* r = ds->ExecuteSQL(sql.c_str(), nullptr, nullptr);
    if (r) ds->ReleaseResultSet(r);
    if (CPLGetLastErrorType() >= CE_Failure) fail("cannot run " + sql.substr(0, 60));
  }

  void insert(OGRLayer& l, OGRFeature& f, const char* table) const {
    CPLErrorReset();
    if (l.CreateFeature(&f) != OGRERR_NONE) fail(std::string("cannot write to ") + table);
  }
  void update(OGRLayer& l, OGRFeature& f, const char* table) const {
    CPLErrorReset();
    if (l.SetFeature(&f) != OGRERR_NONE) fail(std::string("cannot update ") + table);
  }

  /// The parts of MonitoringDb::write_run, each inside its transaction (monitoring_db.cpp).
  std::int64_t insert_run(const RunRecord& r);
  void write_parcels(const RunWrite& w, std::int64_t run_id);  ///< parcels and class areas
  void write_patches(const RunWrite& w, std::int64_t run_id);  ///< patches, history, overlaps
  /// Scenes, observations, units and facts of a night (monitoring_db_night.cpp).
  void write_night(const NightRecord& n, std::int64_t run_id = 0);
  /// Stored patches a later clear view saw again (monitoring_db_night.cpp).
  void write_revisits(const NightRecord& n, const RunWrite& w, std::int64_t run_id);

  /// Runs `body` in one transaction: committed when it returns, rolled back if it throws.
  template <class F>
  void transaction(F&& body) {
    CPLErrorReset();
    if (ds->StartTransaction() != OGRERR_NONE) fail("cannot start a transaction");
    try {
      body();
    } catch (...) {
      ds->RollbackTransaction();
      throw;
    }
    CPLErrorReset();
    if (ds->CommitTransaction() != OGRERR_NONE) {
      ds->RollbackTransaction();
      fail("cannot commit");
    }
  }
};


}  // namespace farmwatch::io
