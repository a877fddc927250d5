// The analyst's commands on the monitoring database: patches (list and filter), patch (one
// patch's history; record a field decision), parcel (a parcel's history and image chips).
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "farmwatch/core/change_rules.h"
#include "farmwatch/io/csv_writer.h"
#include "farmwatch/io/spatial_ref.h"
#include "farmwatch/io/stored_patches.h"
#include "farmwatch/pipeline/steps/monitor.h"
#include "step_options.h"

namespace farmwatch::cli {

namespace {

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

std::string category_text(const std::string& key) {
  for (auto c :
       {ChangeCategory::non_agricultural, ChangeCategory::non_grain, ChangeCategory::other})
    if (key == category_key(c)) return category_label(c);
  return key;
}

}  // namespace

int cmd_patches(const std::vector<std::string>& args) {
  CommonOptions common;
  const auto p = parse_step<pipeline::PatchesParams>(
      {"patches", "patches [--unit U] [--since DATE] [--category C] [--status S]",
       "Lists the change patches in the monitoring database."},
      args, common);
  if (!p) return 0;
  const auto found = pipeline::list_patches(*p);
  if (p->format == "geojson") {
    std::cout << io::stored_patch_geojson(found).dump() << "\n";
    return 0;
  }
  const io::CsvTable table = io::stored_patch_table(found);
  if (p->format == "csv") {
    std::cout << table.text(/*bom=*/false);
    return 0;
  }
  std::vector<std::vector<std::string>> rows{table.header};
  for (const auto& r : table.rows) rows.push_back(r);
  print_table(rows);
  std::cout << found.size() << " patches\n";
  return 0;
}

int cmd_patch(const std::vector<std::string>& args) {
  CommonOptions common;
  const auto params = parse_step<pipeline::PatchParams>(
      {"patch", "patch <id> [--status verified|dismissed --note TEXT]",
       "Shows one patch and its history; with --status records a field\n"
       "verification (who, when, note) in the monitoring database.",
       {"id"}},
      args, common);
  if (!params) return 0;
  const auto r = pipeline::patch(*params);
  const auto& p = r.patch;
  std::vector<std::vector<std::string>> info{
      {"patch", p.id},
      {"category", category_text(p.category)},
      {"status", p.status + " (" + io::patch_status_label(p.status) + ")"},
      {"classes", p.class_before + " -> " + p.class_after},
      {"area_m2", fixed(p.area_m2, 1)},
      {"first seen", p.first_seen},
      {"last seen", p.last_seen},
      {"unit", p.unit_name + (p.unit_code.empty() ? "" : " (" + p.unit_code + ")")},
      {"parcels", p.parcel_ids},
      {"reasonable", p.exempt_by.empty() ? "no" : "yes: " + p.exempt_by}};
  if (!p.status_by.empty() || !p.status_note.empty())
    info.push_back({"checked", p.status_by + " " + p.status_at + ": " + p.status_note});
  print_table(info);
  std::cout << "\nhistory:\n";
  std::vector<std::vector<std::string>> rows{{"date", "event", "run", "area_m2", "by", "note"}};
  for (const auto& e : r.history)
    rows.push_back({e.date, e.event, e.run_id ? std::to_string(e.run_id) : "", fixed(e.area_m2, 1),
                    e.by, e.note});
  print_table(rows);
  return 0;
}

int cmd_parcel(const std::vector<std::string>& args) {
  CommonOptions common;
  const auto params = parse_step<pipeline::ParcelParams>(
      {"parcel", "parcel <id> [--chips DIR]",
       "A parcel's history: its class shares on every date, the patches on it and\n"
       "their status.",
       {"id"}},
      args, common);
  if (!params) return 0;
  const auto r = pipeline::parcel(*params);
  std::cout << "parcel " << r.parcel.id << "  " << fixed(r.parcel.area_m2, 1) << " m2";
  if (!r.parcel.unit_name.empty()) std::cout << "  " << r.parcel.unit_name;
  std::cout << "\n\nclass shares by date (latest run for each date):\n";
  std::vector<std::vector<std::string>> rows{{"date", "class", "gbt21010", "area_m2", "share"}};
  for (const auto& [date, list] : r.classes_by_date)
    for (const auto& c : list)
      rows.push_back({date, c.class_name, c.gbt_code, fixed(c.area_m2, 1), fixed(c.share, 4)});
  print_table(rows);
  std::cout << "\npatches on it:\n";
  std::vector<std::vector<std::string>> prow{
      {"patch_id", "category", "status", "area_in_parcel_m2", "first_seen", "last_seen"}};
  for (const auto& [p, area] : r.patches)
    prow.push_back({p.id, category_text(p.category), p.status, fixed(area, 1), p.first_seen,
                    p.last_seen});
  print_table(prow);
  for (const auto& c : r.chips) std::cout << c << "\n";
  return 0;
}

}  // namespace farmwatch::cli
