#include "farmwatch/core/change_rules.h"

namespace farmwatch {

const char* category_key(ChangeCategory c) {
  switch (c) {
    case ChangeCategory::none:
      return "none";
    case ChangeCategory::non_agricultural:
      return "non_agricultural";
    case ChangeCategory::non_grain:
      return "non_grain";
    case ChangeCategory::other:
      return "other_change";
    case ChangeCategory::nodata:
      return "nodata";
  }
  return "?";
}

const char* category_color(ChangeCategory c) {
  switch (c) {
    case ChangeCategory::non_agricultural:
      return "#e61e1e";
    case ChangeCategory::non_grain:
      return "#ffa000";
    default:
      return "#286ee6";
  }
}

const char* category_label(ChangeCategory c) {
  switch (c) {
    case ChangeCategory::non_agricultural:
      return "非农化";
    case ChangeCategory::non_grain:
      return "非粮化";
    case ChangeCategory::other:
      return "其他变化";
    case ChangeCategory::none:
      return "无变化";
    case ChangeCategory::nodata:
      return "无数据";
  }
  return "?";
}

std::optional<ChangeCategory> parse_category(const std::string& key) {
  if (key == "non_agricultural" || key == "非农化") return ChangeCategory::non_agricultural;
  if (key == "non_grain" || key == "非粮化") return ChangeCategory::non_grain;
  if (key == "other_change" || key == "其他变化") return ChangeCategory::other;
  return std::nullopt;
}

std::optional<Transition> parse_transition(const std::string& key) {
  if (key == "allowed") return Transition::allowed;
  if (key == "other_change") return Transition::other_change;
  if (auto c = parse_category(key)) {
    if (*c == ChangeCategory::non_agricultural) return Transition::non_agricultural;
    if (*c == ChangeCategory::non_grain) return Transition::non_grain;
    return Transition::other_change;
  }
  return std::nullopt;
}

void ChangeRules::set(std::uint8_t from, std::uint8_t to, Transition t) {
  auto& cell = table_[from][to];
  if (cell == Transition::unset) cell = t;
}

void ChangeRules::set_min_area_m2(ChangeCategory c, double m2) {
  min_area_[static_cast<std::size_t>(c) & 3] = m2;
}

double ChangeRules::min_area_m2(ChangeCategory c) const {
  return min_area_[static_cast<std::size_t>(c) & 3];
}

ChangeCategory ChangeRules::categorize(std::uint8_t from, std::uint8_t to, bool in_farmland) const {
  const Transition t = table_[from][to];
  if (from == to || t == Transition::allowed) return ChangeCategory::none;
  if (!in_farmland) return report_outside_ ? ChangeCategory::other : ChangeCategory::none;
  switch (t) {
    case Transition::non_agricultural:
      return ChangeCategory::non_agricultural;
    case Transition::non_grain:
      return ChangeCategory::non_grain;
    default:
      return ChangeCategory::other;
  }
}

ChangeCategory vhr_change_category(VhrChangeKind k) {
  return k == VhrChangeKind::demolished_building ? ChangeCategory::other
                                                 : ChangeCategory::non_agricultural;
}

const char* vhr_change_kind_key(VhrChangeKind k) {
  switch (k) {
    case VhrChangeKind::new_building: return "new_building";
    case VhrChangeKind::demolished_building: return "demolished_building";
    case VhrChangeKind::ground_converted: return "ground_converted";
  }
  return "";
}

const char* vhr_change_kind_label(VhrChangeKind k) {
  switch (k) {
    case VhrChangeKind::new_building: return "新建建筑";
    case VhrChangeKind::demolished_building: return "拆除建筑";
    case VhrChangeKind::ground_converted: return "推填土或硬化";
  }
  return "";
}

std::optional<VhrChangeKind> parse_vhr_change_kind(const std::string& key) {
  for (auto k : {VhrChangeKind::new_building, VhrChangeKind::demolished_building,
                 VhrChangeKind::ground_converted})
    if (key == vhr_change_kind_key(k)) return k;
  return std::nullopt;
}

}  // namespace farmwatch
