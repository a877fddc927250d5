#include "farmwatch/pipeline/tile_sets.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "farmwatch/core/error.h"
#include "farmwatch/io/gdal_setup.h"
#include "farmwatch/io/map_tiles.h"
#include "farmwatch/io/text_file.h"

namespace farmwatch::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

std::vector<const TileMatrixSet*> tile_sets_named(const std::string& grid) {
  if (grid == "both") return {&web_mercator_quad(), &tianditu_c()};
  if (const TileMatrixSet* s = tile_matrix_set(grid)) return {s};
  throw ConfigError("tiles: grid must be webmercator, tianditu-c or both, got '" + grid + "'");
}

json write_tile_sets(const std::vector<TileLayerSource>& layers, const std::string& root,
                     const TileSetOptions& options, const Log& log) {
  const auto sets = tile_sets_named(options.grid);
  struct Job {
    const TileMatrixSet* set;
    const TileLayerSource* layer;
    io::TileLayerRequest req;
    io::TileLayerStats stats;
    io::TileShards shards;
  };
  std::vector<Job> jobs;
  jobs.reserve(sets.size() * layers.size());  // requests point at their job's shards
  for (const TileMatrixSet* set : sets) {
    // With both grids, levels are kept within each one's range (天地图 "c" starts at 1).
    auto level = [&](int z) {
      return z < 0 || sets.size() == 1 ? z : std::clamp(z, set->first_level, set->last_level);
    };
    const fs::path dir = fs::path(root) / set->id;
    fs::create_directories(dir);
    io::write_text_file(dir / "tilematrixset.json", io::tile_matrix_set_json(*set).dump(2) + "\n");
    for (const TileLayerSource& layer : layers) {
      io::TileLayerRequest req;
      req.raster = layer.raster;
      req.full_resolution = layer.full_resolution;
      req.out_dir = (dir / layer.name).string();
      req.set = set;
      req.min_level = level(options.min_zoom);
      req.max_level = level(options.max_zoom);
      req.name = layer.title.empty() ? layer.name : layer.title;
      req.description = "farmwatch " + layer.name + " (" + set->id + ")";
      if (!options.previous_root.empty() && !layer.previous_raster.empty()) {
        req.previous_raster = layer.previous_raster;
        req.previous_dir = (fs::path(options.previous_root) / set->id / layer.name).string();
      }
      const bool shard = options.shards && options.shards->index >= 0;
      if (set == &web_mercator_quad() && !shard)
        req.mbtiles = (dir / (layer.name + ".mbtiles")).string();
      jobs.push_back({set, &layer, std::move(req), {}, {}});
      if (!options.shards) continue;
      Job& j = jobs.back();
      j.shards = *options.shards;
      j.shards.dirs.clear();
      for (const std::string& r : options.shard_roots)
        j.shards.dirs.push_back((fs::path(r) / set->id / layer.name).string());
      // The merge takes a layer from the shards only where every one of them rendered it.
      const bool all = std::all_of(j.shards.dirs.begin(), j.shards.dirs.end(), [](const auto& d) {
        std::error_code ec;
        return fs::exists(fs::path(d) / "tilejson.json", ec);
      });
      if (const auto it = options.shard_sources.find(layer.name); it != options.shard_sources.end())
        j.shards.sources = it->second;
      if (shard || (all && !j.shards.dirs.empty())) j.req.shards = &j.shards;
    }
  }
  // One layer after the other: each renderer is parallel inside, and an imagery layer's
  // MBTiles is held in memory until it is written. Every raster block is read once, so GDAL's
  // block cache stays small (at most 256 MB; setup_gdal's 64 MB by default).
  {
    io::ScopedBlockCache cap(std::min<std::int64_t>(io::ScopedBlockCache::current(), std::int64_t(256) << 20));
    for (Job& j : jobs) j.stats = io::write_tile_layer(j.req, log);
  }
  json out = json::object();
  for (const Job& j : jobs) {
    const io::TileLayerStats& st = j.stats;
    const std::string rel = j.set->id + "/" + j.layer->name;
    json entry = {{"path", rel + "/{z}/{x}/{y}." + st.format},
                  {"tilejson", rel + "/tilejson.json"},
                  {"min_zoom", st.min_level},
                  {"max_zoom", st.max_level},
                  {"tiles", st.written},
                  {"rendered", st.rendered},
                  {"bytes", st.bytes}};
    if (!j.req.mbtiles.empty()) entry["mbtiles"] = rel + ".mbtiles";
    out[j.set->id][j.layer->name] = entry;
  }
  return out;
}

}  // namespace farmwatch::pipeline
