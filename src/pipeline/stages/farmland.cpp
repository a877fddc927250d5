// Farmland parcels burnt onto the analysis grid (parcel index per pixel), for the comparison.
#include "stages.h"

namespace farmwatch::pipeline::stages {
namespace {

class Farmland : public Stage {
 public:
  Farmland() : Stage("farmland", {Product::inputs, Product::workspace}, {Product::farmland_raster}) {}

 private:
  bool applies(const RunContext& ctx) const override { return !ctx.job.parcels.empty(); }
  void run(RunContext& ctx, const Log&) override {
    ctx.farmland->rasterize(ctx.grid, ctx.job.parcels);
  }
};

}  // namespace

std::unique_ptr<Stage> farmland() { return std::make_unique<Farmland>(); }

}  // namespace farmwatch::pipeline::stages
