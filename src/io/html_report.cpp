#include "farmwatch/io/html_report.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "farmwatch/core/error.h"
#include "farmwatch/core/units.h"
#include "farmwatch/io/chips.h"
#include "farmwatch/io/monitoring_db.h"
#include "gdal_handles.h"

namespace farmwatch::io {
namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  return o;
}

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(digits);
  s << v;
  return s.str();
}

const char* category_fill(ChangeCategory c) {
  switch (c) {
    case ChangeCategory::non_agricultural:
      return "#d7191c";
    case ChangeCategory::non_grain:
      return "#fdae61";
    default:
      return "#7b3294";
  }
}

constexpr ChangeCategory kCategories[] = {ChangeCategory::non_agricultural,
                                          ChangeCategory::non_grain, ChangeCategory::other};

/// SVG path data of a (multi)polygon in the analysis CRS, mapped into the map frame.
std::string svg_path(const std::vector<std::uint8_t>& wkb, const Box& frame, double scale) {
  const auto g = from_wkb(wkb);
  std::ostringstream d;
  d.setf(std::ios::fixed);
  d.precision(1);
  auto ring = [&](const OGRLinearRing* r) {
    for (int k = 0; r && k < r->getNumPoints(); ++k)
      d << (k ? 'L' : 'M') << (r->getX(k) - frame.xmin) * scale << ','
        << (frame.ymax - r->getY(k)) * scale;
    d << 'Z';
  };
  auto poly = [&](const OGRPolygon& p) {
    ring(p.getExteriorRing());
    for (int k = 0; k < p.getNumInteriorRings(); ++k) ring(p.getInteriorRing(k));
  };
  if (wkbFlatten(g->getGeometryType()) == wkbPolygon) poly(*g->toPolygon());
  if (wkbFlatten(g->getGeometryType()) == wkbMultiPolygon)
    for (const auto* p : *g->toMultiPolygon()) poly(*p);
  return d.str();
}

std::string map_svg(const HtmlReportInput& in) {
  const Box& f = in.extent;
  const double width = 900, scale = width / f.width(), height = f.height() * scale;
  std::ostringstream s;
  s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='"
    << std::lround(height) << "' style='background:#f4f1e8;border:1px solid #999'>\n";
  if (in.farmland)
    for (std::size_t i = 0; i < in.farmland->size(); ++i)
      s << "<path d='" << svg_path(in.farmland->parcel_wkb(i), f, scale)
        << "' fill='#cfe8a9' stroke='#6a8f3a' stroke-width='0.5'><title>"
        << esc(in.farmland->parcel_id(i)) << "</title></path>\n";
  for (const auto& p : *in.patches)
    s << "<path d='" << svg_path(p.wkb, f, scale) << "' fill='" << category_fill(p.category)
      << "' fill-opacity='0.8' stroke='#000' stroke-width='1'><title>" << esc(p.id) << " "
      << category_label(p.category) << " " << fixed(p.area_m2, 0) << " m²</title></path>\n";
  s << "</svg>\n";
  return s.str();
}

/// The summary tables: patches and area per category, then per administrative unit.
void summary_tables(std::ostringstream& h, const std::vector<Patch>& patches) {
  // Per category.
  h << "<h2>汇总</h2>\n<table><tr><th>类型</th><th>图斑数</th><th>面积(平方米)</th>"
       "<th>面积(亩)</th><th>其中合理</th></tr>\n";
  for (auto cat : kCategories) {
    int n = 0, reasonable = 0;
    double m2 = 0;
    for (const auto& p : patches)
      if (p.category == cat) {
        ++n;
        m2 += p.area_m2;
        reasonable += !p.exempt_by.empty();
      }
    h << "<tr><td><span style='color:" << category_fill(cat) << "'>■</span> " << category_label(cat)
      << "</td><td class=n>" << n << "</td><td class=n>" << fixed(m2, 1) << "</td><td class=n>"
      << fixed(m2_to_mu(m2), 2) << "</td><td class=n>" << reasonable << "</td></tr>\n";
  }
  h << "</table>\n";

  // Per administrative unit.
  std::map<std::string, std::map<ChangeCategory, std::pair<int, double>>> units;
  for (const auto& p : patches) {
    auto& e = units[p.unit_name.empty() ? "(未划分)" : p.unit_name][p.category];
    ++e.first;
    e.second += p.area_m2;
  }
  h << "<h2>按行政区</h2>\n<table><tr><th>行政区</th>";
  for (auto cat : kCategories) h << "<th>" << category_label(cat) << " 图斑/面积(亩)</th>";
  h << "</tr>\n";
  for (const auto& [unit, cats] : units) {
    h << "<tr><td>" << esc(unit) << "</td>";
    for (auto cat : kCategories) {
      const auto it = cats.find(cat);
      h << "<td class=n>"
        << (it == cats.end()
                ? std::string("0")
                : std::to_string(it->second.first) + " / " + fixed(m2_to_mu(it->second.second), 2))
        << "</td>";
    }
    h << "</tr>\n";
  }
}

}  // namespace

std::vector<std::string> write_html_report(const std::string& dir, const HtmlReportInput& in) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  const auto& patches = *in.patches;
  const bool chips = !in.image_before.empty() && !in.image_after.empty() && !patches.empty();
  std::unique_ptr<ChipWriter> chip_before, chip_after;
  if (chips) {
    fs::create_directories(fs::path(dir) / "chips");
    chip_before = std::make_unique<ChipWriter>(in.image_before);
    chip_after = std::make_unique<ChipWriter>(in.image_after);
  }

  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang='zh-CN'><head><meta charset='utf-8'><title>" << esc(in.title)
    << "</title>\n<style>body{font-family:sans-serif;margin:2em}"
    << "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:4px 8px}"
    << "th{background:#eee}td.n{text-align:right}img{width:220px;image-rendering:pixelated}"
    << "</style></head><body>\n<h1>" << esc(in.title) << "</h1>\n";
  const ReportContext& c = in.context;
  h << "<p>前时相 " << esc(c.date_before) << " (" << esc(c.sensor_before) << ") → 后时相 "
    << esc(c.date_after) << " (" << esc(c.sensor_after) << ")</p>\n";

  summary_tables(h, patches);
  h << "</table>\n<h2>分布图</h2>\n" << map_svg(in);

  // Every patch.
  h << "<h2>图斑</h2>\n<table><tr><th>监测编号</th><th>类型</th><th>地类变化</th>"
       "<th>面积(平方米)</th><th>涉及地块</th><th>行政区</th><th>状态</th><th>合理性</th>";
  if (chips) h << "<th>前时相</th><th>后时相</th>";
  h << "</tr>\n";
  for (const auto& p : patches) {
    const LandClass* b = c.classes ? c.classes->find(p.class_before) : nullptr;
    const LandClass* a = c.classes ? c.classes->find(p.class_after) : nullptr;
    std::string parcels;
    for (const auto& [id, m2] : p.parcel_areas)
      parcels += (parcels.empty() ? "" : "<br>") + esc(id) + " (" + fixed(m2, 0) + " m²)";
    h << "<tr><td>" << esc(p.id) << "</td><td>" << category_label(p.category) << "</td><td>"
      << esc(b ? b->name : "?") << " → " << esc(a ? a->name : "?") << "</td><td class=n>"
      << fixed(p.area_m2, 1) << "</td><td>" << parcels << "</td><td>" << esc(p.unit_name)
      << "</td><td>" << patch_status_label(p.status) << "</td><td>"
      << (p.exempt_by.empty() ? "" : "合理: " + esc(p.exempt_by)) << "</td>";
    if (chips)
      for (const auto& [when, writer] :
           {std::pair{"before", chip_before.get()}, std::pair{"after", chip_after.get()}}) {
        const std::string rel = "chips/" + p.id + "_" + when + ".png";
        writer->write(p.wkb_lonlat, (fs::path(dir) / rel).string(), 48);
        files.push_back(rel);
        h << "<td><img src='" << esc(rel) << "' alt='" << esc(p.id) << " " << when << "'></td>";
      }
    h << "</tr>\n";
  }
  h << "</table>\n</body></html>\n";
  std::ofstream out(fs::path(dir) / "report.html", std::ios::binary);
  out << h.str();
  if (!out) throw ProcessingError("cannot write " + dir + "/report.html");
  files.insert(files.begin(), "report.html");
  return files;
}

}  // namespace farmwatch::io
