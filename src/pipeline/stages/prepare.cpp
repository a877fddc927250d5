// The staging folder for outputs, and the scratch rasters the per-pixel stage writes.
#include "farmwatch/io/gdal_setup.h"
#include "farmwatch/pipeline/shard.h"
#include "stages.h"

namespace farmwatch::pipeline::stages {
namespace {
namespace fs = std::filesystem;

class Prepare : public Stage {
 public:
  Prepare() : Stage("prepare", {Product::inputs, Product::spectral_test}, {Product::workspace}) {}

 private:
  void run(RunContext& ctx, const Log&) override {
    io::honour_source_date_epoch();
    // A shard's result is its per-pixel rasters, kept in its own folder for the merge.
    const auto& shard = ctx.options.shard;
    ctx.out = std::make_unique<StagedDir>(
        shard ? shard_results_dir(ctx) / shard->name()
              : fs::path(ctx.options.out_dir.value_or(ctx.spec.outputs.dir)));
    const auto& scratch = shard ? ctx.out->staging() : ctx.out->scratch();
    auto& job = ctx.job;
    job.grid = ctx.grid;
    job.images = ctx.images;
    job.classifier = ctx.spec.classifier.get();
    for (std::size_t i = 0; i < ctx.spec.dates.size(); ++i) {
      const auto& d = ctx.spec.dates[i];
      job.landuse_out.push_back((scratch / ("landuse_" + d.date + ".tif")).string());
      // Which scene each pixel came from, where a date has several.
      const bool mosaic = d.scenes.size() > 1 && !ctx.images[i].is_class_map();
      job.source_out.push_back(mosaic ? (scratch / ("source_" + d.date + ".tif")).string() : "");
      // True colour: the one map's imagery layer and the report's chips.
      job.rgb_out.push_back(!ctx.images[i].is_class_map()
                                ? (scratch / ("rgb_" + d.date + ".tif")).string()
                                : "");
      ctx.imagery.push_back(job.rgb_out.back().empty()
                                ? ""
                                : (scratch / ("imagery_" + d.date + ".tif")).string());
    }
    if (!ctx.compares_dates()) return;
    ctx.kernel = std::make_unique<ChangeKernel>(
        ctx.spec.classifier->classes(), ctx.spec.change.rules, ctx.spec.change.spectral_scale);
    job.change = ctx.kernel.get();
    job.spectral = ctx.spectral ? &*ctx.spectral : nullptr;
    for (const auto& m : ctx.images)
      for (const auto& s : m.scenes) job.classes_reliable = job.classes_reliable && !s.relative;
    job.change_out = (scratch / "change.tif").string();
    job.candidates_out = (scratch / "candidates.tif").string();
    job.evidence_out = (scratch / "evidence.tif").string();
    job.change_kinds_out = (scratch / "change_kinds.tif").string();
    // With a learned model: the probability of each pixel's transition, from its votes.
    if (!ctx.spec.model.empty())
      job.class_confidence_out = (scratch / "class_confidence.tif").string();
    if (!ctx.images[0].is_class_map() && !ctx.images[1].is_class_map() && !ctx.vhr)
      job.delta_out = (scratch / "delta.tif").string();
    if (ctx.farmland) job.parcels = (ctx.out->scratch() / "parcels.tif").string();
  }
};

}  // namespace

std::unique_ptr<Stage> prepare() { return std::make_unique<Prepare>(); }

}  // namespace farmwatch::pipeline::stages
