#include "farmwatch/pipeline/area.h"

#include <filesystem>

#include "farmwatch/io/farmland.h"
#include "farmwatch/io/spatial_ref.h"
#include "farmwatch/pipeline/output_dir.h"
#include "farmwatch/pipeline/pipeline_params.h"
#include "yaml_util.h"

namespace farmwatch::pipeline {
namespace fs = std::filesystem;

namespace {

/// `baseline: {path, date}`.
struct BaselineParams {
  std::string path, date;
  static const ParamSet& params() {
    static const ParamSet set =
        Params<BaselineParams>("baseline")
            .path("path", &BaselineParams::path,
                  "land-use raster in the classification's codes (255: no data)", true)
            .date("date", &BaselineParams::date, "the date it shows", true)
            .set();
    return set;
  }
};

/// An area file as written.
struct AreaParams {
  PipelineParams pipeline;
  std::vector<std::string> inbox;
  std::string state, publish;
  int keep_runs = 7;
  double max_cloud = 0.8;
  bool tiles = true;
  std::optional<TileParams> zooms;
  std::optional<BaselineParams> baseline;

  static const ParamSet& params() {
    using A = AreaParams;
    static const ParamSet set =
        Params<A>("area")
            .embed(&A::pipeline, {"dates", "outputs"})
            .list("inbox", &A::inbox,
                  "folders (searched recursively) or glob patterns where scenes are delivered",
                  true)
            .path("state", &A::state,
                  "folder farmwatch owns: the latest clear view of every pixel, the lock", true)
            .path("publish", &A::publish,
                  "folder readers look in: runs/<run id>/ and the link current", true)
            .integer("keep_runs", &A::keep_runs, "published runs kept besides the current one",
                     {1, 10000})
            .default_value(7)
            .number("max_cloud", &A::max_cloud,
                    "a scene seeing less than 1 - max_cloud of the area clear is skipped as "
                    "cloudy",
                    {0, 1, true})
            .default_value(0.8)
            .object("baseline", &A::baseline,
                    "a land-use map of a date the first scenes are compared with (e.g. the "
                    "annual survey map); without it the first clear view is the baseline")
            .custom("tiles", "tiles of the published layers: true, false or {min_zoom, max_zoom, grid}",
                    tiles_schema(),
                    [](A& a, const YAML::Node& v, const ParamSource& src) {
                      read_tiles_value(v, src, a.tiles, a.zooms);
                    })
            .set();
    return set;
  }
};

}  // namespace

AreaSpec load_area(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  const fs::path base = fs::absolute(path).parent_path();
  const ParamSource src{path, "", base.string()};
  AreaParams p;
  AreaParams::params().read(&p, root, src);
  if (!p.pipeline.change_rules) src.fail("change_rules", "missing (a night compares dates)");

  AreaSpec a;
  a.file = path;
  a.pipeline = pipeline_spec(p.pipeline, src);
  if (p.pipeline.name.empty()) a.pipeline.name = fs::path(path).stem().string();
  for (const auto& e : p.inbox) a.inbox.push_back(resolve_path(base.string(), e));
  a.state = folder_path(p.state).string();
  a.publish = folder_path(p.publish).string();
  if (fs::weakly_canonical(a.state) == fs::weakly_canonical(a.publish))
    src.fail("publish", "must not be the state folder");
  a.keep_runs = p.keep_runs;
  a.max_cloud = p.max_cloud;
  a.tiles = p.tiles;
  if (p.baseline) {
    a.baseline = p.baseline->path;
    a.baseline_date = p.baseline->date;
  }
  if (p.zooms) {
    a.min_zoom = p.zooms->min_zoom.value_or(-1);
    a.max_zoom = p.zooms->max_zoom.value_or(-1);
    a.tile_grid = p.zooms->grid;
    if (a.tile_grid == "tianditu-c" && (a.min_zoom == 0 || a.max_zoom == 0))
      src.fail("tiles", "tianditu-c levels start at 1, not 0");
    if (a.min_zoom >= 0 && a.max_zoom >= 0 && a.min_zoom > a.max_zoom)
      src.fail("tiles", "min_zoom " + std::to_string(a.min_zoom) + " is above max_zoom " +
                            std::to_string(a.max_zoom));
  }
  // The state is kept on one grid, night after night: it must not follow the scenes.
  GridSpec& g = a.pipeline.grid;
  if (!g.crs) src.fail("grid", "a night needs grid.crs (the state's grid must not follow the scenes)");
  if (!g.resolution)
    src.fail("grid", "a night needs grid.resolution (the state's grid must not follow the scenes)");
  if (!g.extent) {
    if (g.bound != GridSpec::Bound::farmland || !a.pipeline.farmland)
      src.fail("grid", "a night needs grid.extent: [xmin, ymin, xmax, ymax], or farmland with a "
                       "farmland layer (the state's grid must not follow the scenes)");
    const auto layer =
        io::FarmlandLayer::load(*a.pipeline.farmland, io::crs_from_user(*g.crs));
    const Box e = layer.extent();
    const double m = g.margin.value_or(20 * *g.resolution);
    g.extent = Box{e.xmin - m, e.ymin - m, e.xmax + m, e.ymax + m};
  }
  // The database: as a pipeline file names it, by default farmwatch.gpkg in the state folder.
  const std::string db = p.pipeline.has_database ? p.pipeline.database : "farmwatch.gpkg";
  if (db == "none") src.fail("database", "a night needs its monitoring database");
  a.pipeline.database =
      db.rfind("PG:", 0) == 0 ? db
                              : resolve_path(p.pipeline.has_database ? base.string() : a.state, db);
  return a;
}

nlohmann::json area_schema() {
  nlohmann::json out = {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
                        {"title", "farmwatch area file (farmwatch nightly)"}};
  out.update(AreaParams::params().schema());
  return out;
}

}  // namespace farmwatch::pipeline
