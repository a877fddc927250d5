// Cloud screening: each scene's share of cloud on the grid is estimated on sample windows
// from its quality layer (or the spectral test), and a scene clouded over more than the
// date's max_cloud is skipped before anything is warped in full. Skipping is not a failure:
// the scene is recorded with its share, and the pixel-wise mask handles partial cloud.
#include <tbb/parallel_for.h>

#include <cmath>

#include "farmwatch/core/error.h"
#include "sampling.h"
#include "stages.h"

namespace farmwatch::pipeline::stages {
namespace {

constexpr int kWindow = 256;

struct Counts {
  std::int64_t clear = 0, cloud = 0;
};

Counts sample_clouds(const io::ImageInfo& scene, const Grid& grid) {
  const auto windows = sample_windows(io::footprint_on(scene, grid), kWindow);
  std::vector<Counts> per(windows.size());
  tbb::parallel_for(std::size_t(0), windows.size(), [&](std::size_t k) {
    io::GridReader reader(scene, grid, io::Resampling::reflectance);
    ReflectanceBlock block;
    std::vector<PixelState> state;
    reader.read_reflectance(windows[k], block, &state);
    for (auto s : state) {
      per[k].clear += s == PixelState::clear;
      per[k].cloud += s == PixelState::cloud;
    }
  });
  Counts total;
  for (const auto& c : per) {
    total.clear += c.clear;
    total.cloud += c.cloud;
  }
  return total;
}

class Screen : public Stage {
 public:
  Screen() : Stage("screen", {Product::inputs}, {}) {}

 private:
  void run(RunContext& ctx, const Log& log) override {
    for (std::size_t i = 0; i < ctx.images.size(); ++i) {
      auto& scenes = ctx.images[i].scenes;
      const double limit = ctx.spec.dates[i].max_cloud;
      for (auto it = scenes.begin(); it != scenes.end();) {
        auto& report = scene_report(ctx, i, it->path);
        if (it->is_class_map || it->quality_kind == QualityKind::none) {
          ++it;
          continue;
        }
        const Counts c = sample_clouds(*it, ctx.grid);
        const std::int64_t seen = c.clear + c.cloud;
        const double share = seen ? static_cast<double>(c.cloud) / static_cast<double>(seen) : 0;
        report["cloud_share_sampled"] = std::round(share * 1e4) / 1e4;
        if (seen == 0 || share <= limit) {
          ++it;
          continue;
        }
        const std::string why = "cloudy: " + std::to_string(std::lround(share * 100)) +
                                " % of its sampled pixels on the grid are cloud or shadow (" +
                                quality_name(it->quality_kind) + "; max_cloud " +
                                std::to_string(std::lround(limit * 100)) + " %)";
        report["status"] = "skipped";
        report["reason"] = why;
        log.warn("scene '" + it->path + "' skipped: " + why);
        it = scenes.erase(it);
      }
      if (scenes.empty()) throw no_usable_scene(ctx, i);
    }
  }
};

}  // namespace

std::unique_ptr<Stage> screen() { return std::make_unique<Screen>(); }

}  // namespace farmwatch::pipeline::stages
