#include "farmwatch/io/monitoring_db.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "farmwatch/core/error.h"
#include "farmwatch/core/patch_identity.h"
#include "gdal_error.h"
#include "gdal_handles.h"

namespace farmwatch::io {

bool valid_patch_status(const std::string& s) {
  return std::find_if(std::begin(kPatchStatuses), std::end(kPatchStatuses),
                      [&](const char* k) { return s == k; }) != std::end(kPatchStatuses);
}

std::string utc_timestamp() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string patch_status_label(const std::string& s) {
  if (s == "new") return "新发现";
  if (s == "persisting") return "持续存在";
  if (s == "verified") return "已核实";
  if (s == "dismissed") return "已排除";
  return s;
}

namespace {

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

const Table kRuns{"runs",
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
const Table kParcels{"parcels",
                     wkbMultiPolygon,
                     {{"parcel_id", OFTString},
                      {"unit_code", OFTString},
                      {"unit_name", OFTString},
                      {"area_m2", OFTReal},
                      {"last_run", OFTInteger64}}};
const Table kParcelClasses{"parcel_classes",
                           wkbNone,
                           {{"run_id", OFTInteger64},
                            {"parcel_id", OFTString},
                            {"date", OFTString},
                            {"class_code", OFTInteger},
                            {"class_name", OFTString},
                            {"gbt21010", OFTString},
                            {"area_m2", OFTReal},
                            {"share", OFTReal}}};
const Table kPatches{"patches",
                     wkbMultiPolygon,
                     {{"patch_id", OFTString},
                      {"category", OFTString},
                      {"status", OFTString},
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
const Table kHistory{"patch_history",
                     wkbNone,
                     {{"patch_id", OFTString},
                      {"run_id", OFTInteger64},
                      {"date", OFTString},
                      {"event", OFTString},
                      {"area_m2", OFTReal},
                      {"by_user", OFTString},
                      {"at_utc", OFTString},
                      {"note", OFTString}}};
const Table kPatchParcels{"patch_parcels",
                          wkbNone,
                          {{"patch_id", OFTString},
                           {"run_id", OFTInteger64},
                           {"parcel_id", OFTString},
                           {"area_m2", OFTReal}}};
const Table* const kTables[] = {&kRuns,    &kParcels, &kParcelClasses,
                                &kPatches, &kHistory, &kPatchParcels};

std::string quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

/// A (multi)polygon WKB as a MultiPolygon, the type every geometry column holds.
GeometryPtr as_multipolygon(const std::vector<std::uint8_t>& wkb) {
  GeometryPtr g = from_wkb(wkb);
  if (wkbFlatten(g->getGeometryType()) == wkbMultiPolygon) return g;
  return GeometryPtr(OGRGeometryFactory::forceToMultiPolygon(g.release()));
}

std::vector<std::uint8_t> wkb_of(const OGRFeature& f) {
  const OGRGeometry* g = f.GetGeometryRef();
  return g ? to_wkb(*g) : std::vector<std::uint8_t>{};
}

std::string str(const OGRFeature& f, const char* field) {
  const int i = f.GetFieldIndex(field);
  return i >= 0 && f.IsFieldSetAndNotNull(i) ? f.GetFieldAsString(i) : "";
}
double num(const OGRFeature& f, const char* field) {
  const int i = f.GetFieldIndex(field);
  return i >= 0 && f.IsFieldSetAndNotNull(i) ? f.GetFieldAsDouble(i) : 0.0;
}
std::int64_t int64(const OGRFeature& f, const char* field) {
  const int i = f.GetFieldIndex(field);
  return i >= 0 && f.IsFieldSetAndNotNull(i) ? f.GetFieldAsInteger64(i) : 0;
}

StoredPatch stored_patch(const OGRFeature& f) {
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

}  // namespace

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

  void insert(OGRLayer& l, OGRFeature& f, const char* table) const {
    CPLErrorReset();
    if (l.CreateFeature(&f) != OGRERR_NONE) fail(std::string("cannot write to ") + table);
  }
  void update(OGRLayer& l, OGRFeature& f, const char* table) const {
    CPLErrorReset();
    if (l.SetFeature(&f) != OGRERR_NONE) fail(std::string("cannot update ") + table);
  }

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

MonitoringDb::MonitoringDb() : impl_(std::make_unique<Impl>()) {}
MonitoringDb::~MonitoringDb() = default;
MonitoringDb::MonitoringDb(MonitoringDb&&) noexcept = default;
MonitoringDb& MonitoringDb::operator=(MonitoringDb&&) noexcept = default;
const std::string& MonitoringDb::target() const { return impl_->target; }

MonitoringDb MonitoringDb::open(const std::string& target, bool create) {
  MonitoringDb db;
  Impl& im = *db.impl_;
  im.target = target;
  const bool postgres = target.rfind("PG:", 0) == 0;
  CPLErrorReset();
  if (!postgres && !std::filesystem::exists(target)) {
    if (!create)
      throw InputError(im.where() + " does not exist (a pipeline run creates it; give --db)");
    if (const auto dir = std::filesystem::path(target).parent_path(); !dir.empty())
      std::filesystem::create_directories(dir);
    GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GPKG");
    im.ds.reset(drv->Create(target.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    if (!im.ds) im.fail("cannot create it");
  } else {
    const char* drivers[] = {postgres ? "PostgreSQL" : "GPKG", nullptr};
    im.ds.reset(GDALDataset::Open(target.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, drivers, nullptr,
                                  nullptr));
    if (!im.ds)
      throw InputError(
          "cannot open " + im.where() + ": " +
          (gdal_last_error().empty() ? std::string("not a GeoPackage") : gdal_last_error()));
  }
  if (create) {
    im.create_tables();
  } else {
    for (const Table* t : kTables) im.layer(*t);
  }
  return db;
}

void MonitoringDb::match_patches(std::vector<Patch>& patches, const std::string& prefix) const {
  OGRLayer& l = impl_->layer(kPatches);
  l.SetAttributeFilter(nullptr);
  // Overlaps with stored patches, measured here (GDAL); which is which is decided in core.
  std::vector<PatchOverlap> overlaps;
  std::vector<std::pair<std::string, std::string>> stored;  // (id, status) per stored index
  std::map<GIntBig, std::size_t> index_of_fid;
  for (std::size_t i = 0; i < patches.size(); ++i) {
    const auto g = from_wkb(patches[i].wkb_lonlat);
    l.SetSpatialFilter(g.get());
    l.ResetReading();
    while (OGRFeatureUniquePtr f{l.GetNextFeature()}) {
      const OGRGeometry* sg = f->GetGeometryRef();
      if (!sg) continue;
      std::unique_ptr<OGRGeometry> cut(g->Intersection(sg));
      const auto area = [](const OGRGeometry* x) {
        return x ? OGR_G_Area(OGRGeometry::ToHandle(const_cast<OGRGeometry*>(x))) : 0.0;
      };
      const double smaller = std::min(area(g.get()), area(sg));
      const double share = smaller > 0 ? area(cut.get()) / smaller : 0;
      if (share < kSamePatchShare) continue;
      auto [it, added] = index_of_fid.emplace(f->GetFID(), stored.size());
      if (added) stored.emplace_back(str(*f, "patch_id"), str(*f, "status"));
      overlaps.push_back({i, it->second, share});
    }
  }
  l.SetSpatialFilter(nullptr);
  // Stored indices follow the FIDs' order, so ties break as before (lower FID first).
  std::vector<std::size_t> rank(stored.size());
  {
    std::size_t r = 0;
    for (const auto& [fid, idx] : index_of_fid) rank[idx] = r++;
    for (auto& o : overlaps) o.stored = rank[o.stored];
    std::vector<std::pair<std::string, std::string>> by_rank(stored.size());
    for (std::size_t k = 0; k < stored.size(); ++k) by_rank[rank[k]] = stored[k];
    stored = std::move(by_rank);
  }
  const auto match = farmwatch::match_patches(patches.size(), std::move(overlaps));
  for (std::size_t i = 0; i < patches.size(); ++i) {
    if (match[i] < 0) continue;
    const auto& [id, status] = stored[static_cast<std::size_t>(match[i])];
    patches[i].id = id;
    patches[i].status = status_when_found_again(status);
  }
  // New ids continue after the highest number used with this prefix.
  int next = 1;
  for (const auto& f : impl_->select(kPatches, "patch_id LIKE " + quoted(prefix + "-%"))) {
    const std::string id = str(*f, "patch_id");
    try {
      next = std::max(next, std::stoi(id.substr(prefix.size() + 1)) + 1);
    } catch (const std::exception&) {
    }
  }
  for (std::size_t i = 0; i < patches.size(); ++i) {
    if (match[i] >= 0) continue;
    patches[i].id = patch_id(prefix, next++);
    patches[i].status = "new";
  }
}

std::int64_t MonitoringDb::write_run(const RunWrite& w) {
  Impl& im = *impl_;
  std::int64_t run_id = 0;
  im.transaction([&] {
    OGRLayer& runs = im.layer(kRuns);
    OGRFeature run(runs.GetLayerDefn());
    const RunRecord& r = w.run;
    run.SetField("started_utc", r.started_utc.c_str());
    run.SetField("finished_utc", utc_timestamp().c_str());
    run.SetField("pipeline", r.pipeline.c_str());
    run.SetField("farmwatch_version", r.farmwatch_version.c_str());
    run.SetField("out_dir", r.out_dir.c_str());
    run.SetField("date_before", r.date_before.c_str());
    run.SetField("date_after", r.date_after.c_str());
    run.SetField("sensor_before", r.sensor_before.c_str());
    run.SetField("sensor_after", r.sensor_after.c_str());
    run.SetField("image_before", r.image_before.c_str());
    run.SetField("image_after", r.image_after.c_str());
    im.insert(runs, run, kRuns.name);
    run_id = run.GetFID();

    // Parcels: inserted or brought up to date by parcel id.
    OGRLayer& parcels = im.layer(kParcels);
    std::map<std::string, GIntBig> parcel_fid;
    for (const auto& f : im.select(kParcels, "")) parcel_fid[str(*f, "parcel_id")] = f->GetFID();
    for (const auto& p : w.parcels) {
      OGRFeature f(parcels.GetLayerDefn());
      if (auto it = parcel_fid.find(p.id); it != parcel_fid.end()) f.SetFID(it->second);
      f.SetField("parcel_id", p.id.c_str());
      f.SetField("unit_code", p.unit_code.c_str());
      f.SetField("unit_name", p.unit_name.c_str());
      f.SetField("area_m2", p.area_m2);
      f.SetField("last_run", static_cast<GIntBig>(run_id));
      f.SetGeometryDirectly(as_multipolygon(p.wkb_lonlat).release());
      if (f.GetFID() == OGRNullFID)
        im.insert(parcels, f, kParcels.name);
      else
        im.update(parcels, f, kParcels.name);
    }
    OGRLayer& classes = im.layer(kParcelClasses);
    for (const auto& c : w.parcel_classes) {
      OGRFeature f(classes.GetLayerDefn());
      f.SetField("run_id", static_cast<GIntBig>(run_id));
      f.SetField("parcel_id", c.parcel_id.c_str());
      f.SetField("date", c.date.c_str());
      f.SetField("class_code", c.code);
      f.SetField("class_name", c.class_name.c_str());
      f.SetField("gbt21010", c.gbt_code.c_str());
      f.SetField("area_m2", c.area_m2);
      f.SetField("share", c.share);
      im.insert(classes, f, kParcelClasses.name);
    }

    if (!w.patches) return;
    OGRLayer& patches = im.layer(kPatches);
    OGRLayer& history = im.layer(kHistory);
    OGRLayer& overlaps = im.layer(kPatchParcels);
    // The stored patches by id, read once: a patch found again is updated in place.
    std::map<std::string, OGRFeatureUniquePtr> stored;
    for (auto& f : im.select(kPatches, "")) {
      const std::string id = str(*f, "patch_id");
      stored.emplace(id, std::move(f));
    }
    for (const Patch& p : *w.patches) {
      const auto it = stored.find(p.id);
      const bool existing = it != stored.end();
      OGRFeature f(patches.GetLayerDefn());
      if (existing) {
        f.SetFrom(it->second.get());
        f.SetFID(it->second->GetFID());
      } else {
        f.SetField("first_seen", r.date_after.c_str());
        f.SetField("first_run", static_cast<GIntBig>(run_id));
      }
      const auto name = [&](std::uint8_t code) {
        const LandClass* c = w.classes ? w.classes->find(code) : nullptr;
        return c ? c->name : std::string();
      };
      std::string parcel_ids;
      for (const auto& id : p.parcel_ids) parcel_ids += (parcel_ids.empty() ? "" : ";") + id;
      f.SetField("patch_id", p.id.c_str());
      f.SetField("category", category_key(p.category));
      f.SetField("status", p.status.c_str());
      f.SetField("class_before", name(p.class_before).c_str());
      f.SetField("class_after", name(p.class_after).c_str());
      f.SetField("last_seen", r.date_after.c_str());
      f.SetField("last_run", static_cast<GIntBig>(run_id));
      f.SetField("area_m2", p.area_m2);
      f.SetField("confidence", p.confidence);
      f.SetField("unit_code", p.unit_code.c_str());
      f.SetField("unit_name", p.unit_name.c_str());
      f.SetField("parcel_ids", parcel_ids.c_str());
      f.SetField("exempt_by", p.exempt_by.c_str());
      f.SetGeometryDirectly(as_multipolygon(p.wkb_lonlat).release());
      if (!existing)
        im.insert(patches, f, kPatches.name);
      else
        im.update(patches, f, kPatches.name);

      OGRFeature h(history.GetLayerDefn());
      h.SetField("patch_id", p.id.c_str());
      h.SetField("run_id", static_cast<GIntBig>(run_id));
      h.SetField("date", r.date_after.c_str());
      h.SetField("event", existing ? "persisting" : "detected");
      h.SetField("area_m2", p.area_m2);
      h.SetField("at_utc", utc_timestamp().c_str());
      im.insert(history, h, kHistory.name);
      for (const auto& [parcel, area] : p.parcel_areas) {
        OGRFeature o(overlaps.GetLayerDefn());
        o.SetField("patch_id", p.id.c_str());
        o.SetField("run_id", static_cast<GIntBig>(run_id));
        o.SetField("parcel_id", parcel.c_str());
        o.SetField("area_m2", area);
        im.insert(overlaps, o, kPatchParcels.name);
      }
    }
    if (w.before_commit) w.before_commit();
  });
  return run_id;
}

std::vector<RunRecord> MonitoringDb::runs() const {
  std::vector<RunRecord> out;
  for (const auto& f : impl_->select(kRuns, "")) {
    RunRecord r;
    r.id = f->GetFID();
    r.started_utc = str(*f, "started_utc");
    r.finished_utc = str(*f, "finished_utc");
    r.pipeline = str(*f, "pipeline");
    r.farmwatch_version = str(*f, "farmwatch_version");
    r.out_dir = str(*f, "out_dir");
    r.date_before = str(*f, "date_before");
    r.date_after = str(*f, "date_after");
    r.sensor_before = str(*f, "sensor_before");
    r.sensor_after = str(*f, "sensor_after");
    r.image_before = str(*f, "image_before");
    r.image_after = str(*f, "image_after");
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<StoredPatch> MonitoringDb::patches(const PatchQuery& q) const {
  std::string filter;
  auto add = [&](const std::string& cond) { filter += (filter.empty() ? "" : " AND ") + cond; };
  if (!q.unit.empty())
    add("(unit_name = " + quoted(q.unit) + " OR unit_code = " + quoted(q.unit) + ")");
  if (!q.since.empty()) add("last_seen >= " + quoted(q.since));
  if (!q.category.empty()) add("category = " + quoted(q.category));
  if (!q.status.empty()) add("status = " + quoted(q.status));
  std::vector<StoredPatch> out;
  for (const auto& f : impl_->select(kPatches, filter)) out.push_back(stored_patch(*f));
  std::sort(out.begin(), out.end(),
            [](const StoredPatch& a, const StoredPatch& b) { return a.id < b.id; });
  return out;
}

std::optional<StoredPatch> MonitoringDb::patch(const std::string& id) const {
  auto f = impl_->select(kPatches, "patch_id = " + quoted(id));
  if (f.empty()) return std::nullopt;
  return stored_patch(*f.front());
}

std::vector<PatchEvent> MonitoringDb::patch_history(const std::string& id) const {
  std::vector<PatchEvent> out;
  for (const auto& f : impl_->select(kHistory, "patch_id = " + quoted(id)))
    out.push_back({str(*f, "patch_id"), int64(*f, "run_id"), str(*f, "date"), str(*f, "event"),
                   str(*f, "by_user"), str(*f, "at_utc"), str(*f, "note"), num(*f, "area_m2")});
  return out;
}

std::optional<ParcelRecord> MonitoringDb::parcel(const std::string& id) const {
  auto f = impl_->select(kParcels, "parcel_id = " + quoted(id));
  if (f.empty()) return std::nullopt;
  return ParcelRecord{str(*f.front(), "parcel_id"), str(*f.front(), "unit_code"),
                      str(*f.front(), "unit_name"), num(*f.front(), "area_m2"), wkb_of(*f.front())};
}

std::vector<ParcelClassRecord> MonitoringDb::parcel_classes(const std::string& parcel_id) const {
  std::vector<ParcelClassRecord> out;
  for (const auto& f : impl_->select(kParcelClasses, "parcel_id = " + quoted(parcel_id))) {
    ParcelClassRecord c;
    c.run_id = int64(*f, "run_id");
    c.parcel_id = parcel_id;
    c.date = str(*f, "date");
    c.code = static_cast<int>(int64(*f, "class_code"));
    c.class_name = str(*f, "class_name");
    c.gbt_code = str(*f, "gbt21010");
    c.area_m2 = num(*f, "area_m2");
    c.share = num(*f, "share");
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<PatchParcelRecord> MonitoringDb::patch_parcels(const std::string& parcel_id) const {
  std::vector<PatchParcelRecord> out;
  for (const auto& f : impl_->select(kPatchParcels, "parcel_id = " + quoted(parcel_id)))
    out.push_back({str(*f, "patch_id"), parcel_id, int64(*f, "run_id"), num(*f, "area_m2")});
  return out;
}

void MonitoringDb::set_status(const std::string& patch_id, const std::string& status,
                              const std::string& note, const std::string& who) {
  if (status != "verified" && status != "dismissed")
    throw InputError("patch status '" + status + "': an analyst sets verified or dismissed");
  Impl& im = *impl_;
  im.transaction([&] {
    auto found = im.select(kPatches, "patch_id = " + quoted(patch_id));
    if (found.empty()) throw InputError(im.where() + " has no patch '" + patch_id + "'");
    OGRFeature& f = *found.front();
    const std::string at = utc_timestamp();
    f.SetField("status", status.c_str());
    f.SetField("status_by", who.c_str());
    f.SetField("status_at", at.c_str());
    f.SetField("status_note", note.c_str());
    im.update(im.layer(kPatches), f, kPatches.name);
    OGRLayer& history = im.layer(kHistory);
    OGRFeature h(history.GetLayerDefn());
    h.SetField("patch_id", patch_id.c_str());
    h.SetField("run_id", static_cast<GIntBig>(0));
    h.SetField("date", at.substr(0, 10).c_str());
    h.SetField("event", status.c_str());
    h.SetField("area_m2", num(f, "area_m2"));
    h.SetField("by_user", who.c_str());
    h.SetField("at_utc", at.c_str());
    h.SetField("note", note.c_str());
    im.insert(history, h, kHistory.name);
  });
}

}  // namespace farmwatch::io
