// Tiles of every published raster, in each tile matrix set asked for (一张图).
#include "farmwatch/pipeline/shard.h"
#include "farmwatch/pipeline/tile_sets.h"
#include "stages.h"

namespace farmwatch::pipeline::stages {
namespace {

class Tiles : public Stage {
 public:
  Tiles() : Stage("tiles", {Product::rasters}, {Product::tiles}) {}

 private:
  bool applies(const RunContext& ctx) const override { return ctx.spec.outputs.tiles; }
  void run(RunContext& ctx, const Log& log) override {
    const auto& staging = ctx.out->staging();
    std::vector<TileLayerSource> layers = ctx.tile_layers;
    for (auto& l : layers) l.raster = (staging / l.raster).string();
    TileSetOptions opt;
    opt.grid = ctx.spec.outputs.tile_grid;
    opt.min_zoom = ctx.spec.outputs.min_zoom;
    opt.max_zoom = ctx.spec.outputs.max_zoom;
    if (const int n = ctx.options.merge_shards) {
      // The shards rendered their land-use and imagery tiles over their own cells
      // (stages/classify.cpp).
      check_shard_tiles(ctx, n);
      const ShardCells sc = recorded_cells(ctx, n);
      opt.shards = tile_shards(ctx.grid, shard_cell_size(ctx.grid, n), sc.cells, sc.owner, -1);
      // Their change tiles come from the change their cells alone give (a listed output of
      // each result, checked with the others): the merge renders again those over pixels its
      // own change.tif has otherwise.
      std::vector<std::string>& cell_change = opt.shard_sources["change"];
      for (int k = 0; k < n; ++k) {
        const auto result = shard_results_dir(ctx) / ShardId{k, n}.name();
        opt.shard_roots.push_back(shard_tiles_root(result).string());
        cell_change.push_back((result / kCellChangeFile).string());
      }
    }
    ctx.tiles = write_tile_sets(layers, (staging / "tiles").string(), opt, log);
  }
};

}  // namespace

std::unique_ptr<Stage> tiles() { return std::make_unique<Tiles>(); }

}  // namespace farmwatch::pipeline::stages
