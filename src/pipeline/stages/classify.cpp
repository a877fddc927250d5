// The streaming per-pixel stage: classify each date and compare them, block by block.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>

#include "farmwatch/core/calendar.h"
#include "farmwatch/engine/landuse_change.h"
#include "farmwatch/engine/model_classify.h"
#include "farmwatch/io/change_sieve.h"
#include "farmwatch/io/cog_writer.h"
#include "farmwatch/io/geodesic.h"
#include "farmwatch/io/gis_styles.h"
#include "farmwatch/io/patches.h"
#include "farmwatch/pipeline/shard.h"
#include "farmwatch/pipeline/tile_sets.h"
#include "imagery.h"
#include "stages.h"

namespace farmwatch::pipeline::stages {
namespace {

class Classify : public Stage {
 public:
  Classify()
      : Stage("classify", {Product::inputs, Product::workspace, Product::farmland_raster},
              {Product::landuse_change}) {}

 private:
  void run(RunContext& ctx, const Log& log) override {
    engine::EngineOptions opt;
    opt.block_size = ctx.spec.block_size;
    if (const int n = ctx.options.merge_shards) {
      // The merge: the shards did this pass, each over its cells.
      ctx.pixels = merge_shard_results(ctx, n);
      log.info("joined the per-pixel results of " + std::to_string(n) + " shard(s) from " +
               shard_results_dir(ctx).string());
    } else {
      std::optional<ShardPlan> plan;
      if (const auto& shard = ctx.options.shard) {
        plan = plan_shards(ctx, shard->count);
        opt.windows = plan->windows(shard->index, opt.block_size);
        log.info("shard " + shard->label() + ": " + std::to_string(opt.windows->size()) +
                 " windows in cells of " + std::to_string(plan->cell) + " pixels");
      }
      if (!ctx.spec.model.empty()) model_votes(ctx, opt, log);
      ctx.pixels = engine::run_landuse_change(ctx.job, opt, log);
      if (plan) {
        std::vector<Window> mine;
        for (std::size_t c = 0; c < plan->cells.size(); ++c)
          if (plan->owner[c] == ctx.options.shard->index) mine.push_back(plan->cells[c]);
        if (ctx.job.spectral && !ctx.job.change_out.empty())
          if (const auto screening = cloud_screening(ctx)) {
            // The sieve joins regions across cells: the merge runs it, with what this shard's
            // cells tell its cloud screening.
            io::measure_cell_sky(ctx.job.change_out, ctx.job.candidates_out, *screening, mine,
                                 (ctx.out->staging() / kCellSkyFile).string());
          }
        // The patches within its cells, measured for the merge (the building method's kinds
        // come after this pass: its patches are the merge's), on the change its cells alone
        // give: sieved as the merge sieves, then marked with those patches.
        std::string cell_change;
        if (ctx.compares_dates() && !ctx.vhr && !ctx.job.change_out.empty()) {
          cell_change = (ctx.out->staging() / kCellChangeFile).string();
          const std::string cell_candidates = (ctx.out->scratch() / "cell_candidates.tif").string();
          for (const auto& [from, to] : {std::pair{ctx.job.change_out, cell_change},
                                         std::pair{ctx.job.candidates_out, cell_candidates}}) {
            std::error_code ec;
            std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing,
                                       ec);
            if (ec)
              throw ProcessingError("cannot copy '" + from + "' to '" + to + "': " + ec.message());
          }
          if (ctx.job.spectral) sieve(ctx, log, cell_change, cell_candidates, &mine, plan->cell);
          io::PatchInputs in = patch_inputs(ctx);
          in.change = cell_change;
          in.candidates = cell_candidates;
          io::measure_cell_patches(in, mine, (ctx.out->staging() / kCellPatchesFile).string(), log,
                                   /*mark_change=*/true);
          io::describe_class_raster(cell_change, io::change_entries());
          std::error_code ec;
          std::filesystem::remove(cell_candidates, ec);
        }
        shard_outputs(ctx, *plan, mine, cell_change, log);
        write_shard_result(ctx, *ctx.options.shard, *plan);
        if (ctx.options.after_shard_pass) ctx.options.after_shard_pass(ctx, *plan);
        return;
      }
    }
    if (ctx.job.spectral && !ctx.job.change_out.empty())
      sieve(ctx, log, ctx.job.change_out, ctx.job.candidates_out);
  }

  /// What a shard makes of its own cells (`mine`, of `plan`) beyond the per-pixel pass: the imagery
  /// layers' pieces (stages/imagery.h: the stretch comes from the inputs, the same in every shard),
  /// and the tiles of the land-use and imagery layers over its cells (io::TileShards). The merge
  /// makes the rest of the tiles and those of change.tif, which its sieve decides.
  static void shard_outputs(RunContext& ctx, const ShardPlan& plan, const std::vector<Window>& mine,
                            const std::string& cell_change, const Log& log) {
    if (!ctx.spec.outputs.rasters) return;
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<TileLayerSource> layers;
    for (std::size_t i = 0; i < ctx.spec.dates.size(); ++i) {
      const std::string& date = ctx.spec.dates[i].date;
      if (ctx.spec.outputs.landuse)
        layers.push_back({ctx.job.landuse_out[i], "landuse_" + date, "", "", ""});
      if (ctx.imagery[i].empty()) continue;
      write_imagery(ctx.job.rgb_out[i], imagery_stretch(ctx.job, i), ctx.imagery[i], date, &mine);
      // The merge reads the imagery; its true colour is not needed any more (6 bytes a pixel).
      std::error_code ec;
      std::filesystem::remove(ctx.job.rgb_out[i], ec);
      layers.push_back({ctx.imagery[i], "imagery_" + date, "", "", ""});
    }
    if (!cell_change.empty()) layers.push_back({cell_change, "change", "", "", ""});
    // The COGs' tiles over its cells (cells of 512 x 2^k pixels hold whole tiles of levels
    // 0..k); the merge encodes the levels above and copies the rest (io/cog_writer.h), but for
    // change.tif's tiles over pixels its sieve and patches changed, which it encodes again.
    if (plan.cell >= kBlockSize) {
      std::vector<std::pair<std::string, io::CogFormat>> cogs;
      for (std::size_t i = 0; i < ctx.spec.dates.size(); ++i) {
        if (ctx.spec.outputs.landuse) cogs.emplace_back(ctx.job.landuse_out[i], io::kClassMapCog);
        if (i < ctx.job.source_out.size() && !ctx.job.source_out[i].empty())
          cogs.emplace_back(ctx.job.source_out[i], io::kClassMapCog);
        if (!ctx.imagery[i].empty()) cogs.emplace_back(ctx.imagery[i], io::kImageryCog);
      }
      // The change its cells alone give (the merge encodes again the tiles its sieve and
      // patches change).
      if (!cell_change.empty()) cogs.emplace_back(cell_change, io::kClassMapCog);
      for (const auto& [raster, format] : cogs)
        io::encode_cog_tiles(raster, format, mine, plan.cell, cog_tiles_path(raster));
    }
    if (ctx.spec.outputs.tiles) {
      TileSetOptions opt;
      opt.grid = ctx.spec.outputs.tile_grid;
      opt.min_zoom = ctx.spec.outputs.min_zoom;
      opt.max_zoom = ctx.spec.outputs.max_zoom;
      opt.shards =
          tile_shards(ctx.grid, plan.cell, plan.cells, plan.owner, ctx.options.shard->index);
      write_tile_sets(layers, shard_tiles_root(ctx.out->staging()).string(), opt, log);
    }
    ctx.timings["shard_outputs"] =
        std::round(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() *
                   1000) /
        1000;
  }

  /// The cloud screening of the sieve where the change vector has the visible bands (the
  /// shard measures its cells for it, the merge or the one machine runs it).
  static std::optional<io::CloudScreening> cloud_screening(const RunContext& ctx) {
    const auto roles = engine::change_vector_roles(ctx.job);
    auto band_of = [&](BandRole role) {
      const auto it = std::find(roles.begin(), roles.end(), role);
      return it == roles.end() ? 0 : static_cast<int>(it - roles.begin()) + 1;
    };
    if (ctx.job.delta_out.empty() || !band_of(BandRole::blue) || !band_of(BandRole::green) ||
        !band_of(BandRole::red))
      return std::nullopt;
    io::CloudScreening screening;
    screening.change_vector = ctx.job.delta_out;
    screening.blue_band = band_of(BandRole::blue);
    screening.green_band = band_of(BandRole::green);
    screening.red_band = band_of(BandRole::red);
    // 1 ha and 100 pixels at least: a cloud's edge needs pixels to be measured.
    const double pixel_m2 = io::mean_pixel_area_m2(ctx.grid);
    screening.min_cloud_pixels = std::max<std::int64_t>(
        kMinCloudPixels, static_cast<std::int64_t>(std::ceil(kMinCloudAreaM2 / pixel_m2)));
    screening.max_shadow_distance_px = kMaxShadowDistanceM / std::sqrt(pixel_m2);
    return screening;
  }

  /// The change test's hysteresis and minimum region, its seasonal exclusion (regions of
  /// vegetation in one date and soil-like ground in the other are the season), and its cloud
  /// screening where the change vector has the visible bands: a change region that is a cloud
  /// or its shadow in one date becomes no observation in change.tif (core:
  /// screen_change_regions); the land-use maps keep their classes there, so the dates' cloud
  /// counts do not include it.
  ///
  /// Sieves `change` and `candidates` (the job's, or a shard's copies, then over its cells
  /// `only`, of `cell` pixels, and reports nothing).
  static void sieve(RunContext& ctx, const Log& log, const std::string& change,
                    const std::string& candidates, const std::vector<Window>* only = nullptr,
                    int cell = 0) {
    if (only && only->empty()) return;  // a shard without cells
    std::optional<io::CloudScreening> screening = cloud_screening(ctx);
    io::ChangeSieveRules rules;
    rules.min_pixels = kMinChangePixels;
    rules.need_seed = true;
    rules.screening = screening ? &*screening : nullptr;
    if (only) rules.only = *only;
    rules.cell = cell;
    const auto dir = shard_results_dir(ctx);
    const auto own_sky = ctx.out->staging() / kCellSkyFile;
    if (only && screening && std::filesystem::exists(own_sky)) {
      // A shard: what its cells told measure_cell_sky, the change vector read on their rings.
      rules.cell_sky = {own_sky.string()};
    } else if (const int n = ctx.options.merge_shards;
               n && screening &&
               std::filesystem::exists(dir / ShardId{0, n}.name() / kCellSkyFile)) {
      // What the shards measured of their cells' change vector (measure_cell_sky): the merge
      // reads it only along the cells' edges (without it, all of it: the same result).
      for (int k = 0; k < n; ++k)
        rules.cell_sky.push_back((dir / ShardId{k, n}.name() / kCellSkyFile).string());
      rules.cell = shard_cell_size(ctx.grid, n);
    }
    // The seasonal exclusion where the dates lie in different seasons (both dates known).
    io::SeasonalExclusion seasonal;
    const auto& dates = ctx.spec.dates;
    std::optional<int> apart;
    if (dates.size() == 2 && valid_date(dates[0].date) && valid_date(dates[1].date))
      apart = days_apart_in_year(dates[0].date, dates[1].date);
    const bool seasons = apart && *apart > kSameSeasonDays;
    rules.seasonal = seasons ? &seasonal : nullptr;
    if (only) {
      io::sieve_change(change, candidates, rules);
      return;
    }
    ctx.pixels.change_pixels = io::sieve_change(change, candidates, rules);
    ctx.spectral_report["seasonal_exclusion"] = {
        {"applied", seasons},
        {"days_apart_in_year", apart ? nlohmann::json(*apart) : nlohmann::json()},
        {"same_season_days", kSameSeasonDays},
        {"min_share", seasonal.min_share},
        {"regions", seasonal.regions},
        {"pixels", seasonal.pixels}};
    if (seasonal.regions)
      log.info("seasonal exclusion: " + std::to_string(seasonal.regions) + " change region(s), " +
               std::to_string(seasonal.pixels) +
               " pixels, vegetation in one date and soil-like in the other: no change");
    if (!screening) return;
    ctx.spectral_report["cloud_screening"] = {{"min_cloud_pixels", screening->min_cloud_pixels},
                                              {"clouds", screening->clouds},
                                              {"shadows", screening->shadows},
                                              {"pixels_before", screening->pixels[0]},
                                              {"pixels_after", screening->pixels[1]}};
    if (screening->clouds + screening->shadows)
      log.info("cloud screening: " + std::to_string(screening->clouds) + " cloud(s) and " +
               std::to_string(screening->shadows) + " shadow(s) among the change regions (" +
               std::to_string(screening->pixels[0]) + " pixels in the earlier date, " +
               std::to_string(screening->pixels[1]) + " in the later): no observation");
  }

  /// Each date classified by the learned model, with its votes, before the per-pixel pass.
  static void model_votes(RunContext& ctx, const engine::EngineOptions& opt, const Log& log) {
    const RandomForest model = engine::load_model(ctx.spec.model);
    const auto scratch = ctx.out->scratch();
    for (std::size_t d = 0; d < ctx.images.size(); ++d) {
      const auto& scenes = ctx.images[d].scenes;
      const std::string tag = std::to_string(d);
      ctx.job.votes.push_back((scratch / ("votes_" + tag + ".tif")).string());
      // The votes hold the classes too (band 1): no class raster of its own.
      engine::run_model_classify(ctx.grid, {scenes.front()}, model, "", opt, log.child("model"),
                                 ctx.job.votes.back());
    }
  }
};

}  // namespace

std::unique_ptr<Stage> classify() { return std::make_unique<Classify>(); }

}  // namespace farmwatch::pipeline::stages
