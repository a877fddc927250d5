#pragma once
// The land-use classes a run uses, with their GB/T 21010 codes and display colours.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace farmwatch {

/// Class code meaning "no valid observation" in every land-use and change raster.
inline constexpr std::uint8_t kNodataCode = 255;

struct Rgba {
  std::uint8_t r = 0, g = 0, b = 0, a = 255;
  /// Parses "#rrggbb" or "#rrggbbaa"; nullopt if malformed.
  static std::optional<Rgba> parse(const std::string& hex);
};

/// A colour for a class that was given none, made from its code (distinct for nearby codes).
Rgba default_class_color(std::uint8_t code);

/// One land-use class of the classifier, mapped onto GB/T 21010-2017.
struct LandClass {
  std::uint8_t code = 0;  ///< value in landuse_<date>.tif (1..254)
  std::string key;        ///< identifier used in rule files, e.g. "cropland"
  std::string name;       ///< display name, e.g. "耕地"
  std::string gbt_code;   ///< GB/T 21010 code, e.g. "0103"
  std::string gbt_name;   ///< GB/T 21010 name, e.g. "旱地"
  Rgba color;
  bool observed = true;  ///< false for cloud/shadow: no land-use observation there
};

class ClassTable {
 public:
  /// Adds a class; throws std::invalid_argument on a duplicate key/code or a reserved code.
  void add(LandClass c);
  const LandClass* find(std::uint8_t code) const;
  const LandClass* find(const std::string& key) const;
  const std::vector<LandClass>& classes() const { return classes_; }
  /// Whether pixels of this code carry a land-use observation (not nodata, not cloud).
  bool observed(std::uint8_t code) const { return observed_[code]; }

 private:
  std::vector<LandClass> classes_;
  std::array<bool, 256> observed_{};
};

}  // namespace farmwatch
