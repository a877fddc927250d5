// Tiles of every published raster, in each tile matrix set asked for (一张图).
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
    std::vector<TileLayerSource> layers;
    for (const auto& [raster, folder] : ctx.tile_layers)
      layers.push_back({(staging / raster).string(), folder, folder, ""});
    TileSetOptions opt;
    opt.grid = ctx.spec.outputs.tile_grid;
    opt.min_zoom = ctx.spec.outputs.min_zoom;
    opt.max_zoom = ctx.spec.outputs.max_zoom;
    ctx.tiles = write_tile_sets(layers, (staging / "tiles").string(), opt, log);
  }
};

}  // namespace

std::unique_ptr<Stage> tiles() { return std::make_unique<Tiles>(); }

}  // namespace farmwatch::pipeline::stages
