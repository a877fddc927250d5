#include "farmwatch/core/class_table.h"

#include <stdexcept>

namespace farmwatch {

std::optional<Rgba> Rgba::parse(const std::string& hex) {
  if ((hex.size() != 7 && hex.size() != 9) || hex[0] != '#') return std::nullopt;
  auto byte = [&](size_t i) -> int {
    int v = 0;
    for (size_t k = i; k < i + 2; ++k) {
      const char ch = hex[k];
      int d;
      if (ch >= '0' && ch <= '9')
        d = ch - '0';
      else if (ch >= 'a' && ch <= 'f')
        d = ch - 'a' + 10;
      else if (ch >= 'A' && ch <= 'F')
        d = ch - 'A' + 10;
      else
        return -1;
      v = v * 16 + d;
    }
    return v;
  };
  Rgba c;
  const int r = byte(1), g = byte(3), b = byte(5), a = hex.size() == 9 ? byte(7) : 255;
  if (r < 0 || g < 0 || b < 0 || a < 0) return std::nullopt;
  c.r = static_cast<std::uint8_t>(r);
  c.g = static_cast<std::uint8_t>(g);
  c.b = static_cast<std::uint8_t>(b);
  c.a = static_cast<std::uint8_t>(a);
  return c;
}

Rgba default_class_color(std::uint8_t code) {
  const auto h = static_cast<std::uint8_t>(code * 67u + 40u);
  return Rgba{h, static_cast<std::uint8_t>(255 - h), static_cast<std::uint8_t>(code * 31u), 255};
}

void ClassTable::add(LandClass c) {
  if (c.code == 0 || c.code == kNodataCode)
    throw std::invalid_argument("class '" + c.key + "': code " + std::to_string(c.code) +
                                " is reserved (use 1..254)");
  if (find(c.code)) throw std::invalid_argument("duplicate class code " + std::to_string(c.code));
  if (find(c.key)) throw std::invalid_argument("duplicate class key '" + c.key + "'");
  observed_[c.code] = c.observed;
  classes_.push_back(std::move(c));
}

const LandClass* ClassTable::find(std::uint8_t code) const {
  for (const auto& c : classes_)
    if (c.code == code) return &c;
  return nullptr;
}

const LandClass* ClassTable::find(const std::string& key) const {
  for (const auto& c : classes_)
    if (c.key == key) return &c;
  return nullptr;
}

}  // namespace farmwatch
