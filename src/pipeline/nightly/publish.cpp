#include "publish.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "farmwatch/io/text_file.h"
#include "farmwatch/core/change_rules.h"
#include "farmwatch/core/error.h"
#include "farmwatch/core/units.h"
#include "farmwatch/engine/landuse_change.h"
#include "farmwatch/io/area_geometry.h"
#include "farmwatch/io/gdal_setup.h"
#include "farmwatch/io/gis_styles.h"
#include "farmwatch/io/cog_writer.h"
#include "farmwatch/io/raster_writer.h"
#include "farmwatch/io/scene_inbox.h"
#include "farmwatch/io/spatial_ref.h"
#include "farmwatch/io/stored_patches.h"
#include "farmwatch/pipeline/output_dir.h"
#include "farmwatch/pipeline/tile_sets.h"
#include "farmwatch/pipeline/viewer.h"
#include "farmwatch/version.h"
#include "state.h"

namespace farmwatch::pipeline::nightly {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

/// observed.tif: the date of each place's latest clear view as YYYYMMDD (0: never seen).
/// Returns the latest of them (epoch days; 0 if none).
int write_observed(const fs::path& gen, const fs::path& out, const fs::path& scratch) {
  int newest = 0;
  io::BlockRasterReader in(state_raster(gen, kObserved).string());
  io::RasterLayout l;
  l.grid = in.grid();
  l.type = io::PixelType::u32;
  l.nodata = 0;
  l.description = "date of the latest clear view, YYYYMMDD";
  l.compress = "NONE";
  {
    io::BlockRasterWriter w(scratch.string(), l);
    std::vector<std::uint16_t> days;
    std::vector<std::uint32_t> ymd;
    std::map<int, std::uint32_t> memo;
    for (const Window& win : l.grid.blocks(l.grid.width, kBlockSize)) {
      days.resize(static_cast<std::size_t>(win.pixels()));
      ymd.resize(days.size());
      in.read(win, 1, io::PixelType::u16, days.data());
      for (std::size_t i = 0; i < days.size(); ++i) {
        if (!days[i]) {
          ymd[i] = 0;
          continue;
        }
        newest = std::max(newest, static_cast<int>(days[i]));
        auto it = memo.find(days[i]);
        if (it == memo.end()) {
          std::string d = date_of_epoch_days(days[i]);
          d.erase(std::remove(d.begin(), d.end(), '-'), d.end());
          it = memo.emplace(days[i], static_cast<std::uint32_t>(std::stoul(d))).first;
        }
        ymd[i] = it->second;
      }
      w.write(win, ymd.data());
    }
    w.close();
  }
  io::write_cog_of(scratch.string(), io::kClassMapCog, out.string());
  fs::remove(scratch);
  return newest;
}

/// change.tif: the category of the open patches (new, persisting, verified) on the grid:
/// 0 none, 1 非农化, 2 非粮化, 3 other change; reverted and dismissed ones are not drawn.
void write_change(const Grid& g, const std::vector<io::StoredPatch>& patches, const fs::path& out) {
  std::vector<std::uint8_t> change(static_cast<std::size_t>(g.width) * g.height, 0);
  for (const auto& p : patches) {
    if (p.status == "reverted" || p.status == "dismissed" || p.wkb_lonlat.empty()) continue;
    const auto cat = parse_category(p.category);
    if (!cat) continue;
    const io::GridMask m = io::rasterize_lonlat(p.wkb_lonlat, g);
    for (int r = 0; r < m.window.height; ++r)
      for (int c = 0; c < m.window.width; ++c)
        if (m.inside[static_cast<std::size_t>(r) * m.window.width + c])
          change[static_cast<std::size_t>(m.window.row + r) * g.width + m.window.col + c] =
              static_cast<std::uint8_t>(*cat);
  }
  io::RasterLayout l;
  l.grid = g;
  l.type = io::PixelType::u8;
  l.nodata = 255;
  l.description = "open change patches: 0 none, 1 非农化, 2 非粮化, 3 other";
  l.colors = engine::change_colors();
  l.metadata["FARMWATCH_LAYER"] = "change";
  l.metadata["FARMWATCH_TRANSPARENT_VALUES"] = "0";
  io::write_cog_of_pixels(l, change.data(), io::kClassMapCog, out.string());
}

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}

std::string report_html(const json& summary, const std::vector<io::StoredPatch>& patches) {
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\n<title>farmwatch " +
      html_escape(summary.value("area", "")) + " " + html_escape(summary["run_id"]) +
      "</title>\n<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
      "td,th{border:1px solid #999;padding:2px 6px}tr{page-break-inside:avoid}</style>\n"
      "</head><body>\n<h1>耕地监测 nightly run " +
      html_escape(summary["run_id"]) + "</h1>\n<p>area " + html_escape(summary.value("area", "")) +
      ", state generation " + std::to_string(summary.value("state_generation", 0)) +
      ", latest clear view " + html_escape(summary.value("newest_view", "")) + "</p>\n";
  h += "<h2>Scenes this night</h2>\n<table><tr><th>product</th><th>acquired</th><th>status"
       "</th><th>reason</th></tr>\n";
  for (const auto& s : summary["scenes"])
    h += "<tr><td>" + html_escape(s.value("product_id", "")) + "</td><td>" +
         html_escape(s.value("acquired", "")) + "</td><td>" + html_escape(s.value("status", "")) +
         "</td><td>" + html_escape(s.value("reason", "")) + "</td></tr>\n";
  h += "</table>\n<h2>Patches (" + std::to_string(patches.size()) + ")</h2>\n";
  const io::CsvTable t = io::stored_patch_table(patches);
  h += "<table><tr>";
  for (const auto& c : t.header) h += "<th>" + html_escape(c) + "</th>";
  h += "</tr>\n";
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    h += "<tr>";
    for (std::size_t k = 0; k < t.rows[i].size(); ++k) {
      std::string cell = t.rows[i][k];
      if (t.header[k] == "status") cell += " " + io::patch_status_label(cell);
      h += "<td>" + html_escape(cell) + "</td>";
    }
    h += "</tr>\n";
  }
  return h + "</table>\n</body></html>\n";
}

/// A STAC Item for files of the run (one asset each), on the area's grid.
json stac_item(const std::string& id, const json& geometry, const json& bbox, const Grid& g,
               const std::string& start, const std::string& end, const json& links,
               const std::vector<std::tuple<std::string, fs::path, std::string, std::string>>& files) {
  json props = {{"datetime", nullptr},
                {"start_datetime", start + "T00:00:00Z"},
                {"end_datetime", end + "T23:59:59Z"},
                {"proj:shape", {g.height, g.width}},
                {"proj:transform",
                 {g.transform.c[1], g.transform.c[2], g.transform.c[0], g.transform.c[4],
                  g.transform.c[5], g.transform.c[3]}}};
  if (const std::string code = io::crs_code(g.crs_wkt); !code.empty()) props["proj:code"] = code;
  else props["proj:wkt2"] = g.crs_wkt;
  json software = {{"farmwatch", kVersion}};
  for (const auto& [lib, v] : io::library_versions()) software[lib] = v;
  props["processing:software"] = software;
  props["processing:lineage"] =
      "farmwatch nightly: the latest clear view of each place, classified and compared with "
      "the view before it";
  json assets = json::object();
  for (const auto& [key, path, type, role] : files)
    assets[key] = {{"href", "../" + path.filename().string()},
                   {"type", type},
                   {"roles", {role}},
                   {"file:size", static_cast<std::int64_t>(fs::file_size(path))},
                   {"file:checksum", "1220" + io::sha256_of_path(path)}};
  return {{"type", "Feature"},
          {"stac_version", "1.1.0"},
          {"stac_extensions",
           {"https://stac-extensions.github.io/projection/v2.0.0/schema.json",
            "https://stac-extensions.github.io/file/v2.1.0/schema.json",
            "https://stac-extensions.github.io/processing/v1.2.0/schema.json"}},
          {"id", id},
          {"geometry", geometry},
          {"bbox", bbox},
          {"properties", props},
          {"links", links},
          {"assets", assets}};
}

void write_stac(const fs::path& dir, const AreaSpec& area, const Grid& g, const json& summary,
                const std::vector<io::SceneRecord>& used) {
  const auto wkb = io::box_lonlat(g.extent(), g.crs_wkt);
  const json geometry = json::parse(io::wkb_to_geojson(wkb));
  double x0 = 180, y0 = 90, x1 = -180, y1 = -90;
  for (const auto& pt : geometry["coordinates"][0]) {
    x0 = std::min(x0, pt[0].get<double>());
    x1 = std::max(x1, pt[0].get<double>());
    y0 = std::min(y0, pt[1].get<double>());
    y1 = std::max(y1, pt[1].get<double>());
  }
  const json bbox = {x0, y0, x1, y1};
  std::string start = "9999-12-31", end = "0000-01-01";
  for (const auto& s : used) {
    start = std::min(start, s.acquired);
    end = std::max(end, s.acquired);
  }
  if (used.empty()) start = end = summary.value("newest_view", "1970-01-01");
  json links = {{{"rel", "collection"}, {"href", "../collection.json"}, {"type", "application/json"}},
                {{"rel", "parent"}, {"href", "../collection.json"}, {"type", "application/json"}},
                {{"rel", "root"}, {"href", "../collection.json"}, {"type", "application/json"}}};
  for (const auto& s : used)
    links.push_back({{"rel", "derived_from"},
                     {"href", "file://" + fs::absolute(s.path).string()},
                     {"title", s.product_id + " (" + s.acquired + ", sha256 " + s.checksum + ")"}});
  const std::string cog = "image/tiff; application=geotiff; profile=cloud-optimized";
  const std::vector<std::pair<std::string, std::vector<std::tuple<std::string, fs::path, std::string, std::string>>>>
      items = {
          {"landuse", {{"landuse", dir / "landuse.tif", cog, "data"}}},
          {"observed", {{"observed", dir / "observed.tif", cog, "data"}}},
          {"change", {{"change", dir / "change.tif", cog, "data"}}},
          {"patches",
           {{"gpkg", dir / "patches.gpkg", "application/geopackage+sqlite3", "data"},
            {"geojson", dir / "patches.geojson", "application/geo+json", "data"},
            {"csv", dir / "patches.csv", "text/csv", "data"}}},
      };
  fs::create_directories(dir / "items");
  json collection = {
      {"type", "Collection"},
      {"stac_version", "1.1.0"},
      {"id", "farmwatch-" + area.pipeline.name},
      {"title", "farmwatch one map: " + area.pipeline.name},
      {"description", "Land use, the date of the latest clear view, change and change patches "
                      "(非农化, 非粮化) of the area, run " + summary["run_id"].get<std::string>()},
      {"license", "proprietary"},
      {"extent",
       {{"spatial", {{"bbox", json::array({bbox})}}},
        {"temporal",
         {{"interval", json::array({json::array({start + "T00:00:00Z", end + "T23:59:59Z"})})}}}}},
      {"links",
       {{{"rel", "root"}, {"href", "./collection.json"}, {"type", "application/json"}},
        {{"rel", "self"}, {"href", "./collection.json"}, {"type", "application/json"}}}}};
  for (const auto& [id, files] : items) {
    const json item = stac_item(id, geometry, bbox, g, start, end, links, files);
    io::write_text_file(dir / "items" / (id + ".json"), item.dump(2) + "\n");
    collection["links"].push_back(
        {{"rel", "item"}, {"href", "./items/" + id + ".json"}, {"type", "application/geo+json"}});
  }
  io::write_text_file(dir / "collection.json", collection.dump(2) + "\n");
}

/// Points `publish/current` at runs/<id> atomically: a symlink under a temporary name, then
/// rename(2) over current (`ln -sfn` would leave a moment with no link).
void switch_current(const fs::path& publish, const std::string& run_id) {
  const fs::path tmp = publish / (".current." + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove(tmp, ec);
  fs::create_directory_symlink(fs::path("runs") / run_id, tmp);
  if (::rename(tmp.c_str(), (publish / "current").c_str()) != 0) {
    fs::remove(tmp, ec);
    throw ProcessingError("cannot switch '" + (publish / "current").string() + "'");
  }
}

void prune_runs(const fs::path& runs, const std::string& current, int keep) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(runs)) {
    const std::string n = e.path().filename().string();
    if (n[0] == '.') {
      if (n.find(".partial") != std::string::npos) fs::remove_all(e.path(), ec);
      continue;
    }
    if (n != current) names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  const std::size_t drop = names.size() > static_cast<std::size_t>(keep)
                               ? names.size() - static_cast<std::size_t>(keep)
                               : 0;
  for (std::size_t i = 0; i < drop; ++i) fs::remove_all(runs / names[i], ec);
}

}  // namespace

std::string published_generation(const fs::path& publish) {
  std::ifstream in(publish / "current" / "summary.json");
  if (!in) return "";
  try {
    const json s = json::parse(in);
    return std::to_string(s.at("state_generation").get<int>());
  } catch (const std::exception&) {
    return "";
  }
}

json publish_night(const AreaSpec& area, const fs::path& gen, io::MonitoringDb& db, json summary,
                   const std::string& run_id, const Log& log) {
  const fs::path publish = area.publish;
  const fs::path runs = publish / "runs";
  fs::create_directories(runs);
  const fs::path stage = runs / ("." + run_id + ".partial");
  std::error_code ec;
  fs::remove_all(stage, ec);
  fs::create_directories(stage);
  try {
    io::write_cog_of(state_raster(gen, kLanduse).string(), io::kClassMapCog,
                     (stage / "landuse.tif").string());
    const int newest = write_observed(gen, stage / "observed.tif", stage / ".observed_scratch.tif");
    const Grid g = io::BlockRasterReader(state_raster(gen, kLanduse).string()).grid();
    summary["newest_view"] = newest ? date_of_epoch_days(newest) : "";

    const auto patches = db.patches({});
    write_change(g, patches, stage / "change.tif");
    io::write_stored_patches(patches, (stage / "patches.geojson").string(),
                             (stage / "patches.gpkg").string());
    io::write_text_file(stage / "patches.csv", io::stored_patch_table(patches).text());
    json counts = json::object();
    for (const auto& p : patches) counts[p.status] = counts.value(p.status, 0) + 1;
    summary["patches"] = {{"total", patches.size()}, {"by_status", counts}};

    // What GIS tools need to show them right: class names, colours, a QGIS style, aliases.
    io::describe_class_raster((stage / "landuse.tif").string(),
                              io::class_entries(area.pipeline.classifier->classes()));
    io::describe_class_raster((stage / "change.tif").string(), io::change_entries());
    io::describe_patch_layer((stage / "patches.gpkg").string(), "patches",
                           {{"patch_id", "监测编号"}, {"category", "图斑类型"},
                            {"status", "状态"}, {"class_before", "前时相地类"},
                            {"class_after", "后时相地类"}, {"area_m2", "面积(平方米)"},
                            {"first_seen", "首次发现"}, {"last_seen", "最近发现"},
                            {"unit", "行政区"}, {"parcels", "涉及地块"},
                            {"reasonable", "合理性"}, {"confidence", "置信度"},
                            {"status_label", "状态说明"}});
    if (area.tiles) {
      // Only tiles over pixels that changed since the published night are rendered again;
      // the others are hard links to the published tiles (the same bytes).
      const fs::path current = publish / "current";
      std::error_code cec;
      const bool previous = fs::exists(current / "tiles", cec);
      std::vector<TileLayerSource> layers;
      for (const std::string layer : {"landuse", "change"})
        layers.push_back({(stage / (layer + ".tif")).string(), layer, layer,
                          previous ? (current / (layer + ".tif")).string() : "", ""});
      TileSetOptions opt;
      opt.grid = area.tile_grid;
      opt.min_zoom = area.min_zoom;
      opt.max_zoom = area.max_zoom;
      if (previous) opt.previous_root = fs::canonical(current / "tiles").string();
      summary["tiles"] = write_tile_sets(layers, (stage / "tiles").string(), opt, log);
      // The viewer over the night's map, every stored patch and the farmland parcels.
      ViewerMap m;
      m.title = "farmwatch 一张图: " + area.pipeline.name + " " + summary.value("newest_view", "");
      m.generated = shown_time(summary.value("run_id", ""));
      m.bounds = io::transform_box(g.extent(), g.crs_wkt, io::crs_from_user("OGC:CRS84"));
      m.tiles = summary["tiles"];
      for (const auto& p : patches) {
        ViewerPatch v;
        v.id = p.id;
        const auto cat = parse_category(p.category);
        v.category = cat ? category_key(*cat) : p.category;
        v.category_label = io::patch_category_label(p.category);
        v.class_before = p.class_before;
        v.class_after = p.class_after;
        v.parcels = p.parcel_ids;
        v.unit_name = p.unit_name;
        v.status = p.status;
        v.status_label = io::patch_status_label(p.status);
        v.area_m2 = p.area_m2;
        v.area_mu = m2_to_mu(p.area_m2);
        v.confidence = p.confidence;
        const Box b = io::wkb_envelope(p.wkb_lonlat);
        v.lon = 0.5 * (b.xmin + b.xmax);
        v.lat = 0.5 * (b.ymin + b.ymax);
        v.wkb_lonlat = p.wkb_lonlat;
        m.patches.push_back(std::move(v));
      }
      for (const auto& p : db.parcels())  // the name shown is the parcel's village
        m.parcels.push_back(viewer_parcel(p.id, p.unit_name, p.wkb_lonlat));
      write_viewer(stage, m, log);
    }
    std::vector<io::SceneRecord> used;
    for (const auto& s : db.scenes())
      if (s.status == "processed") used.push_back(s);
    write_stac(stage, area, g, summary, used);
    io::write_text_file(stage / "report.html", report_html(summary, patches));
    io::write_text_file(stage / "summary.json", summary.dump(2) + "\n");
  } catch (...) {
    fs::remove_all(stage, ec);
    throw;
  }
  fs::path final_dir = runs / run_id;
  if (fs::exists(final_dir)) fs::remove_all(final_dir);
  fs::rename(stage, final_dir);
  switch_current(publish, run_id);
  prune_runs(runs, run_id, area.keep_runs);
  return summary;
}

}  // namespace farmwatch::pipeline::nightly
