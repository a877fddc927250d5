#include "farmwatch/pipeline/steps/tiles.h"

#include "farmwatch/engine/block_engine.h"
#include "farmwatch/io/xyz_tiles.h"
#include "farmwatch/pipeline/output_dir.h"

namespace farmwatch::pipeline {

const ParamSet& TilesParams::params() {
  using P = TilesParams;
  static const ParamSet set =
      Params<P>("tiles")
          .path("in", &P::in, "paletted single-band raster (e.g. landuse_<date>.tif, change.tif)",
                true)
          .path("out", &P::out, "output folder (z/x/y.png)", true)
          .integer("min_zoom", &P::min_zoom, "lowest zoom (-1: max - 4)", {-1, 24})
          .default_value(-1)
          .integer("max_zoom", &P::max_zoom, "highest zoom (-1: matches the raster's resolution)",
                   {-1, 24})
          .default_value(-1)
          .set();
  return set;
}

TilesResult tiles(const TilesParams& p, const StepEnv& env) {
  const engine::ThreadLimit threads(env.threads);
  StagedDir staged(p.out);
  io::TileRequest req;
  req.raster = p.in;
  req.min_zoom = p.min_zoom;
  req.max_zoom = p.max_zoom;
  req.out_dir = staged.staging().string();
  const auto stats = io::write_xyz_tiles(req, env.log);
  staged.commit();
  return {staged.target().string(), stats.written, stats.min_zoom, stats.max_zoom};
}

}  // namespace farmwatch::pipeline
