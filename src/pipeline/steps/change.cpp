#include "farmwatch/pipeline/steps/change.h"

#include <filesystem>
#include <optional>
#include <regex>

#include "farmwatch/core/error.h"
#include "farmwatch/core/vhr_change_model.h"
#include "farmwatch/io/class_table_io.h"
#include "farmwatch/io/pixel_grid.h"
#include "farmwatch/pipeline/pixel_change.h"
#include "farmwatch/pipeline/rules_file.h"
#include "farmwatch/pipeline/run.h"

namespace farmwatch::pipeline {

const ParamSet& ChangeParams::params() {
  using P = ChangeParams;
  static const ParamSet set =
      Params<P>("change")
          .path("before", &P::before,
                "earlier image or land-use map (its grid is the analysis grid)", true)
          .path("after", &P::after, "later image or land-use map", true)
          .path("out", &P::out, "output folder", true)
          .path("farmland", &P::farmland, "farmland layer; without it the whole area is watched")
          .text("id_field", &P::id_field, "parcel-id field of the farmland layer")
          .text("layer", &P::layer, "layer name in the farmland file")
          .path("change_rules", &P::change_rules,
                "change rules file (default: pipelines/rules/change_rules.yaml)")
          .path("rules", &P::rules,
                "classification rules file (default: pipelines/rules/landuse_rules.yaml)")
          .date("date_before", &P::date_before, "date of --before (default: from its name)")
          .date("date_after", &P::date_after, "date of --after (default: from its name)")
          .flag("tiles", &P::tiles, "also write the one map's tiles and viewer (index.html)")
          .integer("chips", &P::chips,
                   "report chips for at most this many patches (非农化 and 非粮化 first)", {0, {}})
          .default_value(300)
          .path("model", &P::model,
                "classify both dates with this model (farmwatch train, one date) instead of the "
                "rules; its class probabilities weigh the change. Very-high-resolution RGB: a "
                "change model (farmwatch train --before A --after B) decides with the building "
                "method")
          .text("db", &P::db, "record the run in this monitoring database (GeoPackage or \"PG:...\")")
          .flag("no_coregister", &P::no_coregister,
                "do not measure and correct the shift of B against A")
          .flag("no_normalise", &P::no_normalise,
                "do not normalise B's radiometry to A's on pseudo-invariant pixels")
          .number("pixel_size", &P::pixel_size,
                  "ground size of a pixel in metres, for images with no georeference (default "
                  "0.5)",
                  {0.05, 100})
          .embed(&P::image)
          .set();
  return set;
}

namespace {

/// A YYYY-MM-DD date found in a file name (20240315 or 2024-03-15), else `fallback`.
std::string date_from_name(const std::string& path, const std::string& fallback) {
  static const std::regex re(R"((19|20)(\d{2})-?(\d{2})-?(\d{2}))");
  std::smatch m;
  const std::string name = std::filesystem::path(path).filename().string();
  if (std::regex_search(name, m, re)) {
    const std::string d = m[1].str() + m[2].str() + "-" + m[3].str() + "-" + m[4].str();
    if (valid_date(d)) return d;
  }
  return fallback;
}

/// The building method's request: the pair, the output folder, the bands, the threads, and a
/// change model (--model); ParamError for a land-use model, which needs multispectral images.
PixelChangeRequest building_request(const ChangeParams& p, const StepEnv& env) {
  if (!p.model.empty() && !std::filesystem::is_regular_file(p.model))
    throw InputError("model '" + p.model + "' does not exist or is not a file");
  if (!p.model.empty() && !VhrChangeForest::is_change_model(p.model))
    throw ParamError("--model '" + p.model + "' is no change model (a land-use model, or no "
                     "farmwatch model at all): '" + p.before + "' and '" + p.after +
                     "' are red, green and blue images compared for buildings and ground, and "
                     "--model takes a change model here (farmwatch train --before A --after B "
                     "--labels CHANGE)");
  PixelChangeRequest req;
  req.change_model = p.model;
  req.before = p.before;
  req.after = p.after;
  req.out_dir = p.out;
  req.bands = p.image.bands;
  req.threads = env.threads;
  return req;
}

/// Two images with no georeference: new and demolished buildings and converted ground on their pixel grid, with a warning.
nlohmann::json change_on_pixel_grid(const ChangeParams& p, const StepEnv& env) {
  const std::pair<const char*, bool> georef_only[] = {
      {"farmland", !p.farmland.empty()},        {"db", !p.db.empty()},
      {"tiles", p.tiles},
      {"date-before", !p.date_before.empty()}, {"date-after", !p.date_after.empty()}};
  for (const auto& [opt, given] : georef_only)
    if (given)
      throw ParamError(std::string("--") + opt + " needs georeferenced images; '" + p.before +
                       "' and '" + p.after + "' have no coordinate reference system");
  // What the building method does not read: said, not silently ignored.
  const ImageParams& im = p.image;
  const std::pair<const char*, bool> unused[] = {
      {"rules", !p.rules.empty()},
      {"change-rules", !p.change_rules.empty()},
      {"scale", im.scale.has_value()},
      {"offset", im.offset.has_value()},
      {"profile", im.profile != "auto"},
      {"metadata", !im.metadata.empty()},
      {"calibration-table", !im.calibration_table.empty()},
      {"quality", !im.quality.empty() && im.quality != "none"},
      {"quality-band", im.quality_band != 0},
      {"quality-kind", !im.quality_kind.empty() && im.quality_kind != "none"}};
  for (const auto& [opt, given] : unused)
    if (given)
      throw ParamError(std::string("--") + opt + " does not apply to '" + p.before + "' and '" +
                       p.after + "': images without georeference are compared for buildings "
                       "and ground by their red, green and blue (--bands) and their own masks "
                       "(no-data value, alpha band) alone, without rules or calibration");
  PixelChangeRequest req = building_request(p, env);
  req.pixel_size_m = p.pixel_size;
  return run_pixel_grid_change(req, env.log);
}

/// Georeferenced red, green and blue with no near-infrared band at very high resolution (drone
/// orthomosaics, aerial photos): buildings and ground by the same method as images without
/// georeference, on A's grid. nullopt for any other pair (the land-use engine takes it).
std::optional<nlohmann::json> change_vhr_on_grid(const ChangeParams& p, const StepEnv& env,
                                                 const io::ImageInfo& before,
                                                 const io::ImageInfo& after,
                                                 const std::string& date_before,
                                                 const std::string& date_after) {
  // Classification rules asked for by name (landuse_rules_rgb.yaml for orthomosaics): the
  // land-use engine, as before.
  if (!p.rules.empty()) return std::nullopt;
  if (!is_vhr_rgb(before) || !is_vhr_rgb(after)) return std::nullopt;
  const std::pair<const char*, bool> not_yet[] = {
      {"farmland", !p.farmland.empty()},
      {"db", !p.db.empty()},
      {"tiles", p.tiles},
      {"change-rules", !p.change_rules.empty()},
      {"quality", !p.image.quality.empty() && p.image.quality != "none"},
      {"pixel-size", p.pixel_size.has_value()}};
  for (const auto& [opt, given] : not_yet)
    if (given)
      throw ParamError(std::string("--") + opt + " is not available for very-high-resolution " +
                       "RGB ('" + p.before + "', '" + p.after +
                       "': red, green and blue without near-infrared, compared for new "
                       "buildings)" +
                       (std::string(opt) == "pixel-size" ? ": their georeference gives the pixel size"
                                                         : " without classification rules; name "
                                                           "RGB ones (--rules pipelines/rules/"
                                                           "landuse_rules_rgb.yaml) for a full "
                                                           "run with it"));
  PixelChangeRequest req = building_request(p, env);
  req.date_before = date_before;
  req.date_after = date_after;
  return run_vhr_change_on_grid(req, before, after, env.log);
}

/// What `path` is, as `change` reads it (no band required yet).
io::ImageInfo describe(const ChangeParams& p, const std::string& path) {
  auto req = p.image.request(path);
  req.allow_relative = true;
  return io::inspect_image(req, {});
}

/// The classes both dates are read with: the maps' own class table, a model's, or the rules.
/// `map_a`, `map_b`: describe() of --before and --after.
void choose_classes(const ChangeParams& p, const io::ImageInfo& map_a,
                    const io::ImageInfo& map_b, PipelineSpec& spec) {
  // Two land-use maps that say what their codes mean (a learned model's classes, with keys
  // from its class table) are compared with those classes; images use the rules file.
  if (map_a.classes && map_b.classes) {
    if (io::class_table_metadata(*map_a.classes) != io::class_table_metadata(*map_b.classes))
      throw InputError("land-use maps '" + p.before + "' and '" + p.after +
                       "' have different class tables: classify both with the same model");
    spec.classifier_source = "class table of " + p.before;
    spec.classifier = classes_only(*map_a.classes);
  } else if (!p.model.empty()) {
    if (VhrChangeForest::is_change_model(p.model))
      throw ParamError("--model '" + p.model +
                       "' is a change model, for very-high-resolution red, green and blue pairs; '" +
                       p.before + "' and '" + p.after +
                       "' are compared by land use: give a land-use model (farmwatch train "
                       "--image ... --labels ...) or none");
    spec.model = p.model;
    spec.classifier_source = p.model;
    spec.classifier = model_class_source(p.model);
  } else {
    spec.classifier_source =
        p.rules.empty() ? default_rules_dir() + "/landuse_rules.yaml" : p.rules;
    spec.classifier = load_classifier_file(spec.classifier_source);
  }
  spec.change_source =
      p.change_rules.empty() ? default_rules_dir() + "/change_rules.yaml" : p.change_rules;
  spec.change = load_change_rules_file(spec.change_source, spec.classifier->classes(),
                                       /*skip_absent_classes=*/map_a.classes || !p.model.empty());
}

}  // namespace

nlohmann::json change(const ChangeParams& p, const StepEnv& env) {
  if (!p.farmland.empty() && p.id_field.empty())
    throw ParamError("--farmland needs --id-field (the parcel-id attribute)");
  if (!io::pair_georeferenced(p.before, p.after)) return change_on_pixel_grid(p, env);
  std::string date_a = p.date_before.empty() ? date_from_name(p.before, "before") : p.date_before;
  std::string date_b = p.date_after.empty() ? date_from_name(p.after, "after") : p.date_after;
  if (date_a == date_b) {
    date_a = "before";
    date_b = "after";
  }
  const io::ImageInfo info_a = describe(p, p.before), info_b = describe(p, p.after);
  if (auto vhr = change_vhr_on_grid(p, env, info_a, info_b, date_a, date_b)) return *vhr;
  if (!p.image.quality.empty() && p.image.quality != "spectral" && p.image.quality != "none")
    throw ParamError(
        "--quality takes 'spectral' or 'none' here (a quality file belongs to one image: name it "
        "per date in a pipeline file)");

  PipelineSpec spec;
  spec.name = "change";
  choose_classes(p, info_a, info_b, spec);
  DateSpec a, b;
  a.date = date_a;
  b.date = date_b;
  a.scenes = {{p.image.request(p.before), a.date, a.sensor}};
  b.scenes = {{p.image.request(p.after), b.date, b.sensor}};
  // A general change detector needs no reflectance: DNs without a rule are compared as they
  // are (the spectral test is calibrated on the images themselves).
  a.scenes[0].image.allow_relative = b.scenes[0].image.allow_relative = true;
  spec.dates = {a, b};
  if (!p.farmland.empty()) {
    io::FarmlandRequest f;
    f.path = p.farmland;
    f.layer = p.layer;
    f.id_field = p.id_field;
    spec.farmland = f;
  }
  spec.outputs.dir = p.out;
  spec.database = p.db;
  spec.outputs.tiles = p.tiles;
  spec.outputs.max_chips = p.chips;
  spec.coregister = !p.no_coregister;
  spec.normalise = !p.no_normalise;
  RunOptions opts;
  opts.threads = env.threads;
  return run_pipeline(spec, opts, env.log);
}

}  // namespace farmwatch::pipeline
