#include "farmwatch/pipeline/steps/tiles.h"

#include <filesystem>

#include "farmwatch/engine/block_engine.h"
#include "farmwatch/pipeline/output_dir.h"
#include "farmwatch/pipeline/tile_sets.h"

namespace farmwatch::pipeline {

const ParamSet& TilesParams::params() {
  using P = TilesParams;
  static const ParamSet set =
      Params<P>("tiles")
          .path("in", &P::in,
                "class raster (one Byte band, e.g. landuse_<date>.tif, change.tif) or RGB(A) "
                "Byte image",
                true)
          .path("out", &P::out, "output folder (<grid>/<layer>/{z}/{x}/{y}.png)", true)
          .integer("min_zoom", &P::min_zoom, "coarsest level (-1: max - 6)", {-1, 24})
          .default_value(-1)
          .integer("max_zoom", &P::max_zoom, "deepest level (-1: matches the raster's resolution)",
                   {-1, 24})
          .default_value(-1)
          .choice("grid", &P::grid, tile_grid_choices(),
                  "tile matrix sets: Web Mercator XYZ, 天地图 \"c\" (CGCS2000, levels from 1) "
                  "or both")
          .default_value("both")
          .path("previous", &P::previous,
                "the raster the tiles in --out were made from: only tiles over pixels that "
                "differ are rendered again")
          .set();
  return set;
}

TilesResult tiles(const TilesParams& p, const StepEnv& env) {
  namespace fs = std::filesystem;
  const engine::ThreadLimit threads(env.threads);
  check_output_folder(p.out, {p.in, p.previous});
  StagedDir staged(p.out);
  // An update keeps the layer's name: the new raster's if DIR has that layer, else the
  // previous raster's.
  std::string layer = fs::path(p.in).stem().string();
  if (!p.previous.empty()) {
    const std::string old = fs::path(p.previous).stem().string();
    std::error_code ec;
    bool have_new = false, have_old = false;
    for (const TileMatrixSet* set : tile_sets_named(p.grid)) {
      have_new = have_new || fs::exists(fs::path(p.out) / set->id / layer, ec);
      have_old = have_old || fs::exists(fs::path(p.out) / set->id / old, ec);
    }
    if (!have_new && have_old) layer = old;
  }
  TileSetOptions opt;
  opt.grid = p.grid;
  opt.min_zoom = p.min_zoom;
  opt.max_zoom = p.max_zoom;
  std::error_code ec;
  if (!p.previous.empty() && fs::is_directory(p.out, ec)) opt.previous_root = p.out;
  const auto sets =
      write_tile_sets({{p.in, layer, layer, p.previous, ""}}, staged.staging().string(), opt, env.log);
  staged.commit();
  return {staged.target().string(), sets};
}

}  // namespace farmwatch::pipeline
