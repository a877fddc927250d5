#pragma once
// The tiles of the one map (一张图): every layer of a run or a night in each tile matrix set
// asked for, as z/x/y folders, TileJSON, MBTiles and the sets' OGC TileMatrixSet documents.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "farmwatch/core/log.h"
#include "farmwatch/core/tile_matrix_set.h"
#include "farmwatch/io/map_tiles.h"

namespace farmwatch::pipeline {

/// The sets a `grid` value names: "webmercator", "tianditu-c" or "both". ConfigError otherwise.
std::vector<const TileMatrixSet*> tile_sets_named(const std::string& grid);
/// The values `grid` takes.
inline const std::vector<std::string>& tile_grid_choices() {
  static const std::vector<std::string> c = {"both", "webmercator", "tianditu-c"};
  return c;
}

struct TileLayerSource {
  std::string raster;           ///< class raster or RGB(A) imagery (see io::write_tile_layer)
  std::string name;             ///< folder name, e.g. "landuse_2024-08-20"
  std::string title;            ///< what a viewer calls it, e.g. "土地利用 2024-08-20"
  /// Incremental: the raster the previous set's tiles of this layer were made from.
  std::string previous_raster;
  /// io::TileLayerRequest::full_resolution.
  std::string full_resolution;
};

struct TileSetOptions {
  std::string grid = "both";
  int min_zoom = -1, max_zoom = -1;  ///< -1: from each raster's resolution
  std::string previous_root;         ///< incremental: the previous `root` (tiles/ folder)
  /// A sharded run (io::TileShards; `dirs` unset): with `shards->index` >= 0 that shard's
  /// tiles of the layers given (no MBTiles); with -1 the merge, which takes shard k's tiles of
  /// a layer from `shard_roots[k]` (the shard's `root`) where every shard has that layer.
  std::optional<io::TileShards> shards;
  std::vector<std::string> shard_roots;
  /// The merge: per layer name, what its shards rendered it from where that may differ from
  /// the layer's raster (io::TileShards::sources).
  std::map<std::string, std::vector<std::string>> shard_sources;
};

/// Writes, under `root`: <set>/<layer>/{z}/{x}/{y}.png and <set>/<layer>/tilejson.json for each
/// layer and set, <set>/tilematrixset.json, and webmercator/<layer>.mbtiles. Returns
/// {set: {layer: {path, tilejson, mbtiles, min_zoom, max_zoom, tiles, rendered, bytes}}}.
/// Errors as io::write_tile_layer.
nlohmann::json write_tile_sets(const std::vector<TileLayerSource>& layers,
                               const std::string& root, const TileSetOptions& options,
                               const Log& log);

}  // namespace farmwatch::pipeline
