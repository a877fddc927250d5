#include "farmwatch/core/shard.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace farmwatch {

std::string ShardId::name() const {
  return std::to_string(index) + "-of-" + std::to_string(count);
}

std::string ShardId::label() const {
  return std::to_string(index) + "/" + std::to_string(count);
}

ShardId parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  auto number = [&](const std::string& s) {
    if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos)
      throw std::invalid_argument("'" + text + "' is not i/N (shard i of N, counted from 0)");
    return std::stoi(s);
  };
  if (slash == std::string::npos)
    throw std::invalid_argument("'" + text + "' is not i/N (shard i of N, counted from 0)");
  ShardId s{number(text.substr(0, slash)), number(text.substr(slash + 1))};
  if (s.count < 1 || s.count > 4096)
    throw std::invalid_argument("'" + text + "': N must be 1 to 4096");
  if (s.index >= s.count)
    throw std::invalid_argument("'" + text + "': i must be 0 to " + std::to_string(s.count - 1) +
                                " (shards are counted from 0)");
  return s;
}

int shard_cell_size(const Grid& grid, int count) {
  int cell = 4096;
  auto cells = [&](int c) {
    return std::int64_t((grid.width + c - 1) / c) * ((grid.height + c - 1) / c);
  };
  while (cell > 64 && cells(cell) < 4 * std::int64_t(count)) cell /= 2;
  return cell;
}

std::vector<Window> shard_cells(const Grid& grid, int cell) { return grid.blocks(cell, cell); }

std::vector<int> deal_cells(const std::vector<std::int64_t>& weights, int count) {
  std::vector<std::size_t> order(weights.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return weights[a] > weights[b]; });
  std::vector<std::int64_t> load(static_cast<std::size_t>(count), 0);
  std::vector<int> owner(weights.size(), 0);
  for (std::size_t c : order) {
    const auto least = std::min_element(load.begin(), load.end());  // first of equals
    owner[c] = static_cast<int>(least - load.begin());
    *least += weights[c];
  }
  return owner;
}

std::vector<Window> shard_windows(const std::vector<Window>& cells, int block) {
  std::vector<Window> out;
  for (const Window& c : cells) {
    if (c.width <= block && c.height <= block) {
      out.push_back(c);
      continue;
    }
    for (int r = c.row; r < c.row + c.height; r += block)
      for (int col = c.col; col < c.col + c.width; col += block)
        out.push_back(Window{col, r, std::min(block, c.col + c.width - col),
                             std::min(block, c.row + c.height - r)});
  }
  std::sort(out.begin(), out.end(), [](const Window& a, const Window& b) {
    return a.row != b.row ? a.row < b.row : a.col < b.col;
  });
  return out;
}

}  // namespace farmwatch
