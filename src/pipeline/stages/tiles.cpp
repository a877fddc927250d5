// XYZ tiles of every published raster, for web maps (一张图).
#include "farmwatch/io/xyz_tiles.h"
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
    for (const auto& [raster, folder] : ctx.tile_layers) {
      const io::TileRequest req{(staging / raster).string(), (staging / "tiles" / folder).string(),
                                ctx.spec.outputs.min_zoom, ctx.spec.outputs.max_zoom};
      const auto ts = io::write_xyz_tiles(req, log);
      ctx.tiles[folder] = {{"path", "tiles/" + folder + "/{z}/{x}/{y}.png"},
                           {"min_zoom", ts.min_zoom},
                           {"max_zoom", ts.max_zoom},
                           {"tiles", ts.written}};
    }
  }
};

}  // namespace

std::unique_ptr<Stage> tiles() { return std::make_unique<Tiles>(); }

}  // namespace farmwatch::pipeline::stages
