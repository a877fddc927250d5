// Everything a run needs is checked before the first pixel is read, so a nightly job fails in
// the first second with one clear message, and no output is touched.
#include <cmath>

#include "farmwatch/core/error.h"
#include "farmwatch/io/spatial_ref.h"
#include "stages.h"

namespace farmwatch::pipeline::stages {
namespace {

Grid resolve_grid(const PipelineSpec& spec, const std::vector<io::ImageInfo>& images) {
  const GridSpec& gs = spec.grid;
  const Grid& first = images.front().grid;
  const std::string where = spec.file.empty() ? "grid" : spec.file + ": grid";
  if (!gs.crs && !gs.resolution && !gs.extent) return first;  // the first image's own grid
  const std::string crs = gs.crs ? io::crs_from_user(*gs.crs) : first.crs_wkt;
  double res = 0;
  if (gs.resolution)
    res = *gs.resolution;
  else if (io::same_crs(crs, first.crs_wkt))
    res = std::fabs(first.res());
  else
    throw ConfigError(where + ".resolution is required when grid.crs differs from the CRS of '" +
                      images.front().path + "'");
  Box box;
  if (gs.extent) {
    box = *gs.extent;
  } else {
    box = io::transform_box(first.extent(), first.crs_wkt, crs);
    for (const auto& im : images)
      box = box.intersect(io::transform_box(im.grid.extent(), im.grid.crs_wkt, crs));
    if (box.empty())
      throw InputError("the images do not overlap: '" + images.front().path + "' and '" +
                       images.back().path + "' have no area in common");
  }
  return Grid::snapped(box, res, crs);
}

class Validate : public Stage {
 public:
  Validate() : Stage("validate") {}

 private:
  void run(RunContext& ctx, const Log& log) override {
    const auto& spec = ctx.spec;
    const auto required = spec.classifier->required_roles();
    for (const auto& d : spec.dates) ctx.images.push_back(io::inspect_image(d.image, required));
    ctx.grid = resolve_grid(spec, ctx.images);
    if (ctx.grid.width <= 0 || ctx.grid.height <= 0)
      throw InputError("the analysis grid is empty: check grid.extent and grid.resolution");
    const Box ge = ctx.grid.extent();
    for (const auto& im : ctx.images)
      if (io::transform_box(im.grid.extent(), im.grid.crs_wkt, ctx.grid.crs_wkt)
              .intersect(ge)
              .empty())
        throw InputError("raster '" + im.path + "' does not overlap the analysis grid");
    if (spec.farmland) {
      ctx.farmland = io::FarmlandLayer::load(*spec.farmland, ctx.grid.crs_wkt);
      if (ctx.farmland->extent().intersect(ge).empty())
        throw InputError("farmland layer '" + spec.farmland->path +
                         "' does not overlap the imagery (analysis grid " +
                         io::crs_label(ctx.grid.crs_wkt) + ")");
      log.info("farmland: " + std::to_string(ctx.farmland->size()) + " parcels from " +
               spec.farmland->path);
    }
    log.info("analysis grid: " + std::to_string(ctx.grid.width) + " x " +
             std::to_string(ctx.grid.height) + " at " + std::to_string(ctx.grid.res()) + ", " +
             io::crs_label(ctx.grid.crs_wkt));
  }
};

}  // namespace

std::unique_ptr<Stage> validate() { return std::make_unique<Validate>(); }

}  // namespace farmwatch::pipeline::stages
