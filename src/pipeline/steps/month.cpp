#include <filesystem>
#include <map>
#include <set>

#include "farmwatch/core/error.h"
#include "farmwatch/io/area_geometry.h"
#include "farmwatch/io/csv_writer.h"
#include "farmwatch/io/spatial_ref.h"
#include "farmwatch/io/stored_patches.h"
#include "farmwatch/pipeline/output_dir.h"
#include "farmwatch/pipeline/steps/monitor.h"
#include "farmwatch/pipeline/steps/nightly.h"

namespace farmwatch::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::vector<std::uint8_t> bytes_of_hex(const std::string& hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

struct UnitMonth {
  std::string code, name;
  int found = 0, persisting = 0, reverted = 0, handled = 0;
  double found_m2 = 0, area_m2 = 0, blind_m2 = 0;
  std::vector<std::uint8_t> blind;
};

}  // namespace

const ParamSet& MonthParams::params() {
  using P = MonthParams;
  static const ParamSet set =
      Params<P>("month")
          .text("month", &P::month, "the month, YYYY-MM", true)
          .text("db", &P::db, "monitoring database (GeoPackage or \"PG:...\"; or $FARMWATCH_DB)")
          .path("out", &P::out, "output folder", true)
          .set();
  return set;
}

/// What a month held: per unit (by name) its counts and blind area, the patches it concerned,
/// the clear scenes, and the area's blind places.
struct MonthFacts {
  std::map<std::string, UnitMonth> units;
  std::vector<io::StoredPatch> patches;
  std::set<std::string> scenes;
  std::vector<std::uint8_t> blind;
};

/// Where the month saw clear (the union of its processed scenes' clear views), and so where it
/// was blind, over the area and per unit.
static void blind_places(const io::MonitoringDb& db, const std::vector<std::uint8_t>& area,
                  const std::string& from, const std::string& to, MonthFacts& m) {
  std::vector<std::vector<std::uint8_t>> clear_parts;
  for (const auto& o : db.observations(from, to)) {
    clear_parts.push_back(o.clear_lonlat);
    m.scenes.insert(o.product_id + " " + o.acquired);
  }
  m.blind = io::difference_lonlat(area, io::union_lonlat(clear_parts));
  for (const auto& u : db.units()) {
    UnitMonth& um = m.units[u.name];
    um.code = u.code;
    um.name = u.name;
    um.area_m2 = io::area_m2_lonlat(io::intersection_lonlat(u.wkb_lonlat, area));
    um.blind = io::intersection_lonlat(u.wkb_lonlat, m.blind);
    um.blind_m2 = io::area_m2_lonlat(um.blind);
  }
}

/// Patches found (first seen), persisting, reverted and handled in the month, per unit.
static void count_patches(const io::MonitoringDb& db, const std::string& from, const std::string& to,
                   MonthFacts& m) {
  auto& units = m.units;
  auto& month_patches = m.patches;
  auto unit_of = [&](const std::string& name, const std::string& code) -> UnitMonth& {
    UnitMonth& u = units[name.empty() ? "(none)" : name];
    if (u.name.empty()) {
      u.name = name.empty() ? "(none)" : name;
      u.code = code;
    }
    return u;
  };
  std::map<std::string, io::StoredPatch> by_id;
  for (auto& sp : db.patches({})) by_id.emplace(sp.id, sp);
  for (const auto& [id, sp] : by_id)
    if (sp.first_seen >= from && sp.first_seen <= to) {
      UnitMonth& u = unit_of(sp.unit_name, sp.unit_code);
      ++u.found;
      u.found_m2 += sp.area_m2;
    }
  std::set<std::pair<std::string, std::string>> counted;  // (patch, event)
  for (const auto& e : db.history_between(from, to)) {
    const auto it = by_id.find(e.patch_id);
    if (it == by_id.end() || !counted.insert({e.patch_id, e.event}).second) continue;
    UnitMonth& u = unit_of(it->second.unit_name, it->second.unit_code);
    if (e.event == "persisting") ++u.persisting;
    else if (e.event == "reverted") ++u.reverted;
    else if (e.event == "verified" || e.event == "dismissed") ++u.handled;
    else continue;
  }
  for (const auto& [id, sp] : by_id)
    if ((sp.first_seen >= from && sp.first_seen <= to) ||
        counted.count({id, "persisting"}) || counted.count({id, "reverted"}) ||
        counted.count({id, "verified"}) || counted.count({id, "dismissed"}))
      month_patches.push_back(sp);

}

json month(const MonthParams& p, const StepEnv& env) {
  const std::string& m = p.month;
  if (m.size() != 7 || m[4] != '-' || !valid_date(m + "-01"))
    throw ParamError("--month: expected YYYY-MM, got '" + m + "'");
  const std::string from = m + "-01", to = m + "-31";
  io::MonitoringDb db = open_monitoring_db(p.db);
  const std::string area_hex = db.meta("area_lonlat_wkb_hex");
  if (area_hex.empty())
    throw InputError("monitoring database '" + db.target() +
                     "': no nightly area recorded in it (farmwatch month reads what "
                     "farmwatch nightly writes)");
  const auto area = bytes_of_hex(area_hex);

  MonthFacts facts;
  blind_places(db, area, from, to, facts);
  count_patches(db, from, to, facts);
  const auto& units = facts.units;
  const auto& month_patches = facts.patches;
  const auto& scenes = facts.scenes;
  const auto& blind = facts.blind;
  fs::create_directories(p.out);
  io::CsvTable t;
  t.header = {"unit_code", "unit_name", "found", "found_area_m2", "persisting", "reverted",
              "handled", "area_m2", "blind_area_m2", "blind_share"};
  json js_units = json::array();
  json blind_fc = {{"type", "FeatureCollection"}, {"features", json::array()}};
  double blind_total = 0;
  for (const auto& [name, u] : units) {
    const double share = u.area_m2 > 0 ? u.blind_m2 / u.area_m2 : 0;
    blind_total += u.blind_m2;
    t.rows.push_back({u.code, u.name, std::to_string(u.found), io::csv_number(u.found_m2, 1),
                      std::to_string(u.persisting), std::to_string(u.reverted),
                      std::to_string(u.handled), io::csv_number(u.area_m2, 1),
                      io::csv_number(u.blind_m2, 1), io::csv_number(share, 4)});
    js_units.push_back({{"unit_code", u.code},
                        {"unit_name", u.name},
                        {"found", u.found},
                        {"found_area_m2", std::round(u.found_m2 * 10) / 10},
                        {"persisting", u.persisting},
                        {"reverted", u.reverted},
                        {"handled", u.handled},
                        {"area_m2", std::round(u.area_m2 * 10) / 10},
                        {"blind_area_m2", std::round(u.blind_m2 * 10) / 10},
                        {"blind_share", std::round(share * 1e4) / 1e4}});
    if (!u.blind.empty())
      blind_fc["features"].push_back(
          {{"type", "Feature"},
           {"properties",
            {{"unit_code", u.code}, {"unit_name", u.name}, {"blind_area_m2", u.blind_m2}}},
           {"geometry", json::parse(io::wkb_to_geojson(u.blind))}});
  }
  if (units.empty() && !blind.empty())
    blind_fc["features"].push_back(
        {{"type", "Feature"},
         {"properties", {{"unit_code", ""}, {"unit_name", ""}, {"blind_area_m2", io::area_m2_lonlat(blind)}}},
         {"geometry", json::parse(io::wkb_to_geojson(blind))}});
  if (units.empty()) blind_total = io::area_m2_lonlat(blind);
  const fs::path out = p.out;
  write_file_atomically(out / ("units_" + m + ".csv"), t.text());
  write_file_atomically(out / ("patches_" + m + ".csv"),
                        io::stored_patch_table(month_patches).text());
  const fs::path gpkg = out / ("blind_" + m + ".gpkg");
  std::error_code ec;
  fs::remove(gpkg, ec);
  if (!blind_fc["features"].empty()) io::write_geojson_gpkg(blind_fc, gpkg.string(), "blind",
                           {{"unit_code", false}, {"unit_name", false}, {"blind_area_m2", true}});
  const double area_m2 = io::area_m2_lonlat(area);
  json summary = {{"month", m},
                  {"database", db.target()},
                  {"clear_scenes", std::vector<std::string>(scenes.begin(), scenes.end())},
                  {"area_m2", std::round(area_m2 * 10) / 10},
                  {"blind_area_m2", std::round(blind_total * 10) / 10},
                  {"blind_share", area_m2 > 0 ? std::round(blind_total / area_m2 * 1e4) / 1e4 : 0},
                  {"units", js_units},
                  {"patches", month_patches.size()}};
  write_file_atomically(out / ("month_" + m + ".json"), summary.dump(2) + "\n");
  env.log.info("month " + m + ": " + std::to_string(scenes.size()) + " clear scene(s), " +
               std::to_string(month_patches.size()) + " patch(es)");
  return summary;
}

}  // namespace farmwatch::pipeline
