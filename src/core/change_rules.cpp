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
  return k == VhrChangeKind::demolished_building || k == VhrChangeKind::land_changed
             ? ChangeCategory::other
             : ChangeCategory::non_agricultural;
}

namespace {

struct KindNames {
  VhrChangeKind kind;
  const char* key;
  const char* label;
};
/// Every kind, in code order, with its identifier and display label.
constexpr KindNames kKinds[] = {
    {VhrChangeKind::new_building, "new_building", "新建建筑"},
    {VhrChangeKind::demolished_building, "demolished_building", "拆除建筑"},
    {VhrChangeKind::ground_converted, "ground_converted", "推填土或硬化"},
    {VhrChangeKind::land_changed, "land_changed", "地表变化"},
};

const KindNames* names_of(VhrChangeKind k) {
  for (const auto& n : kKinds)
    if (n.kind == k) return &n;
  return nullptr;
}

}  // namespace

const char* vhr_change_kind_key(VhrChangeKind k) {
  const KindNames* n = names_of(k);
  return n ? n->key : "";
}

const char* vhr_change_kind_label(VhrChangeKind k) {
  const KindNames* n = names_of(k);
  return n ? n->label : "";
}

}  // namespace farmwatch
