#include "farmwatch/core/features.h"

namespace farmwatch {
namespace {
constexpr std::array<const char*, kRoleCount> kRoleNames = {"blue", "green", "red",
                                                            "nir",  "swir1", "swir2"};
constexpr std::array<const char*, kFeatureCount> kFeatureNames = {
    "blue",  "green", "red", "nir",        "swir1",    "swir2", "ndvi", "ndwi",
    "mndwi", "ndbi",  "bsi", "brightness", "blue_red", "exg",   "vari"};
}  // namespace

const char* role_name(BandRole r) { return kRoleNames[static_cast<std::size_t>(r)]; }

std::optional<BandRole> parse_role(const std::string& s) {
  for (std::size_t i = 0; i < kRoleCount; ++i)
    if (s == kRoleNames[i]) return static_cast<BandRole>(i);
  return std::nullopt;
}

const char* feature_name(Feature f) { return kFeatureNames[static_cast<std::size_t>(f)]; }

std::optional<Feature> parse_feature(const std::string& s) {
  for (std::size_t i = 0; i < kFeatureCount; ++i)
    if (s == kFeatureNames[i]) return static_cast<Feature>(i);
  return std::nullopt;
}

std::vector<BandRole> required_roles(Feature f) {
  using R = BandRole;
  switch (f) {
    case Feature::blue:
      return {R::blue};
    case Feature::green:
      return {R::green};
    case Feature::red:
      return {R::red};
    case Feature::nir:
      return {R::nir};
    case Feature::swir1:
      return {R::swir1};
    case Feature::swir2:
      return {R::swir2};
    case Feature::ndvi:
      return {R::nir, R::red};
    case Feature::ndwi:
      return {R::green, R::nir};
    case Feature::mndwi:
      return {R::green, R::swir1};
    case Feature::ndbi:
      return {R::swir1, R::nir};
    case Feature::bsi:
      return {R::swir1, R::red, R::nir, R::blue};
    case Feature::brightness:
      return {R::blue, R::green, R::red};
    case Feature::blue_red:
      return {R::blue, R::red};
    case Feature::exg:
    case Feature::vari:
      return {R::red, R::green, R::blue};
  }
  return {};
}

float feature_value(const ReflectanceBlock& b, Feature f, std::size_t i) {
  auto v = [&](BandRole r) { return b.has(r) ? b.plane(r)[i] : kNaN; };
  using R = BandRole;
  switch (f) {
    case Feature::blue:
      return v(R::blue);
    case Feature::green:
      return v(R::green);
    case Feature::red:
      return v(R::red);
    case Feature::nir:
      return v(R::nir);
    case Feature::swir1:
      return v(R::swir1);
    case Feature::swir2:
      return v(R::swir2);
    case Feature::ndvi:
      return ndvi(v(R::nir), v(R::red));
    case Feature::ndwi:
      return normalized_difference(v(R::green), v(R::nir));
    case Feature::mndwi:
      return normalized_difference(v(R::green), v(R::swir1));
    case Feature::ndbi:
      return normalized_difference(v(R::swir1), v(R::nir));
    case Feature::bsi:
      return normalized_difference(v(R::swir1) + v(R::red), v(R::nir) + v(R::blue));
    case Feature::brightness:
      return (v(R::blue) + v(R::green) + v(R::red)) / 3.0f;
    case Feature::blue_red: {
      const float red = v(R::red);
      return red > 0.0f ? v(R::blue) / red : kNaN;
    }
    case Feature::exg: {
      const float r = v(R::red), g = v(R::green), bl = v(R::blue), sum = r + g + bl;
      return sum > 0.0f ? (2.0f * g - r - bl) / sum : kNaN;
    }
    case Feature::vari: {
      const float r = v(R::red), g = v(R::green), bl = v(R::blue), d = g + r - bl;
      return d != 0.0f && std::isfinite(d) ? (g - r) / d : kNaN;
    }
  }
  return kNaN;
}

}  // namespace farmwatch
