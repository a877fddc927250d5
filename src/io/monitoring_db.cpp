#include "farmwatch/io/monitoring_db.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "farmwatch/core/change_rules.h"
#include "farmwatch/core/error.h"
#include "farmwatch/core/patch_identity.h"
#include "monitoring_db_impl.h"

namespace farmwatch::io {

namespace {
/// Whether the process of a pid written in a file name is still running (this node).
bool pid_alive(const std::string& pid) {
  char* end = nullptr;
  const long p = std::strtol(pid.c_str(), &end, 10);
  if (end == pid.c_str() || p <= 0) return false;  // after the pid: ".gpkg", "-journal"...
  return ::kill(static_cast<pid_t>(p), 0) == 0 || errno == EPERM;
}
}  // namespace

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
  if (s == "reverted") return "已恢复";
  return s;
}

std::string patch_category_label(const std::string& key) {
  const auto cat = parse_category(key);
  return cat ? category_label(*cat) : key;
}

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
  namespace fs = std::filesystem;
  std::error_code ec;
  // An empty file is a creation killed before its first write (nothing in it to lose).
  if (!postgres && create && fs::is_regular_file(target, ec) && fs::file_size(target, ec) == 0)
    fs::remove(target, ec);
  if (!postgres && !fs::exists(target)) {
    if (!create)
      throw InputError(im.where() + " does not exist (a pipeline run creates it; give --db)");
    if (const auto dir = fs::path(target).parent_path(); !dir.empty()) fs::create_directories(dir);
    // Made whole under another name, then linked into place: a run killed while creating it
    // leaves no half-made database behind (the next run would refuse it), only this file,
    // which a later creation on this node removes once its process is gone.
    char host[256] = "";
    ::gethostname(host, sizeof host - 1);
    const std::string stem = fs::path(target).filename().string() + ".creating-" + host + "-";
    for (const auto& e : fs::directory_iterator(fs::absolute(target).parent_path(), ec)) {
      const std::string n = e.path().filename().string();
      if (n.rfind(stem, 0) == 0 && !pid_alive(n.substr(stem.size()))) fs::remove(e.path(), ec);
    }
    const std::string tmp =
        (fs::path(target).parent_path() / (stem + std::to_string(::getpid()) + ".gpkg")).string();
    try {
      MonitoringDb fresh;
      Impl& f = *fresh.impl_;
      f.target = target;
      GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GPKG");
      f.ds.reset(drv->Create(tmp.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
      if (!f.ds) f.fail("cannot create it");
      f.create_tables();
      f.create_indexes();
      f.add_missing_columns();
      f.ds.reset();
    } catch (...) {
      fs::remove(tmp, ec);
      throw;
    }
    // link(2) keeps a database another run created meanwhile; where the file system has no
    // hard links, rename(2) when none is there yet.
    if (::link(tmp.c_str(), target.c_str()) != 0 && errno != EEXIST) {
      const int err = errno;
      if (!fs::exists(target)) fs::rename(tmp, target, ec);
      if (!fs::exists(target)) {
        fs::remove(tmp, ec);
        throw ProcessingError(im.where() + ": cannot create it: " +
                              std::strerror(ec ? ec.value() : err));
      }
    }
    fs::remove(tmp, ec);
  }
  {
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
    im.create_indexes();
  } else {
    for (const Table* t : kRunTables) im.layer(*t);
  }
  im.add_missing_columns();
  return db;
}

MonitoringDb MonitoringDb::open_read_only(const std::string& target) {
  MonitoringDb db;
  Impl& im = *db.impl_;
  im.target = target;
  const bool postgres = target.rfind("PG:", 0) == 0;
  CPLErrorReset();
  if (!postgres && !std::filesystem::exists(target))
    throw InputError(im.where() + " does not exist (a pipeline run creates it; give --db)");
  const char* drivers[] = {postgres ? "PostgreSQL" : "GPKG", nullptr};
  im.ds.reset(GDALDataset::Open(target.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers,
                                nullptr, nullptr));
  if (!im.ds)
    throw InputError(
        "cannot open " + im.where() + ": " +
        (gdal_last_error().empty() ? std::string("not a GeoPackage") : gdal_last_error()));
  for (const Table* t : kRunTables) im.layer(*t);
  return db;
}

void MonitoringDb::match_patches(std::vector<Patch>& patches, const std::string& prefix) const {
  OGRLayer& l = impl_->layer(kPatches);
  l.SetAttributeFilter(nullptr);
  // Overlaps with stored patches, measured here (GDAL); which is which is decided in core.
  struct Found {
    std::size_t patch;
    GIntBig fid;
    double share;
  };
  std::vector<Found> found;
  std::map<GIntBig, std::pair<std::string, std::string>> by_fid;  // (id, status), FID order
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
      by_fid.emplace(f->GetFID(), std::pair{str(*f, "patch_id"), str(*f, "status")});
      found.push_back({i, f->GetFID(), share});
    }
  }
  l.SetSpatialFilter(nullptr);
  // Stored indices follow the FIDs' order, so ties break on the lower FID.
  std::vector<std::pair<std::string, std::string>> stored;
  std::map<GIntBig, std::size_t> index_of_fid;
  for (const auto& [fid, id_status] : by_fid) {
    index_of_fid[fid] = stored.size();
    stored.push_back(id_status);
  }
  std::vector<PatchOverlap> overlaps;
  for (const Found& f : found) overlaps.push_back({f.patch, index_of_fid[f.fid], f.share});
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

std::int64_t MonitoringDb::Impl::insert_run(const RunRecord& r) {
  Impl& im = *this;
  OGRLayer& runs = im.layer(kRuns);
  OGRFeature run(runs.GetLayerDefn());
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
  return run.GetFID();
}

void MonitoringDb::Impl::write_parcels(const RunWrite& w, std::int64_t run_id) {
  Impl& im = *this;
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
}

void MonitoringDb::Impl::write_patches(const RunWrite& w, std::int64_t run_id) {
  Impl& im = *this;
  const RunRecord& r = w.run;
  OGRLayer& patches = im.layer(kPatches);
  OGRLayer& history = im.layer(kHistory);
  OGRLayer& overlaps = im.layer(kPatchParcels);
  // The stored patches this run found again, by id: each is updated in place.
  std::map<std::string, OGRFeatureUniquePtr> stored;
  std::vector<std::string> ids;
  for (const Patch& p : *w.patches) ids.push_back(p.id);
  for (auto& f : im.select_in(kPatches, "patch_id", ids)) {
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
    Impl::set_labels(f);
    f.SetField("class_before", name(p.class_before).c_str());
    f.SetField("class_after", name(p.class_after).c_str());
    f.SetField("last_seen", std::max(existing ? str(f, "last_seen") : std::string(), r.date_after).c_str());
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
}

std::int64_t MonitoringDb::write_run(const RunWrite& w) {
  std::int64_t run_id = 0;
  impl_->transaction([&] {
    run_id = impl_->insert_run(w.run);
    impl_->write_parcels(w, run_id);
    if (w.patches) impl_->write_patches(w, run_id);
    if (w.night) {
      impl_->write_revisits(*w.night, w, run_id);
      impl_->write_night(*w.night, run_id);
    }
    if (w.before_commit) w.before_commit();
  });
  return run_id;
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
    Impl::set_labels(f);
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
