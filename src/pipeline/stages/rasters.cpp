// Land-use, change and scene-source rasters as Cloud-Optimised GeoTIFF in the staging folder.
#include <tbb/parallel_for_each.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <functional>
#include <future>

#include "farmwatch/engine/block_engine.h"
#include "farmwatch/io/gis_styles.h"
#include "farmwatch/io/raster_writer.h"
#include "stages.h"

namespace farmwatch::pipeline::stages {
namespace {

/// The reflectance below which `share` of the pixels lie (histogram of value x 10000).
double percentile(const std::vector<std::int64_t>& h, double share) {
  std::int64_t total = 0;
  for (auto n : h) total += n;
  std::int64_t seen = 0;
  for (std::size_t v = 0; v < h.size(); ++v) {
    seen += h[v];
    if (static_cast<double>(seen) >= share * static_cast<double>(total)) return double(v);
  }
  return double(h.size() - 1);
}

/// imagery_<date>.tif: true colour as 8-bit RGBA, one linear stretch per band for the whole
/// scene (2 % to 98 % of its pixels), so tiles and chips of the date join; alpha 0 where the
/// date has no data.
void write_imagery(const std::string& rgb, const std::array<std::vector<std::int64_t>, 3>& hist,
                   const std::string& out, const std::string& date) {
  io::BlockRasterReader in(rgb);
  io::RasterLayout l;
  l.grid = in.grid();
  l.bands = 4;
  l.compress = "NONE";
  l.metadata["FARMWATCH_LAYER"] = "imagery";
  std::array<double, 3> lo{}, hi{};
  std::string stretch;
  const char* names[3] = {"Red", "Green", "Blue"};
  for (int b = 0; b < 3; ++b) {
    lo[b] = percentile(hist[b], 0.02);
    hi[b] = std::max(lo[b] + 1, percentile(hist[b], 0.98));
    stretch += std::string(b ? ", " : "") + names[b] + " " + std::to_string(lo[b] / 1e4) + "-" +
               std::to_string(hi[b] / 1e4);
    l.band_info.push_back({std::string(names[b]) + " (true colour " + date + ")", std::nullopt,
                           std::nullopt, std::nullopt, names[b], {}});
  }
  l.band_info.push_back({"alpha: 0 no data", std::nullopt, std::nullopt, std::nullopt, "Alpha", {}});
  l.metadata["FARMWATCH_STRETCH"] = "reflectance " + stretch;
  io::BlockRasterWriter w(out, l);
  // The stretch of every 16-bit value, per band, looked up (a province's imagery is billions of
  // pixels).
  std::array<std::vector<std::uint8_t>, 3> stretched;
  for (int b = 0; b < 3; ++b) {
    const double scale = 255.0 / (hi[b] - lo[b]);
    stretched[b].resize(65536);
    for (std::size_t v = 0; v < 65536; ++v)
      stretched[b][v] = static_cast<std::uint8_t>(
          std::clamp((static_cast<double>(v) - lo[b]) * scale + 0.5, 0.0, 255.0));
  }
  std::vector<std::uint16_t> v;
  std::vector<std::uint8_t> o, alpha;
  for (const Window& win : l.grid.blocks(l.grid.width, 256)) {
    const std::size_t n = static_cast<std::size_t>(win.pixels());
    alpha.assign(n, 255);
    for (int b = 0; b < 3; ++b) {
      v.resize(n);
      o.resize(n);
      in.read(win, b + 1, io::PixelType::u16, v.data());
      const std::uint8_t* lut = stretched[b].data();
      for (std::size_t k = 0; k < n; ++k) {
        if (!v[k]) alpha[k] = 0;
        o[k] = lut[v[k]];
      }
      w.write(win, o.data(), b + 1);
    }
    w.write(win, alpha.data(), 4);
  }
  w.close();
}

/// The conversions of start_rasters, in the order their files are listed.
struct Conversions {
  std::vector<std::function<void()>> jobs;
  std::vector<std::string> files;
  std::vector<std::pair<std::string, std::string>> tile_layers;  ///< (raster, tiles folder)
};

Conversions early_conversions(const RunContext& ctx) {
  Conversions c;
  const auto& staging = ctx.out->staging();
  auto publish = [&](const std::string& scratch, const std::string& name,
                     const std::string& tiles_folder) {
    c.jobs.emplace_back([scratch, out = (staging / name).string()] {
      io::write_cog(scratch, out, "NEAREST");
    });
    c.files.push_back(name);
    if (!tiles_folder.empty()) c.tile_layers.emplace_back(name, tiles_folder);
  };
  if (ctx.spec.outputs.landuse)
    for (std::size_t i = 0; i < ctx.spec.dates.size(); ++i) {
      const std::string layer = "landuse_" + ctx.spec.dates[i].date;
      publish(ctx.job.landuse_out[i], layer + ".tif", layer);
    }
  for (std::size_t i = 0; i < ctx.job.source_out.size(); ++i)
    if (!ctx.job.source_out[i].empty())
      publish(ctx.job.source_out[i], "source_" + ctx.spec.dates[i].date + ".tif", "");
  for (std::size_t i = 0; i < ctx.job.rgb_out.size(); ++i) {
    if (ctx.job.rgb_out[i].empty() || i >= ctx.pixels.rgb_histograms.size()) continue;
    const std::string& date = ctx.spec.dates[i].date;
    const std::string name = "imagery_" + date + ".tif";
    c.jobs.emplace_back([rgb = ctx.job.rgb_out[i], hist = ctx.pixels.rgb_histograms[i],
                         scratch = (ctx.out->scratch() / name).string(),
                         out = (staging / name).string(), date] {
      write_imagery(rgb, hist, scratch, date);
      // JPEG: a tenth of DEFLATE's bytes for a photograph; the alpha band becomes a mask.
      io::write_cog(scratch, out, "AVERAGE", "JPEG");
    });
    c.files.push_back(name);
    c.tile_layers.emplace_back(name, "imagery_" + date);
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
    auto jobs = early_conversions(ctx).jobs;  // copies of paths and histograms only
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
      io::write_cog(ctx.job.change_out, (staging / "change.tif").string(), "NEAREST");
      ctx.files.push_back("change.tif");
      ctx.tile_layers.emplace_back("change.tif", "change");
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
