#pragma once
// Which land-use transitions count as 非农化, 非粮化, other change, or allowed (e.g. seasonal).
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "farmwatch/core/class_table.h"

namespace farmwatch {

/// Pixel codes of change.tif.
enum class ChangeCategory : std::uint8_t {
  none = 0,
  non_agricultural = 1,  ///< 非农化
  non_grain = 2,         ///< 非粮化
  other = 3,             ///< other land-cover change
  nodata = 255,
};
/// Identifier used in rule files and outputs: "non_agricultural", "non_grain", "other_change".
const char* category_key(ChangeCategory c);
/// Chinese display label: 非农化, 非粮化, 其他变化.
const char* category_label(ChangeCategory c);
/// The category's colour in every output (change.tif, tiles, report, viewer), "#rrggbb":
/// 非农化 red, 非粮化 orange, other change blue.
const char* category_color(ChangeCategory c);
std::optional<ChangeCategory> parse_category(const std::string& key);

/// What changed in an object the very-high-resolution method (core/building_change.h) found.
enum class VhrChangeKind : std::uint8_t {
  /// Less saturated later, a changed gradient field, and an outline the earlier date lacks.
  new_building = 1,
  /// The same test with the dates swapped: an outline the later date lacks.
  demolished_building = 2,
  /// Less saturated later and a changed gradient field over at least ground_min_area_m2, with
  /// no new outline, and greyer later than the later scene's median: ground hardened (concrete,
  /// asphalt, gravel), excavated or filled (推填土).
  ground_converted = 3,
  /// Found by a learned change model (farmwatch train --before/--after) where the building
  /// method found nothing: the land's surface changed in a way the model learned from its
  /// labels, of no kind the method names (地表变化).
  land_changed = 4,
};
/// Every kind, in code order.
inline constexpr VhrChangeKind kVhrChangeKinds[] = {
    VhrChangeKind::new_building, VhrChangeKind::demolished_building,
    VhrChangeKind::ground_converted, VhrChangeKind::land_changed};
/// The change category of a kind on farmland or where no farmland layer is given: new buildings
/// and ground converted are 非农化, a demolished building and land changed are other change.
ChangeCategory vhr_change_category(VhrChangeKind k);
/// "new_building", "demolished_building", "ground_converted", "land_changed".
const char* vhr_change_kind_key(VhrChangeKind k);
/// 新建建筑, 拆除建筑, 推填土或硬化, 地表变化.
const char* vhr_change_kind_label(VhrChangeKind k);
enum class Transition : std::uint8_t { unset, allowed, non_agricultural, non_grain, other_change };
std::optional<Transition> parse_transition(const std::string& key);

class ChangeRules {
 public:
  /// Sets the rule for from -> to. Later calls do not override earlier ones (first rule wins).
  void set(std::uint8_t from, std::uint8_t to, Transition t);
  /// What happens to a change from -> to outside the farmland layer: other_change or ignore.
  void set_report_outside_farmland(bool report) { report_outside_ = report; }
  /// Whether change outside the farmland layer is reported (as other change).
  bool report_outside_farmland() const { return report_outside_; }
  void set_min_area_m2(ChangeCategory c, double m2);
  double min_area_m2(ChangeCategory c) const;

  /// Category of one pixel. Both codes must be observed classes (the caller checks validity).
  ChangeCategory categorize(std::uint8_t from, std::uint8_t to, bool in_farmland) const;

 private:
  std::array<std::array<Transition, 256>, 256> table_{};
  bool report_outside_ = true;
  std::array<double, 4> min_area_{0, 0, 0, 0};
};

}  // namespace farmwatch
