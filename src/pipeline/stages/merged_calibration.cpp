// The merge of a sharded run takes the calibrations the shards fitted (co-registration,
// normalisation, the spectral test: on the same sample windows, so every shard's are the same)
// instead of fitting them again; those three stages do not apply to a merge.
#include "farmwatch/pipeline/shard.h"
#include "stages.h"

namespace farmwatch::pipeline::stages {
namespace {

class MergedCalibration : public Stage {
 public:
  MergedCalibration()
      : Stage("merged_calibration", {Product::inputs},
              {Product::coregistration, Product::normalisation, Product::spectral_test}) {}

 private:
  bool applies(const RunContext& ctx) const override { return ctx.options.merge_shards > 0; }
  void run(RunContext& ctx, const Log&) override {
    restore_calibration(ctx, ctx.options.merge_shards);
  }
};

}  // namespace

std::unique_ptr<Stage> merged_calibration() { return std::make_unique<MergedCalibration>(); }

}  // namespace farmwatch::pipeline::stages
