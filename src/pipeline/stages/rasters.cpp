// Land-use, change and scene-source rasters as Cloud-Optimised GeoTIFF in the staging folder.
#include "farmwatch/io/raster_writer.h"
#include "stages.h"

namespace farmwatch::pipeline::stages {
namespace {

class Rasters : public Stage {
 public:
  Rasters() : Stage("rasters", {Product::workspace, Product::landuse_change}, {Product::rasters}) {}

 private:
  void run(RunContext& ctx, const Log&) override {
    const auto& staging = ctx.out->staging();
    auto publish = [&](const std::string& scratch, const std::string& name,
                       const std::string& tiles_folder) {
      io::write_cog(scratch, (staging / name).string(), "NEAREST");
      ctx.files.push_back(name);
      if (!tiles_folder.empty()) ctx.tile_layers.emplace_back(name, tiles_folder);
    };
    if (ctx.spec.outputs.landuse)
      for (std::size_t i = 0; i < ctx.spec.dates.size(); ++i) {
        const std::string layer = "landuse_" + ctx.spec.dates[i].date;
        publish(ctx.job.landuse_out[i], layer + ".tif", layer);
      }
    for (std::size_t i = 0; i < ctx.job.source_out.size(); ++i)
      if (!ctx.job.source_out[i].empty())
        publish(ctx.job.source_out[i], "source_" + ctx.spec.dates[i].date + ".tif", "");
    if (ctx.compares_dates()) publish(ctx.job.change_out, "change.tif", "change");
  }
};

}  // namespace

std::unique_ptr<Stage> rasters() { return std::make_unique<Rasters>(); }

}  // namespace farmwatch::pipeline::stages
