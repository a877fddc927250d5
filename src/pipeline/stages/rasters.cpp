// Land-use, change and scene-source rasters as Cloud-Optimised GeoTIFF in the staging folder.
#include <tbb/parallel_for_each.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <functional>
#include <future>

#include "farmwatch/engine/block_engine.h"
#include "farmwatch/io/cog_writer.h"
#include "farmwatch/io/gis_styles.h"
#include "farmwatch/io/raster_writer.h"
#include "imagery.h"
#include "stages.h"

namespace farmwatch::pipeline::stages {
namespace {

/// Writes the COG of `scratch` at `out`: in a merge, from the tiles its shards encoded
/// (RunContext::cog_tiles), else all of it here. The same bytes either way.
std::function<void()> cog_job(const RunContext& ctx, const std::string& scratch,
                              const io::CogFormat& format, const std::string& out) {
  const auto shards = ctx.cog_tiles.find(scratch);
  if (shards == ctx.cog_tiles.end())
    return [=] { io::write_cog_of(scratch, format, out); };
  return [=, stores = shards->second] { io::assemble_cog(scratch, format, stores, out); };
}

/// The conversions of start_rasters, in the order their files are listed.
struct Conversions {
  std::vector<std::function<void()>> jobs;
  std::vector<std::string> files;
  std::vector<TileLayerSource> tile_layers;
};

Conversions early_conversions(const RunContext& ctx) {
  Conversions c;
  const auto& staging = ctx.out->staging();
  auto publish = [&](const std::string& scratch, const std::string& name,
                     const std::string& tiles_folder) {
    c.jobs.emplace_back(cog_job(ctx, scratch, io::kClassMapCog, (staging / name).string()));
    c.files.push_back(name);
    if (!tiles_folder.empty()) c.tile_layers.push_back({name, tiles_folder, tiles_folder, "", ""});
  };
  if (ctx.spec.outputs.landuse)
    for (std::size_t i = 0; i < ctx.spec.dates.size(); ++i) {
      const std::string layer = "landuse_" + ctx.spec.dates[i].date;
      publish(ctx.job.landuse_out[i], layer + ".tif", layer);
    }
  for (std::size_t i = 0; i < ctx.job.source_out.size(); ++i)
    if (!ctx.job.source_out[i].empty())
      publish(ctx.job.source_out[i], "source_" + ctx.spec.dates[i].date + ".tif", "");
  for (std::size_t i = 0; i < ctx.imagery.size(); ++i) {
    if (ctx.imagery[i].empty()) continue;
    const std::string& date = ctx.spec.dates[i].date;
    const std::string name = "imagery_" + date + ".tif";
    // A merge's imagery is the shards' already (a virtual raster over their pieces).
    c.jobs.emplace_back([&job = ctx.job, i, imagery = ctx.imagery[i], date,
                         publish = cog_job(ctx, ctx.imagery[i], io::kImageryCog,
                                           (staging / name).string())] {
      if (!std::filesystem::exists(imagery))
        write_imagery(job.rgb_out[i], imagery_stretch(job, i), imagery, date);
      publish();
    });
    c.files.push_back(name);
    // The deepest tiles are made from the uncompressed imagery, not the JPEG COG: one JPEG
    // generation fewer, and what a shard has of its cells.
    const std::string folder = "imagery_" + date;
    c.tile_layers.push_back({name, folder, folder, "", ctx.imagery[i]});
  }
  return c;
}

/// Runs conversions side by side (GDAL compresses a file's blocks on several threads but
/// builds its overviews on one); the first failure is rethrown once all have ended.
void convert_all(const std::vector<std::function<void()>>& jobs) {
  tbb::parallel_for_each(jobs.begin(), jobs.end(),
                         [](const std::function<void()>& convert) { convert(); });
}

class StartRasters : public Stage {
 public:
  StartRasters()
      : Stage("start_rasters", {Product::workspace, Product::landuse_change},
              {Product::early_rasters}) {}

 private:
  bool applies(const RunContext& ctx) const override { return ctx.spec.outputs.rasters; }
  void run(RunContext& ctx, const Log&) override {
    // With one thread asked for, the rasters stage converts them itself, later.
    if (engine::ThreadLimit::current() < 2) return;
    // Paths by value; the imagery's reads ctx.job, which outlives the conversions (the
    // rasters stage joins them, a failed run waits for them: RunContext::early_rasters).
    auto jobs = early_conversions(ctx).jobs;
    ctx.early_rasters = std::async(std::launch::async, [jobs = std::move(jobs)] {
      // Its own arena: the patches stage's parallel loops do not wait on these tasks.
      tbb::task_arena arena;
      arena.execute([&] { convert_all(jobs); });
    });
  }
};

class Rasters : public Stage {
 public:
  // patches: the change raster is published once patches below the minimum area are cleared
  // from it.
  Rasters()
      : Stage("rasters",
              {Product::workspace, Product::early_rasters, Product::landuse_change,
               Product::patches},
              {Product::rasters}) {}

 private:
  bool applies(const RunContext& ctx) const override { return ctx.spec.outputs.rasters; }
  void run(RunContext& ctx, const Log&) override {
    const auto& staging = ctx.out->staging();
    const Conversions early = early_conversions(ctx);
    if (ctx.early_rasters.valid())
      ctx.early_rasters.get();
    else
      convert_all(early.jobs);
    for (const auto& f : early.files) ctx.files.push_back(f);
    for (const auto& l : early.tile_layers) ctx.tile_layers.push_back(l);
    if (ctx.compares_dates()) {
      cog_job(ctx, ctx.job.change_out, io::kClassMapCog, (staging / "change.tif").string())();
      ctx.files.push_back("change.tif");
      ctx.tile_layers.push_back({"change.tif", "change", "change", "", ""});
    }
    // Class names, colours (no change transparent) and a QGIS style beside each class map.
    const auto landuse = io::class_entries(ctx.spec.classifier->classes());
    if (ctx.spec.outputs.landuse)
      for (const auto& d : ctx.spec.dates) {
        io::describe_class_raster((staging / ("landuse_" + d.date + ".tif")).string(), landuse);
        ctx.files.push_back("landuse_" + d.date + ".qml");
        ctx.files.push_back("landuse_" + d.date + ".tif.aux.xml");
      }
    if (ctx.compares_dates()) {
      io::describe_class_raster((staging / "change.tif").string(), io::change_entries());
      ctx.files.push_back("change.qml");
      ctx.files.push_back("change.tif.aux.xml");
    }
  }
};

}  // namespace

std::unique_ptr<Stage> start_rasters() { return std::make_unique<StartRasters>(); }
std::unique_ptr<Stage> rasters() { return std::make_unique<Rasters>(); }

}  // namespace farmwatch::pipeline::stages
