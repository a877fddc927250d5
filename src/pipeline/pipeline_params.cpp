#include "farmwatch/pipeline/pipeline_params.h"
#include "farmwatch/pipeline/tile_sets.h"

namespace farmwatch::pipeline {

namespace {
/// A rules file name (non-empty text) or the rules inline (a mapping), as the schema says.
void check_file_or_inline(const YAML::Node& v, const std::string& key, const ParamSource& src) {
  if (v.IsMap()) return;
  if (!v.IsScalar() || v.as<std::string>().empty())
    src.fail(key, "expected a rules file or the rules inline (a mapping)");
}
}  // namespace

ParamRange block_size_range() { return {16, 4096, false, 16}; }

const ParamSet& SceneParams::params() {
  static const ParamSet set =
      Params<SceneParams>("scene")
          .path("image", &SceneParams::image, "the scene's image", true)
          .date("date", &SceneParams::date, "acquisition date (default: the date's)")
          .text("sensor", &SceneParams::sensor, "sensor, free text (default: the date's)")
          .embed(&SceneParams::read)
          .set();
  return set;
}

const ParamSet& DateParams::params() {
  static const ParamSet set =
      Params<DateParams>("date")
          .date("date", &DateParams::date, "the date, YYYY-MM-DD", true)
          .text("sensor", &DateParams::sensor, "sensor for reports, e.g. \"Sentinel-2 L2A\"")
          .number("max_cloud", &DateParams::max_cloud,
                  "a scene cloudier than this share on the grid is skipped (default 0.95)",
                  {0, 1, true})
          .path("image", &DateParams::image, "the date's image (one scene)")
          .objects("scenes", &DateParams::scenes,
                   "several scenes, composited per pixel (clear first, nearest date first)", 1,
                   254)
          .embed(&DateParams::read)
          .set();
  return set;
}

const ParamSet& FarmlandParams::params() {
  static const ParamSet set =
      Params<FarmlandParams>("farmland")
          .path("path", &FarmlandParams::path, "farmland polygons (GeoPackage, shapefile...)",
                true)
          .text("layer", &FarmlandParams::layer, "layer name (default: the only one)")
          .text("id_field", &FarmlandParams::id_field, "parcel id attribute (地块编号)", true)
          .set();
  return set;
}

const ParamSet& ExemptionParams::params() {
  static const ParamSet set =
      Params<ExemptionParams>("exemption")
          .text("name", &ExemptionParams::name, "how reports name it, e.g. 建设用地审批", true)
          .path("path", &ExemptionParams::path, "polygons of the exempted areas", true)
          .text("layer", &ExemptionParams::layer, "layer name (default: the only one)")
          .set();
  return set;
}

const ParamSet& AdminParams::params() {
  static const ParamSet set =
      Params<AdminParams>("admin")
          .path("path", &AdminParams::path, "administrative units (乡镇/村) polygons", true)
          .text("layer", &AdminParams::layer, "layer name (default: the only one)")
          .text("code_field", &AdminParams::code_field, "unit code attribute", true)
          .text("name_field", &AdminParams::name_field, "unit name attribute", true)
          .set();
  return set;
}

const ParamSet& GridParams::params() {
  static const ParamSet set =
      Params<GridParams>("grid")
          .text("crs", &GridParams::crs, "grid CRS, e.g. EPSG:4527 (default: the first image's)")
          .number("resolution", &GridParams::resolution,
                  "pixel size in CRS units (default: the first image's)", {0, {}, true})
          .custom(
              "extent",
              "[xmin, ymin, xmax, ymax] in the grid CRS, or farmland (the farmland layer's "
              "extent plus margin) or imagery (the images' common footprint, default)",
              {{"oneOf",
                {{{"type", "array"},
                  {"items", {{"type", "number"}}},
                  {"minItems", 4},
                  {"maxItems", 4}},
                 {{"type", "string"}, {"enum", {"farmland", "imagery"}}}}}},
              [](GridParams& g, const YAML::Node& v, const ParamSource& src) {
                if (v.IsScalar()) {
                  g.bound = param_detail::choice_value(v, "extent", src, {"farmland", "imagery"});
                  return;
                }
                if (!v.IsSequence() || v.size() != 4)
                  src.fail("extent", "expected [xmin, ymin, xmax, ymax], farmland or imagery");
                std::vector<double> e;
                for (const auto& x : v) e.push_back(param_detail::number_value(x, "extent", src, false));
                if (!(e[0] < e[2] && e[1] < e[3]))
                  src.fail("extent", "xmin < xmax and ymin < ymax are required");
                g.extent = e;
              })
          .number("margin", &GridParams::margin,
                  "with extent: farmland, CRS units around the layer (default: 20 pixels)", {0})
          .set();
  return set;
}

const ParamSet& TileParams::params() {
  static const ParamSet set = Params<TileParams>("tiles")
                                  .integer("min_zoom", &TileParams::min_zoom,
                                           "coarsest zoom level (default: from the grid)", {0, 24})
                                  .integer("max_zoom", &TileParams::max_zoom,
                                           "deepest zoom level (default: from the grid)", {0, 24})
                                  .choice("grid", &TileParams::grid, tile_grid_choices(),
                                          "tile matrix sets: Web Mercator XYZ, 天地图 \"c\" "
                                          "(CGCS2000, levels from 1) or both")
                                  .default_value("both")
                                  .set();
  return set;
}

void read_tiles_value(const YAML::Node& v, const ParamSource& src, bool& tiles,
                      std::optional<TileParams>& zooms) {
  if (v.IsScalar()) {
    tiles = param_detail::bool_value(v, "tiles", src);
    return;
  }
  TileParams t;
  TileParams::params().read(&t, v, src.nested("tiles"));
  zooms = t;
}

nlohmann::json tiles_schema() {
  return {{"oneOf", {{{"type", "boolean"}}, TileParams::params().schema()}}};
}

const ParamSet& OutputParams::params() {
  static const ParamSet set =
      Params<OutputParams>("outputs")
          .path("dir", &OutputParams::dir, "output folder (replaced whole when a run succeeds)",
                true)
          .flag("landuse", &OutputParams::landuse, "write the land-use map of each date")
          .default_value(true)
          .integer("chips", &OutputParams::chips,
                   "before/after chips in report.html for at most this many patches (非农化 and "
                   "非粮化 first, larger first); the others are in the viewer",
                   {0, {}})
          .default_value(300)
          .custom("tiles", "tiles of the one map: true, false or {min_zoom, max_zoom, grid}",
                  tiles_schema(),
                  [](OutputParams& o, const YAML::Node& v, const ParamSource& src) {
                    read_tiles_value(v, src, o.tiles, o.zooms);
                  })
          .set();
  return set;
}

PipelineParams::PipelineParams() : block_size(kBlockSize) {}

const ParamSet& PipelineParams::params() {
  using P = PipelineParams;
  const nlohmann::json file_or_inline = {
      {"oneOf", {{{"type", "string"}, {"minLength", 1}}, {{"type", "object"}}}}};
  static const ParamSet set =
      Params<P>("pipeline")
          .text("name", &P::name, "name of the run (default: the file's name)")
          .objects("dates", &P::dates,
                   "one date (classification only) or two (before, after), in order", 1, 2, true)
          .object("farmland", &P::farmland, "the farmland layer (永久基本农田)")
          .objects("exemptions", &P::exemptions,
                   "layers of areas where a change is reasonable (合理)", 0, 1000)
          .object("admin", &P::admin, "administrative units (乡镇/村)")
          .object("grid", &P::grid, "the analysis grid")
          .path("model", &P::model,
                "a land-use model from farmwatch train, instead of classification rules")
          .path("change_model", &P::change_model,
                "a change model from farmwatch train --labels, instead of the building method "
                "(two very-high-resolution RGB dates)")
          .custom("classification",
                  "classification rules: a rules file, or the rules inline (see "
                  "pipelines/rules/landuse_rules.yaml)",
                  file_or_inline,
                  [](P& p, const YAML::Node& v, const ParamSource& src) {
                    check_file_or_inline(v, "classification", src);
                    p.classification = YAML::Clone(v);
                  })
          .custom("change_rules",
                  "change rules: a rules file, or the rules inline (required for two dates)",
                  file_or_inline,
                  [](P& p, const YAML::Node& v, const ParamSource& src) {
                    check_file_or_inline(v, "change_rules", src);
                    p.change_rules = YAML::Clone(v);
                  })
          .custom("min_patch_area_m2",
                  "minimum patch area per change category, m² on the ellipsoid",
                  {{"type", "object"},
                   {"additionalProperties", {{"type", "number"}, {"minimum", 0}}}},
                  [](P& p, const YAML::Node& v, const ParamSource&) {
                    p.min_patch_area_m2 = YAML::Clone(v);
                  })
          .custom("database",
                  "the monitoring database: a GeoPackage, \"PG:...\", or none (default: "
                  "farmwatch.gpkg beside outputs.dir)",
                  {{"type", "string"}, {"minLength", 1}},
                  [](P& p, const YAML::Node& v, const ParamSource& src) {
                    p.database = param_detail::scalar_text(v, "database", src);
                    if (p.database.empty())
                      src.fail("database", "expected a GeoPackage, \"PG:...\" or none, got ''");
                    p.has_database = true;
                  })
          .object("outputs", &P::outputs, "what to write, and where")
          .required()
          .integer("block_size", &P::block_size, "processing block size in pixels",
                   block_size_range())
          .default_value(kBlockSize)
          .flag("coregister", &P::coregister, "measure and correct the later date's shift")
          .default_value(true)
          .flag("normalise", &P::normalise,
                "bring the later date's radiometry to the earlier one's")
          .default_value(true)
          .set();
  return set;
}

nlohmann::json pipeline_schema() {
  nlohmann::json out = {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
                        {"title", "farmwatch pipeline file"}};
  out.update(PipelineParams::params().schema());
  return out;
}

}  // namespace farmwatch::pipeline
