// Everything a run needs is checked before the first pixel is read, so a nightly job fails in
// the first second with one clear message, and no output is touched. A date with several
// scenes survives a bad one: it is recorded as failed, with the reason, and the run goes on
// with the others (the run then ends "partial").
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <numeric>

#include "farmwatch/core/error.h"
#include "farmwatch/core/mosaic_priority.h"
#include "farmwatch/engine/model_classify.h"
#include "farmwatch/io/geodesic.h"
#include "farmwatch/io/spatial_ref.h"
#include "farmwatch/pipeline/output_dir.h"
#include "farmwatch/pipeline/pixel_change.h"
#include "stages.h"

namespace farmwatch::pipeline::stages {
namespace {

using nlohmann::json;

/// Scenes of a date in the order the compositor prefers them: nearest acquisition first,
/// then as listed.
std::vector<std::size_t> priority_order(const DateSpec& d) {
  std::vector<std::string> acquired;
  for (const auto& sc : d.scenes) acquired.push_back(sc.acquired);
  return scene_priority(d.date, acquired);
}

/// The grid's CRS and resolution: from the pipeline file, else the first usable image.
void grid_frame(const PipelineSpec& spec, const io::ImageInfo& first, std::string& crs,
                double& res) {
  const GridSpec& gs = spec.grid;
  const std::string where = spec.file.empty() ? "grid" : spec.file + ": grid";
  crs = gs.crs ? io::crs_from_user(*gs.crs) : first.grid.crs_wkt;
  if (gs.resolution)
    res = *gs.resolution;
  else if (io::same_crs(crs, first.grid.crs_wkt))
    res = std::fabs(first.grid.res());
  else
    throw ConfigError(where + ".resolution is required when grid.crs differs from the CRS of '" +
                      first.path + "'");
}

Box extent_in(const io::ImageInfo& im, const std::string& crs) {
  return io::transform_box(im.grid.extent(), im.grid.crs_wkt, crs);
}

Box union_of(const Box& a, const Box& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return {std::min(a.xmin, b.xmin), std::min(a.ymin, b.ymin), std::max(a.xmax, b.xmax),
          std::max(a.ymax, b.ymax)};
}

/// A learned model classifies one scene per date, each as the one date it was trained on:
/// checked here, before any stage reads a pixel.
void check_model(const RunContext& ctx) {
  const RandomForest model = engine::load_model(ctx.spec.model);
  for (std::size_t d = 0; d < ctx.images.size(); ++d) {
    if (ctx.spec.dates[d].scenes.size() != 1)
      throw ConfigError("model '" + ctx.spec.model + "': a date classified by a model has one " +
                        "scene (date " + ctx.spec.dates[d].date + " has " +
                        std::to_string(ctx.spec.dates[d].scenes.size()) + ")");
    engine::check_model_fits(model, ctx.spec.model, {ctx.images[d].scenes.front()});
  }
}

/// Both dates one georeferenced very-high-resolution RGB image each (drone orthomosaics, aerial
/// photos: red, green and blue, no near-infrared, pixels of at most kMaxVhrPixelM), no learned
/// model, and a run that takes the building method (a night's does not: its earlier date is a
/// composite state): the building method compares them. An image that cannot be read is not:
/// its own error comes when the scenes are inspected.
bool vhr_pair(const PipelineSpec& spec, const RunOptions& options) {
  if (!options.building_method || spec.dates.size() != 2 || !spec.model.empty()) return false;
  for (const auto& d : spec.dates) {
    if (d.scenes.size() != 1) return false;
    io::ImageRequest req = d.scenes.front().image;
    req.allow_relative = true;
    try {
      if (!is_vhr_rgb(io::inspect_image(req, {}))) return false;
    } catch (const std::runtime_error&) {
      return false;
    }
  }
  return true;
}

class Validate : public Stage {
 public:
  Validate() : Stage("validate", {}, {Product::inputs}) {}

 private:
  void run(RunContext& ctx, const Log& log) override {
    const auto& spec = ctx.spec;
    inspect_scenes(ctx, log);
    for (std::size_t i = 0; i < ctx.images.size(); ++i)
      if (ctx.images[i].scenes.empty()) throw no_usable_scene(ctx, i);
    if (!spec.model.empty()) check_model(ctx);
    if (!spec.change_model.empty()) {
      // Only the building method's pairs take one, as `farmwatch change --model` does.
      static_assert(kMaxVhrPixelM == 2.0, "the message below says 2 m");
      if (!ctx.vhr)
        throw ConfigError(
            "'" + spec.file + "': change_model '" + spec.change_model +
            "' compares two very-high-resolution RGB dates (one georeferenced image each: red, "
            "green and blue, no near-infrared, pixels of at most 2 m, no land-use model); the "
            "dates compared here are not: leave change_model out");
      load_change_model(spec.change_model);  // missing or damaged: InputError naming it
    }
    // The output folder, before any work (and under run --check): not one farmwatch must not
    // replace, nor one holding an input. A shard writes its own results folder.
    if (!ctx.options.shard) {
      std::vector<std::string> inputs{spec.file, spec.classifier_source, spec.change_source,
                                      spec.model, spec.change_model};
      if (spec.farmland) inputs.push_back(spec.farmland->path);
      if (spec.admin) inputs.push_back(spec.admin->path);
      for (const auto& e : spec.exemptions) inputs.push_back(e.layer.path);
      for (const auto& date : ctx.images)
        for (const auto& scene : date.scenes) inputs.push_back(scene.path);
      check_output_folder(ctx.options.out_dir.value_or(spec.outputs.dir), inputs);
    }

    std::string crs;
    double res = 0;
    grid_frame(spec, ctx.images[0].scenes[0], crs, res);
    open_layers_and_database(ctx, log, crs);
    drop_scenes_off_the_area(ctx, log, crs);
    std::optional<Box> bound;
    if (!spec.grid.extent && spec.grid.bound == GridSpec::Bound::farmland) {
      if (!ctx.farmland)
        throw ConfigError("grid.extent is farmland but the pipeline has no farmland layer");
      const double m = spec.grid.margin.value_or(20 * res);
      const Box f = ctx.farmland->extent();
      bound = Box{f.xmin - m, f.ymin - m, f.xmax + m, f.ymax + m};
    }
    ctx.grid = resolve_grid(spec, ctx.images, crs, res, bound);
    if (ctx.grid.width <= 0 || ctx.grid.height <= 0)
      throw InputError("the analysis grid is empty: check grid.extent and grid.resolution");
    for (std::size_t i = 0; i < ctx.images.size(); ++i)
      drop_scenes_outside(ctx, log, i, "the analysis grid", [&](const io::ImageInfo& s) {
        return !io::footprint_on(s, ctx.grid).empty();
      });
    if (ctx.farmland && ctx.farmland->extent().intersect(ctx.grid.extent()).empty())
      throw farmland_outside(spec, ctx.images, crs);
    if (ctx.vhr) check_vhr_grid(ctx);
    log.info("analysis grid: " + std::to_string(ctx.grid.width) + " x " +
             std::to_string(ctx.grid.height) + " at " + std::to_string(ctx.grid.res()) + ", " +
             io::crs_label(crs));
  }

  /// Every scene of every date opened and checked (CRS, bands, DN rule), in priority order; a
  /// bad scene of a date with several is recorded and skipped.
  static void inspect_scenes(RunContext& ctx, const Log& log) {
    const auto& spec = ctx.spec;
    auto required = spec.classifier->required_roles();
    ctx.vhr = vhr_pair(spec, ctx.options);
    if (ctx.vhr) vhr_checks(ctx, required, log);
    for (std::size_t i = 0; i < spec.dates.size(); ++i) {
      const auto& d = spec.dates[i];
      ctx.scenes.push_back(json::array());
      ctx.images.emplace_back();
      for (std::size_t k : priority_order(d)) {
        const auto& sc = d.scenes[k];
        ctx.scenes[i].push_back({{"image", sc.image.path},
                                 {"acquired", sc.acquired},
                                 {"sensor", sc.sensor},
                                 {"status", "used"}});
        io::ImageRequest req = sc.image;
        // Uncalibrated cameras: DN over the type's maximum, as `change` reads such a pair.
        if (ctx.vhr) req.allow_relative = true;
        try {
          ctx.images[i].scenes.push_back(io::inspect_image(req, required));
        } catch (const std::runtime_error& e) {
          if (d.scenes.size() == 1) throw;  // nothing else to go on with: the run's error
          fail_scene(ctx, log, ctx.scenes[i].back(), e.what());
        }
      }
    }
  }

  /// A very-high-resolution pair: classified by rules on red, green and blue alone, compared
  /// whole (no shards); `required` gains the three bands the building method reads.
  static void vhr_checks(RunContext& ctx, std::set<BandRole>& required, const Log& log) {
    const auto& spec = ctx.spec;
    const std::string pair = "the dates ('" + spec.dates[0].scenes.front().image.path + "', '" +
                             spec.dates[1].scenes.front().image.path +
                             "': very-high-resolution red, green and blue)";
    const std::string where = (spec.file.empty() ? std::string() : spec.file + ": ") +
                              "classification rules '" + spec.classifier_source + "'";
    for (BandRole r : required)
      if (r != BandRole::red && r != BandRole::green && r != BandRole::blue)
        throw ConfigError(where + " need the " + role_name(r) + " band, which " + pair +
                          " do not have; classify them with rules on red, green and blue, e.g. "
                          "pipelines/rules/landuse_rules_rgb.yaml");
    if (!spec.classifier->classes().find(std::string("built_up")))
      throw ConfigError(where +
                        " have no class 'built_up', which the buildings and ground "
                        "changed between " +
                        pair + " become");
    if (ctx.options.shard || ctx.options.merge_shards)
      throw ParamError(
          "--shard/--shards: the dates are very-high-resolution RGB, which the "
          "building method compares whole, in one process; run without shards");
    required.insert({BandRole::red, BandRole::green, BandRole::blue});
    log.info(
        "both dates are very-high-resolution RGB: new and demolished buildings and converted "
        "ground by the building method");
  }

  /// The building method works on pixels of at most kMaxVhrPixelM and holds the pair whole.
  static void check_vhr_grid(const RunContext& ctx) {
    const Grid& g = ctx.grid;
    const double pixel_m = std::sqrt(io::mean_pixel_area_m2(g));
    const std::string pair = "'" + ctx.images[0].scenes.front().path + "' and '" +
                             ctx.images[1].scenes.front().path + "'";
    if (pixel_m > kMaxVhrPixelM * 1.001)
      throw ConfigError((ctx.spec.file.empty() ? std::string("grid") : ctx.spec.file + ": grid") +
                        ": pixels of " + std::to_string(pixel_m) + " m; the building method " +
                        "that compares " + pair + " (very-high-resolution RGB) works at " +
                        std::to_string(kMaxVhrPixelM) + " m or finer");
    if (static_cast<double>(g.width) * g.height > kMaxVhrPixels)
      throw InputError("the analysis grid over " + pair + " is " + std::to_string(g.width) + "x" +
                       std::to_string(g.height) +
                       " pixels: very-high-resolution change holds the whole pair in memory, up "
                       "to " +
                       std::to_string(static_cast<long long>(kMaxVhrPixels / 1e6)) +
                       " million pixels; set a smaller grid.extent or cut the images into tiles");
  }

  /// The polygon layers in the grid's CRS, and the monitoring database: opened (and created)
  /// now, so that a corrupt or foreign database stops the run before any work; it is written
  /// only at the end, in one transaction.
  static void open_layers_and_database(RunContext& ctx, const Log& log, const std::string& crs) {
    const auto& spec = ctx.spec;
    if (spec.farmland) {
      ctx.farmland = io::FarmlandLayer::load(*spec.farmland, crs);
      log.info("farmland: " + std::to_string(ctx.farmland->size()) + " parcels from " +
               spec.farmland->path);
    }
    if (spec.admin) ctx.admin = io::FarmlandLayer::load(*spec.admin, crs);
    for (const auto& e : spec.exemptions)
      ctx.exemptions.push_back(io::FarmlandLayer::load(e.layer, crs));
    // A check opens an existing database (to find it corrupt or foreign) but creates none.
    const bool absent_file =
        spec.database.rfind("PG:", 0) != 0 && !std::filesystem::exists(spec.database);
    // A shard writes no database: the merge does, once, for the whole run.
    if (!spec.database.empty() && ctx.compares_dates() && !ctx.options.shard &&
        !(ctx.options.check_only && absent_file))
      ctx.db = io::MonitoringDb::open(spec.database, /*create=*/!ctx.options.check_only);
  }

  /// Scenes that miss the area of interest are dropped (or fail a date of one scene).
  static void drop_scenes_off_the_area(RunContext& ctx, const Log& log, const std::string& crs) {
    const auto& spec = ctx.spec;
    // The area scenes must overlap: the grid's extent if given, else the farmland layer's,
    // else (with two dates) the other date's scenes.
    std::optional<Box> area = spec.grid.extent;
    std::string area_name = "grid.extent";
    if (!area && ctx.farmland) {
      area = ctx.farmland->extent();
      area_name = "the farmland layer '" + spec.farmland->path + "'";
    }
    for (std::size_t i = 0; i < ctx.images.size(); ++i) {
      std::optional<Box> against = area;
      std::string against_name = area_name;
      if (!against && ctx.images.size() == 2) {
        Box other;
        for (const auto& s : ctx.images[1 - i].scenes) other = union_of(other, extent_in(s, crs));
        against = other;
        against_name = "the other date's imagery";
      }
      // A single image is checked against the grid below, with the other inputs named.
      if (!against || (spec.dates[i].scenes.size() == 1 && !spec.grid.extent)) continue;
      drop_scenes_outside(ctx, log, i, against_name, [&](const io::ImageInfo& s) {
        return !extent_in(s, crs).intersect(*against).empty();
      });
    }
  }

  /// Drops the scenes of date `i` that `overlaps` rejects, as failed; a date of one scene
  /// fails the run instead, and so does a date left with none.
  static void drop_scenes_outside(RunContext& ctx, const Log& log, std::size_t i,
                                  const std::string& area,
                                  const std::function<bool(const io::ImageInfo&)>& overlaps) {
    auto& scenes = ctx.images[i].scenes;
    for (auto it = scenes.begin(); it != scenes.end();) {
      if (overlaps(*it)) {
        ++it;
        continue;
      }
      const std::string why = "raster '" + it->path + "' does not overlap " + area;
      if (ctx.spec.dates[i].scenes.size() == 1) throw InputError(why);
      fail_scene(ctx, log, scene_report(ctx, i, it->path), why);
      it = scenes.erase(it);
    }
    if (scenes.empty()) throw no_usable_scene(ctx, i);
  }

  static void fail_scene(RunContext& ctx, const Log& log, json& report, const std::string& why) {
    report["status"] = "failed";
    report["reason"] = why;
    ++ctx.failed_scenes;
    log.warn("scene skipped: " + why);
  }

  /// The farmland layer lies outside the imagery: the message names both.
  static InputError farmland_outside(const PipelineSpec& spec, const std::vector<io::Mosaic>& dates,
                                     const std::string& crs) {
    std::string images;
    for (const auto& d : dates)
      for (const auto& scene : d.scenes)
        images += (images.empty() ? "'" : ", '") + scene.path + "'";
    return InputError("farmland layer '" + spec.farmland->path +
                      "' does not overlap the imagery (" + images + "; analysis grid " +
                      io::crs_label(crs) + ")");
  }

  /// The extent: given, or where every date has imagery (each date's scenes united), cut to
  /// `bound` (the farmland layer's extent with a margin) when there is one.
  static Grid resolve_grid(const PipelineSpec& spec, const std::vector<io::Mosaic>& dates,
                           const std::string& crs, double res, const std::optional<Box>& bound) {
    const GridSpec& gs = spec.grid;
    const io::ImageInfo& first = dates[0].scenes[0];
    if (!gs.crs && !gs.resolution && !gs.extent && dates[0].scenes.size() == 1) {
      // The first image's own grid (as `change` documents: A's grid), cut to whole pixels of
      // it so nothing is resampled.
      if (!bound) return first.grid;
      const Window w = first.grid.window_for(*bound);
      if (w.empty()) throw farmland_outside(spec, dates, crs);
      return first.grid.subgrid(w);
    }
    Box box;
    if (gs.extent) {
      box = *gs.extent;
    } else {
      for (std::size_t i = 0; i < dates.size(); ++i) {
        Box date_box;
        for (const auto& s : dates[i].scenes) date_box = union_of(date_box, extent_in(s, crs));
        box = i == 0 ? date_box : box.intersect(date_box);
      }
      if (box.empty())
        throw InputError("the images do not overlap: '" + first.path + "' and '" +
                         dates.back().scenes.back().path + "' have no area in common");
      if (bound) {
        box = box.intersect(*bound);
        if (box.empty()) throw farmland_outside(spec, dates, crs);
      }
    }
    return Grid::snapped(box, res, crs);
  }
};

}  // namespace

nlohmann::json& scene_report(RunContext& ctx, std::size_t date, const std::string& path) {
  for (auto& r : ctx.scenes[date])
    if (r["image"] == path) return r;
  throw std::logic_error("no report for scene " + path);
}

InputError no_usable_scene(const RunContext& ctx, std::size_t date) {
  std::string why;
  for (const auto& r : ctx.scenes[date])
    if (r.contains("reason")) why += "; " + r["reason"].get<std::string>();
  return InputError("date " + ctx.spec.dates[date].date + " has no usable scene" + why);
}

std::unique_ptr<Stage> validate() { return std::make_unique<Validate>(); }

}  // namespace farmwatch::pipeline::stages
