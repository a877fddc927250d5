#include "farmwatch/pipeline/image_params.h"

#include <algorithm>
#include <cctype>

#include "farmwatch/core/error.h"

namespace farmwatch::pipeline {

namespace {

/// The quality layer kinds, in lower case (as documented) and upper case (as products name
/// them).
std::vector<std::string> quality_kinds() {
  return {"scl", "qa_pixel", "cloud_mask", "spectral", "none",
          "SCL", "QA_PIXEL", "CLOUD_MASK", "SPECTRAL", "NONE"};
}

/// `bands`: "blue=1,green=2,..." (the command-line form) or a mapping {blue: 1, ...}.
void read_bands(ImageParams& p, const YAML::Node& v, const ParamSource& src) {
  if (v.IsScalar()) {
    try {
      p.bands = io::BandMap::parse(v.as<std::string>());
    } catch (const std::exception& e) {
      src.fail("bands", e.what());
    }
    return;
  }
  if (!v.IsMap()) src.fail("bands", "expected {role: band number, ...} or 'role=band,...'");
  io::BandMap map;
  for (const auto& kv : v) {
    const std::string role = kv.first.as<std::string>();
    std::size_t r = 0;
    while (r < kRoleCount && role_name(static_cast<BandRole>(r)) != role) ++r;
    if (r == kRoleCount) src.nested("bands").fail(role, "unknown band role");
    const double n = param_detail::number_value(kv.second, role, src.nested("bands"), true);
    param_detail::check_range(n, role, src.nested("bands"), 1, std::nullopt, false, std::nullopt);
    map.index[r] = static_cast<int>(n);
  }
  p.bands = map;
}

nlohmann::json bands_schema() {
  nlohmann::json roles = nlohmann::json::object();
  for (std::size_t r = 0; r < kRoleCount; ++r)
    roles[role_name(static_cast<BandRole>(r))] = {{"type", "integer"}, {"minimum", 1}};
  return {{"oneOf",
           {{{"type", "object"}, {"properties", roles}, {"additionalProperties", false}},
            {{"type", "string"}}}}};
}

/// The sub-mapping form of `quality` in a pipeline file: {path, band, kind}.
struct QualityForm {
  std::string path, kind;
  int band = 0;
  static const ParamSet& params() {
    static const ParamSet set =
        Params<QualityForm>("quality")
            .path("path", &QualityForm::path, "quality layer file")
            .integer("band", &QualityForm::band, "band of the file (0 or 1: the first)", {0})
            .choice("kind", &QualityForm::kind, quality_kinds(), "kind of the layer")
            .set();
    return set;
  }
};

void read_quality(ImageParams& p, const YAML::Node& v, const ParamSource& src) {
  if (v.IsScalar()) {
    // The two keywords in any case (`--quality NONE`); anything else is a file.
    std::string t = v.as<std::string>(), lower = t;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    p.quality = lower == "spectral" || lower == "none"
                    ? lower
                    : param_detail::path_value(v, "quality", src);
    return;
  }
  QualityForm q;
  QualityForm::params().read(&q, v, src.nested("quality"));
  p.quality = q.path;
  p.quality_band = q.band;
  p.quality_kind = q.kind;
  const auto kind = parse_quality_kind(q.kind);
  if (q.path.empty() && kind != QualityKind::spectral && kind != QualityKind::none)
    src.nested("quality")
        .fail("path", "missing (a quality layer file is needed unless kind is spectral or none)");
}

}  // namespace

const ParamSet& ImageParams::params() {
  static const ParamSet set =
      Params<ImageParams>("image")
          .custom("bands",
                  "band roles, e.g. blue=1,green=2,red=3,nir=4[,swir1=5,swir2=6] (default: from "
                  "band descriptions)",
                  bands_schema(), read_bands)
          .number("scale", &ImageParams::scale, "reflectance = DN * scale + offset")
          .number("offset", &ImageParams::offset, "see scale")
          .choice("profile", &ImageParams::profile,
                  {"auto", "generic", "landsat", "sentinel2", "drone", "gaofen"},
                  "sensor profile: auto reads Landsat *_MTL.txt beside the image, else band "
                  "metadata; drone reads camera DN as relative brightness")
          .default_value("auto")
          .path("metadata", &ImageParams::metadata,
                "product metadata: Landsat *_MTL.txt, Sentinel-2 MTD XML or Gaofen XML (default: "
                "found beside the image)")
          .path("calibration_table", &ImageParams::calibration_table,
                "Gaofen absolute calibration gains (CSV; default: the built-in table)")
          .custom("quality",
                  "cloud/quality mask: a file (Sentinel-2 SCL, Landsat QA_PIXEL, a 0/1 cloud "
                  "mask), 'spectral' (the spectral cloud test) or 'none' (default: an SCL/"
                  "QA_PIXEL band of the image, if any)",
                  {{"oneOf",
                    {{{"type", "string"}, {"minLength", 1}}, QualityForm::params().schema()}}},
                  read_quality)
          .integer("quality_band", &ImageParams::quality_band,
                   "band of the quality file (0 or 1: the first)", {0})
          .choice("quality_kind", &ImageParams::quality_kind, quality_kinds(),
                  "kind of the quality file when its name does not say")
          .set();
  return set;
}

bool ImageParams::any_set() const {
  return bands || scale || offset || profile != "auto" || !metadata.empty() ||
         !calibration_table.empty() || !quality.empty() || quality_band != 0 ||
         !quality_kind.empty();
}

io::ImageRequest ImageParams::request(const std::string& path) const {
  io::ImageRequest r;
  r.path = path;
  r.bands = bands;
  r.scale = scale;
  r.offset = offset;
  r.profile = *io::parse_profile(profile);  // a declared choice
  r.metadata = metadata;
  r.calibration_table = calibration_table;
  r.quality = quality;
  r.quality_band = quality_band;
  if (!quality_kind.empty()) r.quality_kind = parse_quality_kind(quality_kind);
  return r;
}

}  // namespace farmwatch::pipeline
