#include "farmwatch/pipeline/steps/monitor.h"

#include <cstdlib>
#include <filesystem>
#include <regex>

#include "farmwatch/core/calendar.h"
#include "farmwatch/core/change_rules.h"
#include "farmwatch/core/error.h"
#include "farmwatch/io/chips.h"
#include "farmwatch/pipeline/output_dir.h"

namespace farmwatch::pipeline {

namespace {
const char* kDbHelp =
    "monitoring database: a GeoPackage or \"PG:dbname=...\" (default: $FARMWATCH_DB)";

/// Category key from a key or its Chinese label (非农化, 非粮化, 其他变化).
std::string category_key_of(const std::string& s) {
  for (auto c :
       {ChangeCategory::non_agricultural, ChangeCategory::non_grain, ChangeCategory::other})
    if (s == category_key(c) || s == category_label(c)) return category_key(c);
  return s;
}
}  // namespace

io::MonitoringDb open_monitoring_db(const std::string& given) {
  std::string db = given;
  if (db.empty())
    if (const char* env = std::getenv("FARMWATCH_DB")) db = env;
  if (db.empty()) throw ParamError("no monitoring database: give --db FILE.gpkg or set FARMWATCH_DB");
  return io::MonitoringDb::open(db, /*create=*/false);
}

const ParamSet& PatchesParams::params() {
  using P = PatchesParams;
  static const ParamSet set =
      Params<P>("patches")
          .text("db", &P::db, kDbHelp)
          .text("unit", &P::unit, "administrative unit (name or code)")
          .custom("since", "patches last seen on or after this date: YYYY-MM-DD, YYYY-MM or YYYY",
                  {{"type", "string"}, {"pattern", "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"}},
                  [](P& p, const YAML::Node& v, const ParamSource& src) {
                    const std::string t = param_detail::scalar_text(v, "since", src);
                    static const std::regex re(R"(\d{4}(-(0[1-9]|1[0-2])(-\d{2})?)?)");
                    if (!std::regex_match(t, re) || (t.size() == 10 && !valid_date(t)))
                      src.fail("since", "'" + t + "' is not a date written YYYY-MM-DD, YYYY-MM or YYYY");
                    p.since = t;
                  })
          .choice("category", &P::category,
                  {"非农化", "非粮化", "其他变化", "non_agricultural", "non_grain", "other_change"},
                  "change category")
          .choice("status", &P::status, {"new", "persisting", "verified", "dismissed"},
                  "patch status")
          .choice("format", &P::format, {"table", "csv", "geojson"}, "output format")
          .default_value("table")
          .set();
  return set;
}

std::vector<io::StoredPatch> list_patches(const PatchesParams& p) {
  const auto database = open_monitoring_db(p.db);
  return database.patches({p.unit, p.since, category_key_of(p.category), p.status});
}

const ParamSet& PatchParams::params() {
  using P = PatchParams;
  static const ParamSet set =
      Params<P>("patch")
          .text("id", &P::id, "patch id", true)
          .text("db", &P::db, kDbHelp)
          .choice("status", &P::status, {"verified", "dismissed"}, "record a field decision")
          .text("note", &P::note, "what the field check found")
          .text("by", &P::by, "who checked (default: $USER)")
          .set();
  return set;
}

PatchReport patch(const PatchParams& p) {
  auto database = open_monitoring_db(p.db);
  auto no_such = [&] {
    return InputError("monitoring database '" + database.target() + "' has no patch '" + p.id +
                      "'");
  };
  if (!p.status.empty()) {
    std::string who = p.by;
    if (who.empty())
      if (const char* u = std::getenv("USER")) who = u;
    if (!database.patch(p.id)) throw no_such();
    database.set_status(p.id, p.status, p.note, who);
  } else if (!p.note.empty()) {
    throw ParamError("--note goes with --status");
  }
  const auto found = database.patch(p.id);
  if (!found) throw no_such();
  return {*found, database.patch_history(p.id)};
}

const ParamSet& ParcelParams::params() {
  using P = ParcelParams;
  static const ParamSet set =
      Params<P>("parcel")
          .text("id", &P::id, "parcel id", true)
          .text("db", &P::db, kDbHelp)
          .path("chips", &P::chips,
                "write before/after image chips of the latest run into this folder")
          .set();
  return set;
}

ParcelReport parcel(const ParcelParams& p) {
  const auto database = open_monitoring_db(p.db);
  const auto found = database.parcel(p.id);
  if (!found)
    throw InputError("monitoring database '" + database.target() + "' has no parcel '" + p.id +
                     "'");
  ParcelReport r;
  r.parcel = *found;
  // A date measured by several runs shows the latest.
  std::map<std::string, std::int64_t> run_of_date;
  for (const auto& c : database.parcel_classes(p.id)) {
    auto& run = run_of_date[c.date];
    auto& list = r.classes_by_date[c.date];
    if (c.run_id > run) {
      run = c.run_id;
      list.clear();
    }
    if (c.run_id == run) list.push_back(c);
  }
  std::map<std::string, double> latest_area;  // patch -> intersected area in its latest run
  std::map<std::string, std::int64_t> latest_run;
  for (const auto& o : database.patch_parcels(p.id))
    if (o.run_id >= latest_run[o.patch_id]) {
      latest_run[o.patch_id] = o.run_id;
      latest_area[o.patch_id] = o.area_m2;
    }
  for (const auto& [pid, area] : latest_area)
    if (const auto sp = database.patch(pid)) r.patches.emplace_back(*sp, area);

  if (!p.chips.empty()) {
    const auto runs = database.runs();
    if (runs.empty()) throw InputError("monitoring database has no run to take imagery from");
    std::filesystem::create_directories(p.chips);
    const auto& run = runs.back();
    for (const auto& [when, image] : {std::pair{run.date_before, run.image_before},
                                      std::pair{run.date_after, run.image_after}}) {
      StagedFile out(p.chips + "/" + p.id + "_" + when + ".png");
      io::ChipWriter(image).write(r.parcel.wkb_lonlat, out.path().string());
      out.commit();
      r.chips.push_back(p.chips + "/" + p.id + "_" + when + ".png");
    }
  }
  return r;
}

}  // namespace farmwatch::pipeline
