// The streaming per-pixel stage: classify each date and compare them, block by block.
#include "farmwatch/io/change_sieve.h"
#include "stages.h"

namespace farmwatch::pipeline::stages {
namespace {

class Classify : public Stage {
 public:
  Classify() : Stage("classify") {}

 private:
  void run(RunContext& ctx, const Log& log) override {
    engine::EngineOptions opt;
    opt.block_size = ctx.spec.block_size;
    ctx.pixels = engine::run_landuse_change(ctx.job, opt, log);
    if (ctx.job.spectral && !ctx.job.change_out.empty())
      ctx.pixels.change_pixels =
          io::sieve_change(ctx.job.change_out, ctx.job.candidates_out, kMinChangePixels);
  }
};

}  // namespace

std::unique_ptr<Stage> classify() { return std::make_unique<Classify>(); }

}  // namespace farmwatch::pipeline::stages
