#include "farmwatch/pipeline/spec.h"

#include <filesystem>
#include <regex>

#include "farmwatch/core/error.h"
#include "farmwatch/pipeline/output_dir.h"
#include "farmwatch/pipeline/pipeline_params.h"
#include "rules_yaml.h"
#include "yaml_util.h"

namespace farmwatch::pipeline {
namespace fs = std::filesystem;

namespace {

io::FarmlandRequest layer_request(const LayerParams& p, std::string kind) {
  io::FarmlandRequest req;
  req.path = p.path;
  req.layer = p.layer;
  req.kind = std::move(kind);
  return req;
}

DateSpec date_spec(const DateParams& p, const ParamSource& src) {
  DateSpec d;
  d.date = p.date;
  d.sensor = p.sensor;
  d.max_cloud = p.max_cloud.value_or(d.max_cloud);
  if (!p.scenes.empty()) {
    if (!p.image.empty())
      src.fail("scenes", "give either image (one scene) or scenes (a list), not both");
    if (p.read.any_set())
      src.fail("scenes",
               "with scenes, how to read an image (bands, scale, offset, profile, metadata, "
               "quality...) is given per scene, not for the date");
    for (const auto& sc : p.scenes)
      d.scenes.push_back({sc.read.request(sc.image), sc.date.empty() ? d.date : sc.date,
                          sc.sensor.empty() ? d.sensor : sc.sensor});
  } else {
    if (p.image.empty()) src.fail("image", "missing (required unless scenes are given)");
    d.scenes.push_back({p.read.request(p.image), d.date, d.sensor});
  }
  return d;
}

/// Rules: a file name (relative to the pipeline file) or the rules inline; or a learned model,
/// whose class table the change rules then name.
void read_rules(const PipelineParams& p, const ParamSource& src, PipelineSpec& spec) {
  const std::string& path = src.file;
  const std::string base = src.base;
  if (!p.model.empty()) {
    if (p.classification) src.fail("model", "give either a model or classification rules, not both");
    spec.model = p.model;
    spec.classifier_source = spec.model;
    spec.classifier = model_class_source(spec.model);
  } else if (!p.classification) {
    src.fail("classification", "missing (rules, or a model)");
  } else if (p.classification->IsScalar()) {
    spec.classifier_source = resolve_path(base, p.classification->as<std::string>());
    spec.classifier = load_classifier_file(spec.classifier_source);
  } else {
    spec.classifier_source = path + " (inline)";
    spec.classifier = parse_classifier(*p.classification, path, "classification");
  }
  if (p.change_rules) {
    if (p.change_rules->IsScalar()) {
      spec.change_source = resolve_path(base, p.change_rules->as<std::string>());
      spec.change = load_change_rules_file(spec.change_source, spec.classifier->classes(),
                                           !spec.model.empty());
    } else {
      spec.change_source = path + " (inline)";
      spec.change = parse_change_rules(*p.change_rules, spec.classifier->classes(), path,
                                       "change_rules", !spec.model.empty());
    }
  } else if (spec.dates.size() == 2) {
    src.fail("change_rules", "missing (required when two dates are compared)");
  }
  if (p.min_patch_area_m2)
    parse_min_areas(*p.min_patch_area_m2, spec.change.rules, path, "min_patch_area_m2");
  if (!p.change_model.empty()) {
    if (spec.dates.size() != 2)
      src.fail("change_model", "a change model compares two dates; this pipeline has " +
                                   std::to_string(spec.dates.size()));
    spec.change_model = p.change_model;
  }
}

/// Outputs, and the monitoring database (by default beside the output folder).
void read_outputs(const PipelineParams& p, const ParamSource& src, PipelineSpec& spec) {
  spec.outputs.dir = p.outputs->dir;
  spec.outputs.landuse = p.outputs->landuse;
  spec.outputs.tiles = p.outputs->tiles;
  spec.outputs.max_chips = p.outputs->chips;
  if (p.outputs->zooms) {
    spec.outputs.min_zoom = p.outputs->zooms->min_zoom.value_or(-1);
    spec.outputs.max_zoom = p.outputs->zooms->max_zoom.value_or(-1);
    spec.outputs.tile_grid = p.outputs->zooms->grid;
    if (spec.outputs.tile_grid == "tianditu-c" &&
        (spec.outputs.min_zoom == 0 || spec.outputs.max_zoom == 0))
      src.fail("outputs.tiles", "tianditu-c levels start at 1, not 0");
    if (spec.outputs.min_zoom >= 0 && spec.outputs.max_zoom >= 0 &&
        spec.outputs.min_zoom > spec.outputs.max_zoom)
      src.fail("outputs.tiles", "min_zoom " + std::to_string(spec.outputs.min_zoom) +
                                    " is above max_zoom " + std::to_string(spec.outputs.max_zoom));
  }
  // Every run of a pipeline file is recorded; by default in farmwatch.gpkg beside the output
  // folder, so that the next night's run finds it.
  const std::string db = p.has_database ? p.database : "farmwatch.gpkg";
  spec.database_is_default = !p.has_database;
  if (db != "none")
    spec.database = db.rfind("PG:", 0) == 0
                        ? db
                        : resolve_path(p.has_database
                                           ? src.base
                                           : folder_path(spec.outputs.dir).parent_path().string(),
                                       db);
}

}  // namespace

PipelineSpec load_pipeline(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  const fs::path base = fs::absolute(path).parent_path();
  const ParamSource src{path, "", base.string()};
  PipelineParams p;
  PipelineParams::params().read(&p, root, src);
  return pipeline_spec(p, src);
}

PipelineSpec pipeline_spec(const PipelineParams& p, const ParamSource& src) {
  const std::string& path = src.file;
  const std::string base = src.base;
  PipelineSpec spec;
  spec.file = path;
  spec.name = p.name.empty() ? fs::path(path).stem().string() : p.name;
  for (std::size_t i = 0; i < p.dates.size(); ++i)
    spec.dates.push_back(
        date_spec(p.dates[i], {path, "dates[" + std::to_string(i) + "]", base}));
  if (spec.dates.size() == 2 && !(spec.dates[0].date < spec.dates[1].date))
    src.fail("dates", "the second date must be later than the first");

  if (p.farmland) {
    spec.farmland = layer_request(*p.farmland, "farmland layer");
    spec.farmland->id_field = p.farmland->id_field;
  }
  for (const auto& e : p.exemptions)
    spec.exemptions.push_back({e.name, layer_request(e, "exemption layer '" + e.name + "'")});
  if (p.admin) {
    spec.admin = layer_request(*p.admin, "admin layer");
    spec.admin->id_field = p.admin->code_field;
    spec.admin->name_field = p.admin->name_field;
  }
  if (p.grid) {
    spec.grid.crs = p.grid->crs;
    spec.grid.resolution = p.grid->resolution;
    spec.grid.margin = p.grid->margin;
    if (p.grid->extent) {
      const auto& e = *p.grid->extent;
      spec.grid.extent = Box{e[0], e[1], e[2], e[3]};
    }
    if (p.grid->bound == "farmland") spec.grid.bound = GridSpec::Bound::farmland;
  }

  read_rules(p, src, spec);
  if (p.outputs) read_outputs(p, src, spec);
  spec.block_size = p.block_size;
  spec.coregister = p.coregister;
  spec.normalise = p.normalise;
  return spec;
}

}  // namespace farmwatch::pipeline
