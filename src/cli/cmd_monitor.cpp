// The analyst's commands on the monitoring database: patches (list and filter), patch (one
// patch's history; record a field decision), parcel (a parcel's history and image chips).
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "farmwatch/core/change_rules.h"
#include "farmwatch/core/error.h"
#include "farmwatch/io/chips.h"
#include "farmwatch/io/monitoring_db.h"
#include "farmwatch/io/spatial_ref.h"
#include "options.h"

namespace farmwatch::cli {
namespace po = boost::program_options;

namespace {

void add_db_option(po::options_description& desc, std::string& db) {
  desc.add_options()("db", po::value<std::string>(&db),
                     "monitoring database: a GeoPackage or \"PG:dbname=...\" "
                     "(default: $FARMWATCH_DB)");
}

io::MonitoringDb open_db(std::string db) {
  if (db.empty())
    if (const char* env = std::getenv("FARMWATCH_DB")) db = env;
  if (db.empty())
    throw UsageError("no monitoring database: give --db FILE.gpkg or set FARMWATCH_DB");
  return io::MonitoringDb::open(db, /*create=*/false);
}

/// Columns a terminal gives a UTF-8 string: CJK characters take two.
std::size_t display_width(const std::string& s) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    w += len >= 3 ? 2 : 1;
    i += len;
  }
  return w;
}

/// Prints rows as aligned columns, the first row as the header.
void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& r : rows)
    for (std::size_t k = 0; k < r.size(); ++k) {
      if (width.size() <= k) width.push_back(0);
      width[k] = std::max(width[k], display_width(r[k]));
    }
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t k = 0; k < r.size(); ++k) {
      line += r[k];
      if (k + 1 < r.size()) line += std::string(width[k] - display_width(r[k]) + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

/// Category key from a key or its Chinese label (非农化, 非粮化, 其他变化).
std::string category_from_user(const std::string& s) {
  if (s.empty()) return s;
  for (auto c :
       {ChangeCategory::non_agricultural, ChangeCategory::non_grain, ChangeCategory::other})
    if (s == category_key(c) || s == category_label(c)) return category_key(c);
  throw UsageError("--category: '" + s +
                   "' is not 非农化, 非粮化, 其他变化 (non_agricultural, non_grain, other_change)");
}

std::string category_text(const std::string& key) {
  for (auto c :
       {ChangeCategory::non_agricultural, ChangeCategory::non_grain, ChangeCategory::other})
    if (key == category_key(c)) return category_label(c);
  return key;
}

const std::vector<std::string> kPatchColumns = {
    "patch_id",   "category",  "status", "class_before", "class_after", "area_m2",
    "first_seen", "last_seen", "unit",   "parcels",      "reasonable",  "confidence"};

std::vector<std::string> patch_row(const io::StoredPatch& p) {
  return {p.id,          category_text(p.category),
          p.status,      p.class_before,
          p.class_after, fixed(p.area_m2, 1),
          p.first_seen,  p.last_seen,
          p.unit_name,   p.parcel_ids,
          p.exempt_by,   fixed(p.confidence, 2)};
}

}  // namespace

int cmd_patches(const std::vector<std::string>& args) {
  std::string db, unit, since, category, status, format = "table";
  po::options_description desc;
  add_db_option(desc, db);
  desc.add_options()("unit", po::value<std::string>(&unit), "administrative unit (name or code)")(
      "since", po::value<std::string>(&since), "patches seen on or after this date (YYYY-MM-DD)")(
      "category", po::value<std::string>(&category), "非农化, 非粮化 or 其他变化")(
      "status", po::value<std::string>(&status), "new, persisting, verified or dismissed")(
      "format", po::value<std::string>(&format), "table (default), csv or geojson");
  CommonOptions common;
  po::variables_map vm;
  if (!parse_command("patches [--unit U] [--since DATE] [--category C] [--status S]",
                     "Lists the change patches in the monitoring database.", desc, {}, args, common,
                     vm))
    return 0;
  if (!status.empty() && !io::valid_patch_status(status))
    throw UsageError("--status: '" + status + "' is not new, persisting, verified or dismissed");
  if (format != "table" && format != "csv" && format != "geojson")
    throw UsageError("--format: '" + format + "' is not table, csv or geojson");
  const auto database = open_db(db);
  const auto found = database.patches({unit, since, category_from_user(category), status});
  if (format == "geojson") {
    nlohmann::json fc = {{"type", "FeatureCollection"}, {"features", nlohmann::json::array()}};
    for (const auto& p : found) {
      nlohmann::json props;
      const auto row = patch_row(p);
      for (std::size_t k = 0; k < kPatchColumns.size(); ++k) props[kPatchColumns[k]] = row[k];
      props["area_m2"] = p.area_m2;
      props["confidence"] = p.confidence;
      fc["features"].push_back(
          {{"type", "Feature"},
           {"properties", props},
           {"geometry", nlohmann::json::parse(io::wkb_to_geojson(p.wkb_lonlat))}});
    }
    std::cout << fc.dump() << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows{kPatchColumns};
  for (const auto& p : found) rows.push_back(patch_row(p));
  if (format == "csv") {
    for (const auto& r : rows) {
      std::string line;
      for (std::size_t k = 0; k < r.size(); ++k) line += (k ? "," : "") + csv_cell(r[k]);
      std::cout << line << "\r\n";
    }
    return 0;
  }
  print_table(rows);
  std::cout << found.size() << " patches\n";
  return 0;
}

int cmd_patch(const std::vector<std::string>& args) {
  std::string db, id, status, note, who;
  po::options_description desc;
  add_db_option(desc, db);
  desc.add_options()("id", po::value<std::string>(&id)->required(), "patch id")(
      "status", po::value<std::string>(&status), "record a field decision: verified | dismissed")(
      "note", po::value<std::string>(&note), "what the field check found")(
      "by", po::value<std::string>(&who), "who checked (default: $USER)");
  po::positional_options_description pos;
  pos.add("id", 1);
  CommonOptions common;
  po::variables_map vm;
  if (!parse_command("patch <id> [--status verified|dismissed --note TEXT]",
                     "Shows one patch and its history; with --status records a field\n"
                     "verification (who, when, note) in the monitoring database.",
                     desc, pos, args, common, vm))
    return 0;
  auto database = open_db(db);
  if (!status.empty()) {
    if (status != "verified" && status != "dismissed")
      throw UsageError("--status: an analyst sets verified or dismissed, not '" + status + "'");
    if (who.empty())
      if (const char* u = std::getenv("USER")) who = u;
    if (!database.patch(id))
      throw InputError("monitoring database '" + database.target() + "' has no patch '" + id + "'");
    database.set_status(id, status, note, who);
  } else if (vm.count("note")) {
    throw UsageError("--note goes with --status");
  }
  const auto p = database.patch(id);
  if (!p)
    throw InputError("monitoring database '" + database.target() + "' has no patch '" + id + "'");
  std::vector<std::vector<std::string>> info{
      {"patch", p->id},
      {"category", category_text(p->category)},
      {"status", p->status + " (" + io::patch_status_label(p->status) + ")"},
      {"classes", p->class_before + " -> " + p->class_after},
      {"area_m2", fixed(p->area_m2, 1)},
      {"first seen", p->first_seen},
      {"last seen", p->last_seen},
      {"unit", p->unit_name + (p->unit_code.empty() ? "" : " (" + p->unit_code + ")")},
      {"parcels", p->parcel_ids},
      {"reasonable", p->exempt_by.empty() ? "no" : "yes: " + p->exempt_by}};
  if (!p->status_by.empty() || !p->status_note.empty())
    info.push_back({"checked", p->status_by + " " + p->status_at + ": " + p->status_note});
  print_table(info);
  std::cout << "\nhistory:\n";
  std::vector<std::vector<std::string>> rows{{"date", "event", "run", "area_m2", "by", "note"}};
  for (const auto& e : database.patch_history(id))
    rows.push_back({e.date, e.event, e.run_id ? std::to_string(e.run_id) : "", fixed(e.area_m2, 1),
                    e.by, e.note});
  print_table(rows);
  return 0;
}

int cmd_parcel(const std::vector<std::string>& args) {
  std::string db, id, chips;
  po::options_description desc;
  add_db_option(desc, db);
  desc.add_options()("id", po::value<std::string>(&id)->required(), "parcel id")(
      "chips", po::value<std::string>(&chips),
      "write before/after image chips of the latest run into this folder");
  po::positional_options_description pos;
  pos.add("id", 1);
  CommonOptions common;
  po::variables_map vm;
  if (!parse_command("parcel <id> [--chips DIR]",
                     "A parcel's history: its class shares on every date, the patches on it and\n"
                     "their status.",
                     desc, pos, args, common, vm))
    return 0;
  const auto database = open_db(db);
  const auto parcel = database.parcel(id);
  if (!parcel)
    throw InputError("monitoring database '" + database.target() + "' has no parcel '" + id + "'");
  std::cout << "parcel " << parcel->id << "  " << fixed(parcel->area_m2, 1) << " m2";
  if (!parcel->unit_name.empty()) std::cout << "  " << parcel->unit_name;
  std::cout << "\n\nclass shares by date (latest run for each date):\n";
  // date -> (run, rows); a date measured by several runs shows the latest.
  std::map<std::string, std::pair<std::int64_t, std::vector<io::ParcelClassRecord>>> by_date;
  for (const auto& c : database.parcel_classes(id)) {
    auto& [run, list] = by_date[c.date];
    if (c.run_id > run) {
      run = c.run_id;
      list.clear();
    }
    if (c.run_id == run) list.push_back(c);
  }
  std::vector<std::vector<std::string>> rows{{"date", "class", "gbt21010", "area_m2", "share"}};
  for (const auto& [date, entry] : by_date)
    for (const auto& c : entry.second)
      rows.push_back({date, c.class_name, c.gbt_code, fixed(c.area_m2, 1), fixed(c.share, 4)});
  print_table(rows);

  std::cout << "\npatches on it:\n";
  std::map<std::string, double> latest_area;  // patch -> intersected area in its latest run
  std::map<std::string, std::int64_t> latest_run;
  for (const auto& o : database.patch_parcels(id))
    if (o.run_id >= latest_run[o.patch_id]) {
      latest_run[o.patch_id] = o.run_id;
      latest_area[o.patch_id] = o.area_m2;
    }
  std::vector<std::vector<std::string>> prow{
      {"patch_id", "category", "status", "area_in_parcel_m2", "first_seen", "last_seen"}};
  std::vector<io::StoredPatch> on_parcel;
  for (const auto& [pid, area] : latest_area)
    if (const auto p = database.patch(pid)) {
      prow.push_back({p->id, category_text(p->category), p->status, fixed(area, 1), p->first_seen,
                      p->last_seen});
      on_parcel.push_back(*p);
    }
  print_table(prow);

  if (!chips.empty()) {
    const auto runs = database.runs();
    if (runs.empty()) throw InputError("monitoring database has no run to take imagery from");
    std::filesystem::create_directories(chips);
    const auto& run = runs.back();
    for (const auto& [when, image] : {std::pair{run.date_before, run.image_before},
                                      std::pair{run.date_after, run.image_after}}) {
      const std::string out = chips + "/" + id + "_" + when + ".png";
      io::ChipWriter(image).write(parcel->wkb_lonlat, out);
      std::cout << out << "\n";
    }
  }
  return 0;
}

}  // namespace farmwatch::cli
