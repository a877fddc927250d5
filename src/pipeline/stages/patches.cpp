// Change patches: polygons, boundary refinement, minimum areas, measurements.
#include <filesystem>

#include "farmwatch/pipeline/shard.h"
#include "stages.h"

namespace farmwatch::pipeline::stages {
namespace {

class Patches : public Stage {
 public:
  Patches()
      : Stage("patches", {Product::workspace, Product::landuse_change, Product::building_change},
              {Product::patches}) {}

 private:
  bool applies(const RunContext& ctx) const override { return ctx.compares_dates(); }
  void run(RunContext& ctx, const Log& log) override {
    io::PatchInputs in = patch_inputs(ctx);
    const auto dir = shard_results_dir(ctx);
    if (const int n = ctx.options.merge_shards;
        n && !ctx.vhr && std::filesystem::exists(dir / ShardId{0, n}.name() / kCellPatchesFile)) {
      // The patches the shards measured within their cells: taken where the sieve left their
      // pixels as they were (io::measure_cell_patches), measured again elsewhere.
      for (int k = 0; k < n; ++k)
        in.measured.push_back((dir / ShardId{k, n}.name() / kCellPatchesFile).string());
    }
    ctx.patches = io::extract_patches(in, log);
  }
};

}  // namespace

io::PatchInputs patch_inputs(const RunContext& ctx) {
  const auto& job = ctx.job;
  io::PatchInputs in;
  in.grid = ctx.grid;
  in.candidates = job.candidates_out;
  in.change = job.change_out;
  in.before_classes = job.landuse_out[0];
  in.after_classes = job.landuse_out[1];
  in.evidence = job.evidence_out;
  in.parcels = job.parcels;
  // A learned model's probability of each pixel's transition (engine/landuse_change.h), for the
  // patches' confidence; none with rule classes.
  if (!job.class_confidence_out.empty() && std::filesystem::exists(job.class_confidence_out))
    in.class_confidence = job.class_confidence_out;
  if (ctx.vhr) in.change_kinds = job.change_kinds_out;
  in.farmland = ctx.farmland ? &*ctx.farmland : nullptr;
  in.rules = &ctx.spec.change.rules;
  in.classes = &ctx.spec.classifier->classes();
  // Boundary refinement (core/patch_refine.h) corrects the rim of patches drawn by class
  // maps, whose mixed pixels take whatever class the mixture resembles. Where the classes are
  // set aside (no DN-to-reflectance rule) and the spectral test ran, it drew every pixel and a
  // projection on the patch's median change only cuts holes in heterogeneous change (a
  // building site of several materials): on the seven OSCD cities pooled F1 is 0.433 without
  // it and was 0.389 with it, Nanjing 0.827 and 0.811. The change vector is written when both dates
  // have a band role in common. The building method's objects are outlined by their own edges: not
  // refined.
  if ((job.classes_reliable || !job.spectral) && !ctx.vhr && !job.delta_out.empty() &&
      std::filesystem::exists(job.delta_out))
    in.delta = job.delta_out;
  in.id_prefix = patch_id_prefix(ctx);
  in.scratch_dir = ctx.out->scratch().string();
  return in;
}

std::unique_ptr<Stage> patches() { return std::make_unique<Patches>(); }

}  // namespace farmwatch::pipeline::stages
