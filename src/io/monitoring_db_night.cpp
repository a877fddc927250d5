// The monitoring database's nightly tables: scenes as delivered, where each gave a clear
// view, the area's units, facts such as the state generation; and stored patches revisited.
#include <map>
#include <set>

#include "farmwatch/core/patch_identity.h"
#include "monitoring_db_impl.h"

namespace farmwatch::io {

namespace {

void set_geometry(OGRFeature& f, const std::vector<std::uint8_t>& wkb) {
  if (!wkb.empty()) f.SetGeometryDirectly(as_multipolygon(wkb).release());
}

SceneRecord scene_record(const OGRFeature& f) {
  SceneRecord s;
  s.product_id = str(f, "product_id");
  s.checksum = str(f, "checksum");
  s.kind = str(f, "kind");
  s.sensor = str(f, "sensor");
  s.acquired = str(f, "acquired");
  s.path = str(f, "path");
  s.status = str(f, "status");
  s.reason = str(f, "reason");
  s.bytes = int64(f, "bytes");
  s.run_id = int64(f, "run_id");
  s.clear_share = num(f, "clear_share");
  s.recorded_utc = str(f, "recorded_utc");
  s.footprint_lonlat = wkb_of(f);
  return s;
}

}  // namespace

void MonitoringDb::Impl::write_night(const NightRecord& n, std::int64_t run_id) {
  Impl& im = *this;
  OGRLayer& scenes = im.layer(kScenes);
  OGRLayer& observations = im.layer(kObservations);
  const std::string now = utc_timestamp();
  for (const SceneRecord& s : n.scenes) {
    const auto found =
        im.select(kScenes, "product_id = " + quoted(s.product_id) + " AND checksum = " +
                               quoted(s.checksum) + " AND path = " + quoted(s.path));
    OGRFeature f(scenes.GetLayerDefn());
    if (!found.empty()) {
      f.SetFrom(found.front().get());
      f.SetFID(found.front()->GetFID());
    }
    f.SetField("product_id", s.product_id.c_str());
    f.SetField("checksum", s.checksum.c_str());
    f.SetField("kind", s.kind.c_str());
    f.SetField("sensor", s.sensor.c_str());
    f.SetField("acquired", s.acquired.c_str());
    f.SetField("path", s.path.c_str());
    f.SetField("status", s.status.c_str());
    f.SetField("reason", s.reason.c_str());
    f.SetField("bytes", static_cast<GIntBig>(s.bytes));
    f.SetField("run_id", static_cast<GIntBig>(s.run_id ? s.run_id
                                                      : s.status == "processed" ? run_id
                                                                                : 0));
    f.SetField("clear_share", s.clear_share);
    f.SetField("recorded_utc", now.c_str());
    set_geometry(f, s.footprint_lonlat);
    if (f.GetFID() == OGRNullFID)
      im.insert(scenes, f, kScenes.name);
    else
      im.update(scenes, f, kScenes.name);
    if (!s.clear_lonlat.empty()) {
      OGRFeature o(observations.GetLayerDefn());
      o.SetField("product_id", s.product_id.c_str());
      o.SetField("checksum", s.checksum.c_str());
      o.SetField("acquired", s.acquired.c_str());
      set_geometry(o, s.clear_lonlat);
      im.insert(observations, o, kObservations.name);
    }
  }
  if (!n.units.empty()) {
    OGRLayer& units = im.layer(kUnits);
    for (const auto& f : im.select(kUnits, ""))
      if (units.DeleteFeature(f->GetFID()) != OGRERR_NONE) im.fail("cannot update units");
    for (const UnitRecord& u : n.units) {
      OGRFeature f(units.GetLayerDefn());
      f.SetField("unit_code", u.code.c_str());
      f.SetField("unit_name", u.name.c_str());
      set_geometry(f, u.wkb_lonlat);
      im.insert(units, f, kUnits.name);
    }
  }
  OGRLayer& meta = im.layer(kMeta);
  for (const auto& [key, value] : n.meta) {
    const auto found = im.select(kMeta, "key = " + quoted(key));
    OGRFeature f(meta.GetLayerDefn());
    if (!found.empty()) f.SetFID(found.front()->GetFID());
    f.SetField("key", key.c_str());
    f.SetField("value", value.c_str());
    if (f.GetFID() == OGRNullFID)
      im.insert(meta, f, kMeta.name);
    else
      im.update(meta, f, kMeta.name);
  }
}

void MonitoringDb::Impl::write_revisits(const NightRecord& n, const RunWrite& w,
                                        std::int64_t run_id) {
  Impl& im = *this;
  OGRLayer& patches = im.layer(kPatches);
  OGRLayer& history = im.layer(kHistory);
  // A patch this run found again was written by write_patches already.
  std::set<std::string> found_now;
  if (w.patches)
    for (const Patch& p : *w.patches) found_now.insert(p.id);
  // Seen again with nothing new to say (still persisting, or verified): only when, in one
  // statement per 500. A status that changes is a line of the patch's history.
  std::map<std::string, std::string> event_of;
  std::vector<std::string> ids, quiet;
  for (const PatchRevisit& r : n.revisits) {
    if (found_now.count(r.patch_id) || !event_of.emplace(r.patch_id, r.event).second) continue;
    if (r.event == "persisting" && !r.status.empty() &&
        status_when_found_again(r.status) == r.status)
      quiet.push_back(r.patch_id);
    else
      ids.push_back(r.patch_id);
  }
  const std::string date = w.run.date_after;
  for (auto& f : im.select_in(kPatches, "patch_id", ids)) {
    const std::string id = str(*f, "patch_id");
    const std::string& event = event_of[id];
    const std::string status = str(*f, "status");
    std::string next = status;
    if (event == "persisting") next = status_when_found_again(status);
    if (event == "reverted" && status != "dismissed") next = "reverted";
    if (next == status) {
      if (str(*f, "last_seen") < date) quiet.push_back(id);
      continue;
    }
    f->SetField("status", next.c_str());
    Impl::set_labels(*f);
    f->SetField("last_seen", std::max(str(*f, "last_seen"), date).c_str());
    f->SetField("last_run", static_cast<GIntBig>(run_id));
    im.update(patches, *f, kPatches.name);
    OGRFeature h(history.GetLayerDefn());
    h.SetField("patch_id", id.c_str());
    h.SetField("run_id", static_cast<GIntBig>(run_id));
    h.SetField("date", date.c_str());
    h.SetField("event", event.c_str());
    h.SetField("area_m2", num(*f, "area_m2"));
    h.SetField("at_utc", utc_timestamp().c_str());
    im.insert(history, h, kHistory.name);
  }
  for (std::size_t i = 0; i < quiet.size(); i += 500) {
    std::string list;
    for (std::size_t k = i; k < std::min(quiet.size(), i + 500); ++k)
      list += (list.empty() ? "" : ",") + quoted(quiet[k]);
    im.execute("UPDATE patches SET last_seen = " + quoted(date) + ", last_run = " +
               std::to_string(run_id) + " WHERE last_seen < " + quoted(date) +
               " AND patch_id IN (" + list + ")");
  }
}

void MonitoringDb::write_night(const NightRecord& n) {
  impl_->transaction([&] { impl_->write_night(n); });
}

std::vector<SceneRecord> MonitoringDb::scenes() const {
  std::vector<SceneRecord> out;
  if (!impl_->has(kScenes)) return out;
  for (const auto& f : impl_->select(kScenes, "")) out.push_back(scene_record(*f));
  return out;
}

std::string MonitoringDb::meta(const std::string& key) const {
  if (!impl_->has(kMeta)) return "";
  const auto found = impl_->select(kMeta, "key = " + quoted(key));
  return found.empty() ? "" : str(*found.front(), "value");
}

std::vector<Observation> MonitoringDb::observations(const std::string& from,
                                                    const std::string& to) const {
  std::vector<Observation> out;
  if (!impl_->has(kObservations)) return out;
  // Only deliveries still standing: a replaced delivery's view was superseded.
  std::set<std::pair<std::string, std::string>> processed;
  for (const auto& s : scenes())
    if (s.status == "processed") processed.insert({s.product_id, s.checksum});
  for (const auto& f : impl_->select(kObservations, "acquired >= " + quoted(from) +
                                                        " AND acquired <= " + quoted(to))) {
    if (!processed.count({str(*f, "product_id"), str(*f, "checksum")})) continue;
    out.push_back({str(*f, "product_id"), str(*f, "acquired"), wkb_of(*f)});
  }
  return out;
}

std::vector<UnitRecord> MonitoringDb::units() const {
  std::vector<UnitRecord> out;
  if (!impl_->has(kUnits)) return out;
  for (const auto& f : impl_->select(kUnits, ""))
    out.push_back({str(*f, "unit_code"), str(*f, "unit_name"), wkb_of(*f)});
  return out;
}

std::vector<PatchEvent> MonitoringDb::history_between(const std::string& from,
                                                      const std::string& to) const {
  std::vector<PatchEvent> out;
  for (const auto& f :
       impl_->select(kHistory, "date >= " + quoted(from) + " AND date <= " + quoted(to)))
    out.push_back({str(*f, "patch_id"), int64(*f, "run_id"), str(*f, "date"), str(*f, "event"),
                   str(*f, "by_user"), str(*f, "at_utc"), str(*f, "note"), num(*f, "area_m2")});
  return out;
}

}  // namespace farmwatch::io
