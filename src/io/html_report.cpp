#include "farmwatch/io/html_report.h"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "farmwatch/core/change_rules.h"
#include "farmwatch/core/error.h"
#include "farmwatch/core/units.h"
#include "farmwatch/io/chips.h"
#include "farmwatch/io/monitoring_db.h"
#include "farmwatch/io/spatial_ref.h"
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

const char* category_fill(ChangeCategory c) { return category_color(c); }

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

/// The map: farmland parcels, the patches (outlines; centroids when there are thousands),
/// a legend, a scale bar and a north arrow (grid north).
std::string map_svg(const HtmlReportInput& in) {
  const Box& f = in.extent;
  const double width = 900, scale = width / f.width(), height = f.height() * scale;
  std::ostringstream s;
  s << "<svg class=map xmlns='http://www.w3.org/2000/svg' viewBox='0 0 " << width << " "
    << std::lround(height + 40) << "' width='" << width << "' height='" << std::lround(height + 40)
    << "' style='background:#f4f1e8;border:1px solid #999'>\n";
  if (in.farmland && in.farmland->size() <= 20000)
    for (std::size_t i = 0; i < in.farmland->size(); ++i)
      s << "<path d='" << svg_path(in.farmland->parcel_wkb(i), f, scale)
        << "' fill='#cfe8a9' stroke='#6a8f3a' stroke-width='0.5'><title>"
        << esc(in.farmland->parcel_id(i)) << "</title></path>\n";
  const bool outlines = in.patches->size() <= 3000;
  for (const auto& p : *in.patches) {
    if (outlines) {
      s << "<path d='" << svg_path(p.wkb, f, scale) << "' fill='" << category_fill(p.category)
        << "' fill-opacity='0.8' stroke='#000' stroke-width='1'>";
    } else {
      s << "<rect x='" << fixed((p.centroid_x - f.xmin) * scale - 1.5, 1) << "' y='"
        << fixed((f.ymax - p.centroid_y) * scale - 1.5, 1) << "' width='3' height='3' fill='"
        << category_fill(p.category) << "'>";
    }
    s << "<title>" << esc(p.id) << " " << category_label(p.category) << " " << fixed(p.area_m2, 0)
      << " m²</title>" << (outlines ? "</path>" : "</rect>") << "\n";
  }
  // Legend, scale bar (a round length near a fifth of the width), north arrow.
  double y = height + 14;
  double x = 8;
  for (auto cat : kCategories) {
    s << "<rect x='" << x << "' y='" << y - 9 << "' width='12' height='10' fill='"
      << category_fill(cat) << "'/><text x='" << x + 16 << "' y='" << y
      << "' font-size='12'>" << category_label(cat) << "</text>\n";
    x += 90;
  }
  if (in.farmland)
    s << "<rect x='" << x << "' y='" << y - 9
      << "' width='12' height='10' fill='#cfe8a9' stroke='#6a8f3a'/><text x='" << x + 16
      << "' y='" << y << "' font-size='12'>永久基本农田</text>\n";
  // Degrees across at the map's middle latitude.
  const double metres_per_unit =
      in.context.crs_wkt.empty() || !is_geographic(in.context.crs_wkt)
          ? 1.0
          : 111320.0 * std::cos(0.5 * (f.ymin + f.ymax) * M_PI / 180.0);
  const double target = f.width() * metres_per_unit / 5;
  double bar = std::pow(10.0, std::floor(std::log10(target)));
  for (double m : {5.0, 2.0})
    if (bar * m <= target) {
      bar *= m;
      break;
    }
  const double bar_px = bar / metres_per_unit * scale;
  const double bx = width - bar_px - 60;
  s << "<rect x='" << bx << "' y='" << y - 6 << "' width='" << bar_px
    << "' height='5' fill='#000'/><text x='" << bx + bar_px + 6 << "' y='" << y
    << "' font-size='12'>" << (bar >= 1000 ? fixed(bar / 1000, 0) + " km" : fixed(bar, 0) + " m")
    << "</text>\n";
  s << "<g transform='translate(" << width - 24 << ",30)'><polygon points='0,-18 7,6 0,1 -7,6' "
       "fill='#000'/><text x='-5' y='20' font-size='13' font-weight='bold'>N</text></g>\n";
  s << "</svg>\n";
  return s.str();
}

/// CGCS2000 3-degree Gauss-Kruger coordinates of a lon/lat as (easting with the zone prefix,
/// northing), zone from the longitude (EPSG:4513-4533, zones 25-45); nullopt outside them.
/// The report prints them the surveyors' way: X northing, Y easting.
class GaussKruger {
 public:
  std::optional<std::pair<double, double>> operator()(double lon, double lat) {
    const int zone = static_cast<int>(std::floor((lon + 1.5) / 3.0));
    if (zone < 25 || zone > 45) return std::nullopt;
    auto& t = transforms_[zone];
    if (!t) {
      OGRSpatialReference gk;
      gk.importFromEPSG(4513 + zone - 25);
      gk.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
      t = make_transform(wgs84_lonlat(), gk);
    }
    double x = lon, y = lat;
    if (!t->Transform(1, &x, &y)) return std::nullopt;
    return std::pair{x, y};
  }

 private:
  std::map<int, TransformPtr> transforms_;
};

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

namespace {

constexpr const char* kStyle =
    "<style>body{font-family:sans-serif;margin:2em}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:4px 8px}"
    "th{background:#eee}td.n{text-align:right}img{width:140px;image-rendering:pixelated}"
    "nav a{margin-right:.6em}.meta{color:#555}"
    "@media print{@page{size:A4;margin:12mm}body{margin:0;font-size:10pt}nav{display:none}"
    "h1,h2{break-after:avoid}svg.map{max-width:100%;height:auto;break-inside:avoid}"
    "tr{break-inside:avoid}thead{display:table-header-group}img{width:120px}}"
    "</style>";

std::string page_name(std::size_t page) {
  std::string n = std::to_string(page + 1);
  return "report/page-" + std::string(n.size() < 3 ? 3 - n.size() : 0, '0') + n + ".html";
}

std::string page_nav(std::size_t pages, std::size_t current, const std::string& up) {
  if (pages < 2) return "";
  std::string s = "<nav>图斑页 (pages): ";
  for (std::size_t p = 0; p < pages; ++p) {
    const std::string href = p == 0 ? up + "report.html" : up + page_name(p);
    s += p == current ? "<b>" + std::to_string(p + 1) + "</b> "
                      : "<a href='" + href + "'>" + std::to_string(p + 1) + "</a>";
  }
  return s + "</nav>\n";
}

}  // namespace

std::vector<std::string> write_html_report(const std::string& dir, const HtmlReportInput& in) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  const auto& patches = *in.patches;
  const bool chips = !in.image_before.empty() && !in.image_after.empty() && !patches.empty() &&
                     in.max_chips > 0;
  if (chips) fs::create_directories(fs::path(dir) / "chips");
  // The order people read: 非农化, then 非粮化, then other change; larger first.
  std::vector<std::size_t> order(patches.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (patches[a].category != patches[b].category)
      return patches[a].category < patches[b].category;
    return patches[a].area_m2 > patches[b].area_m2;
  });

  const ReportContext& c = in.context;
  std::ostringstream head;
  head << "<!DOCTYPE html>\n<html lang='zh-CN'><head><meta charset='utf-8'><title>"
       << esc(in.title) << "</title>\n" << kStyle << "</head><body>\n<h1>" << esc(in.title)
       << "</h1>\n<p>前时相 " << esc(c.date_before) << " (" << esc(c.sensor_before)
       << ") → 后时相 " << esc(c.date_after) << " (" << esc(c.sensor_after) << ")</p>\n"
       << "<p class=meta>生成时间 " << esc(in.generated) << " · farmwatch " << esc(in.version)
       << " · 坐标系 " << esc(c.crs_wkt.empty() ? "(none)" : crs_label(c.crs_wkt))
       << (in.viewer ? " · 一张图: <a href='index.html'>index.html</a>" : "") << "</p>\n";

  // The chips of the first max_chips patches in that order, side by side: each thread cuts
  // them through ChipWriters of its own (a GDAL dataset serves one thread); the first failure
  // in report order is the one thrown, whatever the thread count.
  const std::size_t chip_count =
      chips ? std::min(order.size(), static_cast<std::size_t>(in.max_chips)) : 0;
  auto chip_path = [](const Patch& p, const char* when) {
    return "chips/" + p.id + "_" + when + ".png";
  };
  if (chip_count) {
    struct Writers {
      std::unique_ptr<ChipWriter> before, after;
    };
    tbb::enumerable_thread_specific<Writers> writers;
    std::vector<std::exception_ptr> failed(chip_count);
    tbb::parallel_for(std::size_t(0), chip_count, [&](std::size_t k) {
      try {
        Writers& w = writers.local();
        if (!w.before || !w.after) {  // both made, or neither kept
          auto before = std::make_unique<ChipWriter>(in.image_before, in.images_scene_stretched);
          auto after = std::make_unique<ChipWriter>(in.image_after, in.images_scene_stretched);
          w.before = std::move(before);
          w.after = std::move(after);
        }
        const Patch& p = patches[order[k]];
        w.before->write(p.wkb_lonlat, (fs::path(dir) / chip_path(p, "before")).string(), 48);
        w.after->write(p.wkb_lonlat, (fs::path(dir) / chip_path(p, "after")).string(), 48);
      } catch (...) {
        failed[k] = std::current_exception();
      }
    });
    for (const auto& e : failed)
      if (e) std::rethrow_exception(e);
  }

  const std::size_t page_size = static_cast<std::size_t>(std::max(1, in.page_size));
  const std::size_t pages = std::max<std::size_t>(1, (order.size() + page_size - 1) / page_size);
  GaussKruger gk;
  for (std::size_t page = 0; page < pages; ++page) {
    const std::string up = page == 0 ? "" : "../";
    std::ostringstream h;
    if (page == 0) {
      h << head.str();
      summary_tables(h, patches);
      h << "</table>\n<h2>分布图</h2>\n" << map_svg(in);
    } else {
      h << "<!DOCTYPE html>\n<html lang='zh-CN'><head><meta charset='utf-8'><title>"
        << esc(in.title) << " (" << page + 1 << ")</title>\n" << kStyle << "</head><body>\n<h1>"
        << esc(in.title) << "</h1>\n";
    }
    h << "<h2>图斑 (" << order.size() << ")</h2>\n" << page_nav(pages, page, up)
      << "<table><thead><tr><th>监测编号</th><th>类型</th><th>地类变化</th><th>面积(平方米)</th>"
         "<th>面积(亩)</th><th>中心经纬度</th><th>CGCS2000 X(北) / Y(东)</th><th>涉及地块</th>"
         "<th>行政区</th><th>状态</th><th>合理性</th><th>置信度</th>";
    if (chips) h << "<th>前时相</th><th>后时相</th>";
    h << "</tr></thead>\n";
    for (std::size_t k = page * page_size; k < std::min(order.size(), (page + 1) * page_size); ++k) {
      const Patch& p = patches[order[k]];
      const LandClass* b = c.classes ? c.classes->find(p.class_before) : nullptr;
      const LandClass* a = c.classes ? c.classes->find(p.class_after) : nullptr;
      std::string parcels;
      for (const auto& [id, m2] : p.parcel_areas)
        parcels += (parcels.empty() ? "" : "<br>") + esc(id) + " (" + fixed(m2, 0) + " m²)";
      const auto xy = gk(p.centroid_lon, p.centroid_lat);
      h << "<tr id='" << esc(p.id) << "'><td>" << esc(p.id) << "</td><td>"
        << category_label(p.category)
        << (p.kind ? std::string("<br><small>") + vhr_change_kind_label(*p.kind) + "</small>" : "")
        << "</td><td>" << esc(b ? b->name : "?") << " → "
        << esc(a ? a->name : "?") << "</td><td class=n>" << fixed(p.area_m2, 1)
        << "</td><td class=n>" << fixed(p.area_mu, 2) << "</td><td>"
        << fixed(p.centroid_lon, 6) << ", " << fixed(p.centroid_lat, 6) << "</td><td>"
        << (xy ? fixed(xy->second, 2) + " / " + fixed(xy->first, 2) : "") << "</td><td>"
        << parcels << "</td><td>" << esc(p.unit_name) << "</td><td>"
        << patch_status_label(p.status) << "</td><td>"
        << (p.exempt_by.empty() ? "" : "合理: " + esc(p.exempt_by)) << "</td><td class=n>"
        << fixed(p.confidence, 2) << "</td>";
      if (chips) {
        if (k < chip_count) {
          for (const char* when : {"before", "after"}) {
            const std::string rel = chip_path(p, when);
            files.push_back(rel);
            h << "<td><img src='" << up << esc(rel) << "' alt='" << esc(p.id) << " " << when
              << "'></td>";
          }
        } else {
          h << (in.viewer ? "<td colspan=2>见一张图 (index.html)</td>"
                          : "<td colspan=2>(超出切片数量上限)</td>");
        }
      }
      h << "</tr>\n";
    }
    h << "</table>\n" << page_nav(pages, page, up) << "</body></html>\n";
    const std::string name = page == 0 ? "report.html" : page_name(page);
    fs::create_directories((fs::path(dir) / name).parent_path());
    std::ofstream out(fs::path(dir) / name, std::ios::binary);
    out << h.str();
    out.close();
    if (!out) throw ProcessingError("cannot write " + dir + "/" + name + " (disk full?)");
    files.insert(files.begin() + static_cast<std::ptrdiff_t>(page), name);
  }
  return files;
}

}  // namespace farmwatch::io
