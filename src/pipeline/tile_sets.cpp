#include "farmwatch/pipeline/tile_sets.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "farmwatch/core/error.h"
#include "farmwatch/io/map_tiles.h"

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
  json out = json::object();
  const auto sets = tile_sets_named(options.grid);
  for (const TileMatrixSet* set : sets) {
    // With both grids, levels are kept within each one's range (天地图 "c" starts at 1).
    auto level = [&](int z) {
      return z < 0 || sets.size() == 1 ? z : std::clamp(z, set->first_level, set->last_level);
    };
    const fs::path dir = fs::path(root) / set->id;
    fs::create_directories(dir);
    {
      const fs::path p = dir / "tilematrixset.json";
      std::ofstream f(p, std::ios::binary | std::ios::trunc);
      f << io::tile_matrix_set_json(*set).dump(2) << "\n";
      f.close();
      if (!f) throw ProcessingError("cannot write '" + p.string() + "' (disk full?)");
    }
    json& per_set = out[set->id] = json::object();
    for (const TileLayerSource& layer : layers) {
      io::TileLayerRequest req;
      req.raster = layer.raster;
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
      const bool mbtiles = set == &web_mercator_quad();
      if (mbtiles) req.mbtiles = (dir / (layer.name + ".mbtiles")).string();
      const auto st = io::write_tile_layer(req, log);
      const std::string rel = set->id + "/" + layer.name;
      json entry = {{"path", rel + "/{z}/{x}/{y}." + st.format},
                    {"tilejson", rel + "/tilejson.json"},
                    {"min_zoom", st.min_level},
                    {"max_zoom", st.max_level},
                    {"tiles", st.written},
                    {"rendered", st.rendered},
                    {"bytes", st.bytes}};
      if (mbtiles) entry["mbtiles"] = rel + ".mbtiles";
      per_set[layer.name] = entry;
    }
  }
  return out;
}

}  // namespace farmwatch::pipeline
