#include "farmwatch/core/mosaic_priority.h"

#include <algorithm>
#include <cstdlib>
#include <numeric>

namespace farmwatch {

std::vector<std::size_t> scene_priority(const std::string& date,
                                        const std::vector<std::string>& acquired) {
  std::vector<std::size_t> order(acquired.size());
  std::iota(order.begin(), order.end(), 0);
  if (!valid_date(date)) return order;
  auto distance = [&](std::size_t k) {
    return valid_date(acquired[k]) ? std::abs(days_between(date, acquired[k])) : 1 << 30;
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return distance(a) < distance(b); });
  return order;
}

std::size_t add_to_composite(const ReflectanceBlock& scene,
                             const std::vector<PixelState>& scene_state,
                             const std::array<bool, kRoleCount>& roles, std::uint8_t source,
                             ReflectanceBlock& composite, std::vector<PixelState>& state,
                             std::vector<std::uint8_t>* sources) {
  std::size_t filled = 0;
  for (std::size_t i = 0; i < state.size(); ++i) {
    if (state[i] == PixelState::clear) continue;
    if (scene_state[i] == PixelState::cloud) state[i] = PixelState::cloud;
    if (scene_state[i] != PixelState::clear) continue;
    for (std::size_t r = 0; r < kRoleCount; ++r)
      if (roles[r]) composite.planes[r][i] = scene.planes[r][i];
    state[i] = PixelState::clear;
    if (sources) (*sources)[i] = source;
    ++filled;
  }
  return filled;
}

}  // namespace farmwatch
