#include "farmwatch/pipeline/spec.h"

#include <filesystem>
#include <regex>

#include "farmwatch/core/error.h"
#include "rules_yaml.h"
#include "yaml_util.h"

namespace farmwatch::pipeline {
namespace fs = std::filesystem;

bool valid_date(const std::string& s) {
  static const std::regex re(R"((\d{4})-(\d{2})-(\d{2}))");
  std::smatch m;
  if (!std::regex_match(s, m, re)) return false;
  const int y = std::stoi(m[1]), mo = std::stoi(m[2]), d = std::stoi(m[3]);
  if (mo < 1 || mo > 12 || d < 1) return false;
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= days[mo - 1] + (mo == 2 && leap ? 1 : 0);
}

int days_between(const std::string& a, const std::string& b) {
  // Days from civil (H. Hinnant's algorithm), enough for differences between dates.
  auto days = [](const std::string& s) {
    int y = std::stoi(s.substr(0, 4));
    const int m = std::stoi(s.substr(5, 2)), d = std::stoi(s.substr(8, 2));
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe;
  };
  return days(b) - days(a);
}

namespace {

std::string resolve(const fs::path& base, const std::string& p) {
  const fs::path path(p);
  return (path.is_absolute() ? path : base / path).lexically_normal().string();
}

/// The keys that describe one image; shared by a date with one image and by each scene.
io::ImageRequest parse_image(YamlMap& m, const fs::path& base) {
  io::ImageRequest img;
  img.path = resolve(base, m.str("image"));
  if (auto b = m.opt_node("bands")) {
    YamlMap bm(*b, m.file(), m.at("bands"));
    io::BandMap map;
    for (std::size_t r = 0; r < kRoleCount; ++r)
      if (auto v = bm.opt_int(role_name(static_cast<BandRole>(r)))) {
        if (*v < 1) bm.fail(role_name(static_cast<BandRole>(r)), "band numbers start at 1");
        map.index[r] = *v;
      }
    bm.finish();
    img.bands = map;
  }
  img.scale = m.opt_num("scale");
  img.offset = m.opt_num("offset");
  if (auto p = m.opt_str("profile")) {
    const auto profile = io::parse_profile(*p);
    if (!profile)
      m.fail("profile", "unknown sensor profile '" + *p + "' (known: " + io::kProfileNames + ")");
    img.profile = *profile;
  }
  if (auto md = m.opt_str("metadata")) img.metadata = resolve(base, *md);
  if (auto t = m.opt_str("calibration_table")) img.calibration_table = resolve(base, *t);
  if (auto q = m.opt_node("quality")) {
    auto keyword = [](const std::string& v) { return v == "spectral" || v == "none"; };
    if (q->IsScalar()) {
      const auto v = q->as<std::string>();
      img.quality = keyword(v) ? v : resolve(base, v);
    } else {
      YamlMap qm(*q, m.file(), m.at("quality"));
      if (auto path = qm.opt_str("path")) img.quality = resolve(base, *path);
      img.quality_band = qm.opt_int("band").value_or(0);
      if (auto k = qm.opt_str("kind")) {
        img.quality_kind = parse_quality_kind(*k);
        if (!img.quality_kind)
          qm.fail("kind", "unknown quality layer kind '" + *k +
                              "' (known: scl, qa_pixel, cloud_mask, spectral, none)");
      }
      if (img.quality.empty() && img.quality_kind != QualityKind::spectral &&
          img.quality_kind != QualityKind::none)
        qm.fail("path", "missing (a quality layer file is needed unless kind is spectral or none)");
      qm.finish();
    }
  }
  return img;
}

DateSpec parse_date(const YAML::Node& n, const std::string& file, std::size_t i,
                    const fs::path& base) {
  YamlMap m(n, file, "dates[" + std::to_string(i) + "]");
  DateSpec d;
  d.date = m.str("date");
  if (!valid_date(d.date)) m.fail("date", "'" + d.date + "' is not a date written YYYY-MM-DD");
  d.sensor = m.opt_str("sensor").value_or("unknown");
  if (auto mc = m.opt_num("max_cloud")) {
    if (!(*mc > 0 && *mc <= 1)) m.fail("max_cloud", "must be a share in (0, 1]");
    d.max_cloud = *mc;
  }
  if (auto scenes = m.opt_node("scenes")) {
    if (m.has("image"))
      m.fail("scenes", "give either image (one scene) or scenes (a list), not both");
    if (!scenes->IsSequence() || scenes->size() < 1 || scenes->size() > 254)
      m.fail("scenes", "expected a list of 1 to 254 scenes");
    for (std::size_t k = 0; k < scenes->size(); ++k) {
      YamlMap sm((*scenes)[k], file, m.at("scenes") + "[" + std::to_string(k) + "]");
      SceneSpec sc;
      sc.image = parse_image(sm, base);
      sc.acquired = sm.opt_str("date").value_or(d.date);
      if (!valid_date(sc.acquired))
        sm.fail("date", "'" + sc.acquired + "' is not a date written YYYY-MM-DD");
      sc.sensor = sm.opt_str("sensor").value_or(d.sensor);
      sm.finish();
      d.scenes.push_back(std::move(sc));
    }
  } else {
    d.scenes.push_back({parse_image(m, base), d.date, d.sensor});
  }
  m.finish();
  return d;
}

}  // namespace

PipelineSpec load_pipeline(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  const fs::path base = fs::absolute(path).parent_path();
  YamlMap top(root, path, "");
  PipelineSpec spec;
  spec.file = path;
  spec.name = top.opt_str("name").value_or(fs::path(path).stem().string());

  const YAML::Node dates = top.node("dates");
  if (!dates.IsSequence() || dates.size() < 1 || dates.size() > 2)
    top.fail("dates", "expected a list of one date (classification only) or two (before, after)");
  for (std::size_t i = 0; i < dates.size(); ++i)
    spec.dates.push_back(parse_date(dates[i], path, i, base));
  if (spec.dates.size() == 2 && !(spec.dates[0].date < spec.dates[1].date))
    top.fail("dates", "the second date must be later than the first");

  // A polygon layer: path and optional layer name; the caller reads its other keys.
  auto layer_request = [&](YamlMap& m, std::string kind) {
    io::FarmlandRequest req;
    req.path = resolve(base, m.str("path"));
    req.layer = m.opt_str("layer").value_or("");
    req.kind = std::move(kind);
    return req;
  };
  if (auto f = top.opt_node("farmland")) {
    YamlMap fm(*f, path, "farmland");
    io::FarmlandRequest req = layer_request(fm, "farmland layer");
    req.id_field = fm.str("id_field");
    fm.finish();
    spec.farmland = req;
  }
  if (auto ex = top.opt_node("exemptions")) {
    if (!ex->IsSequence()) top.fail("exemptions", "expected a list of {name, path[, layer]}");
    for (std::size_t k = 0; k < ex->size(); ++k) {
      YamlMap em((*ex)[k], path, "exemptions[" + std::to_string(k) + "]");
      ExemptionSpec e;
      e.name = em.str("name");
      e.layer = layer_request(em, "exemption layer '" + e.name + "'");
      em.finish();
      spec.exemptions.push_back(std::move(e));
    }
  }
  if (auto a = top.opt_node("admin")) {
    YamlMap am(*a, path, "admin");
    io::FarmlandRequest req = layer_request(am, "admin layer");
    req.id_field = am.str("code_field");
    req.name_field = am.str("name_field");
    am.finish();
    spec.admin = req;
  }

  if (auto g = top.opt_node("grid")) {
    YamlMap gm(*g, path, "grid");
    spec.grid.crs = gm.opt_str("crs");
    spec.grid.resolution = gm.opt_num("resolution");
    if (spec.grid.resolution && !(*spec.grid.resolution > 0))
      gm.fail("resolution", "must be positive");
    if (auto e = gm.opt_node("extent"); e && e->IsScalar()) {
      const auto v = e->as<std::string>();
      if (v != "farmland" && v != "imagery")
        gm.fail("extent",
                "expected [xmin, ymin, xmax, ymax], farmland or imagery, got '" + v + "'");
      spec.grid.bound = v == "farmland" ? GridSpec::Bound::farmland : GridSpec::Bound::imagery;
    } else if (e) {
      if (!e->IsSequence() || e->size() != 4)
        gm.fail("extent", "expected [xmin, ymin, xmax, ymax], farmland or imagery");
      Box b{(*e)[0].as<double>(), (*e)[1].as<double>(), (*e)[2].as<double>(), (*e)[3].as<double>()};
      if (b.empty()) gm.fail("extent", "xmin < xmax and ymin < ymax are required");
      spec.grid.extent = b;
    }
    spec.grid.margin = gm.opt_num("margin");
    if (spec.grid.margin && !(*spec.grid.margin >= 0)) gm.fail("margin", "must be 0 or more");
    gm.finish();
  }

  // Rules: a file name (relative to the pipeline file) or the rules inline; or a learned model,
  // whose class table the change rules then name.
  if (auto m = top.opt_str("model")) {
    spec.model = resolve(base, *m);
    if (top.has("classification"))
      top.fail("model", "give either a model or classification rules, not both");
    spec.classifier_source = spec.model;
    spec.classifier = model_class_source(spec.model);
  } else if (const YAML::Node cls = top.node("classification"); cls.IsScalar()) {
    spec.classifier_source = resolve(base, cls.as<std::string>());
    spec.classifier = load_classifier_file(spec.classifier_source);
  } else {
    spec.classifier_source = path + " (inline)";
    spec.classifier = parse_classifier(cls, path, "classification");
  }
  if (auto ch = top.opt_node("change_rules")) {
    if (ch->IsScalar()) {
      spec.change_source = resolve(base, ch->as<std::string>());
      spec.change = load_change_rules_file(spec.change_source, spec.classifier->classes(),
                                           !spec.model.empty());
    } else {
      spec.change_source = path + " (inline)";
      spec.change = parse_change_rules(*ch, spec.classifier->classes(), path, "change_rules",
                                       !spec.model.empty());
    }
  } else if (spec.dates.size() == 2) {
    top.fail("change_rules", "missing (required when two dates are compared)");
  }
  if (auto mm = top.opt_node("min_patch_area_m2"))
    parse_min_areas(*mm, spec.change.rules, path, "min_patch_area_m2");

  YamlMap om(top.node("outputs"), path, "outputs");
  spec.outputs.dir = resolve(base, om.str("dir"));
  spec.outputs.landuse = om.opt_bool("landuse").value_or(true);
  if (auto t = om.opt_node("tiles")) {
    if (t->IsScalar()) {
      spec.outputs.tiles = t->as<bool>();
    } else {
      YamlMap tm(*t, path, "outputs.tiles");
      spec.outputs.min_zoom = tm.opt_int("min_zoom").value_or(-1);
      spec.outputs.max_zoom = tm.opt_int("max_zoom").value_or(-1);
      tm.finish();
    }
  }
  om.finish();
  // Every run of a pipeline file is recorded; by default in farmwatch.gpkg beside the output
  // folder, so that the next night's run finds it.
  const std::string db = top.opt_str("database").value_or("farmwatch.gpkg");
  if (db != "none")
    spec.database =
        db.rfind("PG:", 0) == 0
            ? db
            : resolve(top.has("database") ? base : fs::path(spec.outputs.dir).parent_path(), db);
  if (auto bs = top.opt_int("block_size")) {
    if (*bs < 16 || *bs > 4096 || *bs % 16)
      top.fail("block_size", "must be a multiple of 16 in 16..4096");
    spec.block_size = *bs;
  }
  spec.coregister = top.opt_bool("coregister").value_or(true);
  spec.normalise = top.opt_bool("normalise").value_or(true);
  top.finish();
  return spec;
}

}  // namespace farmwatch::pipeline
