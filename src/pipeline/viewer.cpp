#include "farmwatch/io/gdal_setup.h"
#include "farmwatch/io/text_file.h"
#include "farmwatch/pipeline/viewer.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>

#include "farmwatch/core/change_rules.h"
#include "farmwatch/core/error.h"
#include "farmwatch/io/spatial_ref.h"
#include "farmwatch/version.h"

namespace farmwatch::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr double kChunkDeg = 0.05;

std::string chunk_of(double lon, double lat) {
  return std::to_string(static_cast<long>(std::floor(lon / kChunkDeg))) + "_" +
         std::to_string(static_cast<long>(std::floor(lat / kChunkDeg)));
}

/// One GeoJSON feature as text (keys in the order nlohmann writes them).
std::string feature(const std::vector<std::uint8_t>& wkb, const json& properties) {
  return R"({"geometry":)" + io::wkb_to_viewer_json(wkb) + R"(,"properties":)" +
         properties.dump(-1, ' ', false, json::error_handler_t::replace) +
         R"(,"type":"Feature"})";
}

/// Writes one vector layer in chunks; returns its map.js entry.
json write_chunks(const fs::path& folder, const std::string& id, const std::string& title,
                  const std::string& kind, std::map<std::string, std::vector<std::string>>& chunks,
                  std::vector<std::string>& files) {
  json names = json::array();
  for (auto& [chunk, features] : chunks) {
    const std::string rel = "vectors/" + id + "/" + chunk + ".js";
    std::string text = "farmwatchChunk(" + json(id).dump() + ", " + json(chunk).dump() +
                       R"(, {"features":[)";
    for (std::size_t i = 0; i < features.size(); ++i) (text += i ? "," : "") += features[i];
    text += R"(],"type":"FeatureCollection"});)" "\n";
    io::write_text_file(folder / rel, text);
    files.push_back(rel);
    names.push_back(chunk);
  }
  std::size_t count = 0;
  for (const auto& [c, f] : chunks) count += f.size();
  return {{"id", id},           {"title", title},          {"kind", kind},
          {"count", count},     {"chunk_size_deg", kChunkDeg}, {"chunks", names},
          {"path", "vectors/" + id + "/{chunk}.js"}};
}

std::string layer_title(const std::string& id) {
  if (id.rfind("imagery_", 0) == 0) return "影像 " + id.substr(8);
  if (id.rfind("landuse_", 0) == 0) return "土地利用 " + id.substr(8);
  if (id == "landuse") return "土地利用";
  if (id == "change") return "变化";
  return id;
}

}  // namespace

std::string shown_time(const std::string& now) {
  return std::getenv("SOURCE_DATE_EPOCH") ? io::shown_utc() : now;
}

ViewerParcel viewer_parcel(std::string id, std::string name, std::vector<std::uint8_t> wkb_lonlat) {
  ViewerParcel v;
  v.id = std::move(id);
  v.name = std::move(name);
  v.wkb_lonlat = std::move(wkb_lonlat);
  const Box b = io::wkb_envelope(v.wkb_lonlat);
  v.lon = 0.5 * (b.xmin + b.xmax);
  v.lat = 0.5 * (b.ymin + b.ymax);
  return v;
}

fs::path viewer_assets() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("FARMWATCH_VIEWER_DIR")) candidates.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / "viewer");
    candidates.push_back(exe.parent_path().parent_path() / "share" / "farmwatch" / "viewer");
  }
  for (const auto& c : candidates)
    if (fs::exists(c / "farmwatch-viewer.js", ec) && fs::exists(c / "index.html", ec)) return c;
  return {};
}

std::vector<std::string> write_viewer(const fs::path& folder, const ViewerMap& map,
                                      const Log& log) {
  std::vector<std::string> files;
  const fs::path assets = viewer_assets();
  if (assets.empty()) {
    log.warn("the web viewer is not built (viewer/ beside the farmwatch executable): no "
             "index.html written; build it with scripts/setup.sh");
    return files;
  }
  auto copy = [&](const fs::path& from, const std::string& rel) {
    std::error_code ec;
    fs::create_directories((folder / rel).parent_path(), ec);
    fs::copy_file(from, folder / rel, fs::copy_options::overwrite_existing, ec);
    if (ec)
      throw ProcessingError("cannot write '" + (folder / rel).string() + "': " + ec.message());
    files.push_back(rel);
  };
  for (const char* f : {"farmwatch-viewer.js", "farmwatch-viewer.css"})
    copy(assets / f, std::string("viewer/") + f);
  copy(assets / "index.html", "index.html");

  // Raster layers, bottom to top: imagery, land use, change.
  json layers = json::array(), grids = json::array();
  std::map<std::string, json> by_id;
  // Web Mercator first: the view a web map user expects; 天地图 "c" one click away.
  std::vector<std::string> grid_ids;
  for (const auto& [grid, per_layer] : map.tiles.items()) grid_ids.push_back(grid);
  std::stable_partition(grid_ids.begin(), grid_ids.end(),
                        [](const std::string& g) { return g == "webmercator"; });
  for (const auto& grid : grid_ids) {
    const json& per_layer = map.tiles[grid];
    grids.push_back(grid);
    for (const auto& [id, t] : per_layer.items()) {
      json& l = by_id[id];
      l["id"] = id;
      l["title"] = layer_title(id);
      if (id.rfind("imagery_", 0) == 0) l["date"] = id.substr(8);
      l["tiles"][grid] = {{"url", map.tiles_dir + "/" + t["path"].get<std::string>()},
                          {"minzoom", t["min_zoom"]},
                          {"maxzoom", t["max_zoom"]}};
      std::ifstream tj(folder / map.tiles_dir / t["tilejson"].get<std::string>());
      if (tj) {
        const json doc = json::parse(tj);
        l["kind"] = doc.value("farmwatch:kind", "classes");
        if (doc.contains("farmwatch:legend")) l["legend"] = doc["farmwatch:legend"];
      }
    }
  }
  std::vector<std::string> imagery;
  auto rank = [](const std::string& id) {
    return id.rfind("imagery", 0) == 0 ? 0 : id.rfind("landuse", 0) == 0 ? 1 : 2;
  };
  std::vector<std::string> ids;
  for (const auto& [id, l] : by_id) ids.push_back(id);
  std::stable_sort(ids.begin(), ids.end(),
                   [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
  for (const auto& id : ids) {
    if (rank(id) == 0) imagery.push_back(id);
    layers.push_back(by_id[id]);
  }
  // What shows first: the latest imagery (or land use) and the change over it.
  std::string base = imagery.empty() ? "" : imagery.back();
  for (auto& l : layers) {
    const std::string id = l["id"];
    if (base.empty() && rank(id) == 1) base = id;  // the first land use map, without imagery
    l["visible"] = id == base || id == "change";
  }

  json doc = {{"title", map.title},
              {"generated", map.generated},
              {"version", kVersion},
              {"bounds", {map.bounds.xmin, map.bounds.ymin, map.bounds.xmax, map.bounds.ymax}},
              {"grids", grids},
              {"layers", layers},
              {"categories", json::object()},
              {"vectors", json::array()}};
  for (auto c : {ChangeCategory::non_agricultural, ChangeCategory::non_grain, ChangeCategory::other})
    doc["categories"][category_key(c)] = {{"label", category_label(c)},
                                          {"color", category_color(c)}};
  if (imagery.size() >= 2)
    doc["swipe"] = {{"before", imagery[imagery.size() - 2]}, {"after", imagery.back()}};

  json search = json::array();
  std::map<std::string, std::vector<std::string>> parcel_chunks, patch_chunks;
  for (const auto& p : map.parcels) {
    parcel_chunks[chunk_of(p.lon, p.lat)].push_back(
        feature(p.wkb_lonlat, {{"parcel_id", p.id}, {"name", p.name}}));
    search.push_back({p.id, "parcel", p.lon, p.lat});
  }
  for (const auto& p : map.patches) {
    json props = {{"patch_id", p.id},         {"category", p.category},
                  {"category_label", p.category_label}, {"class_before", p.class_before},
                  {"class_after", p.class_after}, {"area_m2", std::round(p.area_m2 * 100) / 100},
                  {"area_mu", std::round(p.area_mu * 1e4) / 1e4},     {"parcels", p.parcels},
                  {"unit_name", p.unit_name}, {"status", p.status},
                  {"status_label", p.status_label}, {"chips", p.chips}};
    props["confidence"] = p.confidence ? json(*p.confidence) : json(nullptr);
    if (!p.change_kind.empty()) props["change_kind"] = p.change_kind;
    patch_chunks[chunk_of(p.lon, p.lat)].push_back(feature(p.wkb_lonlat, props));
    search.push_back({p.id, "patch", p.lon, p.lat});
  }
  if (!map.parcels.empty())
    doc["vectors"].push_back(
        write_chunks(folder, "farmland", "永久基本农田", "parcels", parcel_chunks, files));
  if (!map.patches.empty())
    doc["vectors"].push_back(
        write_chunks(folder, "patches", "变化图斑", "patches", patch_chunks, files));
  if (!search.empty()) {
    io::write_text_file(folder / "vectors" / "search.js", "farmwatchSearch(" + search.dump() + ");\n");
    files.push_back("vectors/search.js");
    doc["search"] = "vectors/search.js";
  }
  io::write_text_file(folder / "map.js", "window.FARMWATCH_MAP = " +
                                    doc.dump(1, ' ', false, json::error_handler_t::replace) +
                                    ";\n");
  files.push_back("map.js");
  return files;
}

}  // namespace farmwatch::pipeline
