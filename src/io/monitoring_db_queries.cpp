// The monitoring database's reads: runs, patches and their history, parcels and their classes.
#include <algorithm>

#include "monitoring_db_impl.h"

namespace farmwatch::io {

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

std::vector<ParcelRecord> MonitoringDb::parcels() const {
  std::vector<ParcelRecord> out;
  for (const auto& f : impl_->select(kParcels, ""))
    out.push_back({str(*f, "parcel_id"), str(*f, "unit_code"), str(*f, "unit_name"),
                   num(*f, "area_m2"), wkb_of(*f)});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
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

}  // namespace farmwatch::io
