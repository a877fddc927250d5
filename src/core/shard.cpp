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

namespace {

/// The position of (x, y) along the Hilbert curve filling an n x n square (n a power of two).
std::int64_t hilbert_index(std::int64_t n, std::int64_t x, std::int64_t y) {
  std::int64_t d = 0;
  for (std::int64_t s = n / 2; s > 0; s /= 2) {
    const std::int64_t rx = (x & s) > 0, ry = (y & s) > 0;
    d += s * s * ((3 * rx) ^ ry);
    if (ry == 0) {  // rotate the quadrant
      if (rx == 1) {
        x = s - 1 - x;
        y = s - 1 - y;
      }
      std::swap(x, y);
    }
  }
  return d;
}

}  // namespace

std::vector<int> deal_cells(const std::vector<std::int64_t>& weights, int columns, int count) {
  if (columns < 1 || count < 1)
    throw std::invalid_argument("deal_cells: columns and count must be at least 1");
  if (std::any_of(weights.begin(), weights.end(), [](std::int64_t v) { return v < 0; }))
    throw std::invalid_argument("deal_cells: a weight is negative");
  const auto n = static_cast<std::int64_t>(weights.size());
  std::vector<int> owner(weights.size(), 0);
  if (n == 0) return owner;
  const std::int64_t rows = (n + columns - 1) / columns;
  std::int64_t side = 1;
  while (side < std::max<std::int64_t>(columns, rows)) side *= 2;
  std::vector<std::size_t> order(weights.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return hilbert_index(side, std::int64_t(a) % columns, std::int64_t(a) / columns) <
           hilbert_index(side, std::int64_t(b) % columns, std::int64_t(b) / columns);
  });
  std::vector<std::int64_t> w(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) w[i] = weights[order[i]];
  // The runs needed to hold w[i..] under `cap`, packing from the end (greedy packing is
  // optimal for consecutive runs, and packing from the end gives it for every suffix at once).
  std::vector<std::int64_t> need(w.size() + 1, 0);
  auto pack = [&](std::int64_t cap) {
    std::int64_t runs = 0, load = 0;
    for (std::int64_t i = n - 1; i >= 0; --i) {
      if (runs == 0 || load + w[std::size_t(i)] > cap) {
        ++runs;
        load = 0;
      }
      load += w[std::size_t(i)];
      need[std::size_t(i)] = runs;
    }
    return runs;
  };
  std::int64_t lo = *std::max_element(w.begin(), w.end());
  std::int64_t hi = std::accumulate(w.begin(), w.end(), std::int64_t(0));
  lo = std::max<std::int64_t>(lo, 0);
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (pack(mid) <= count)
      hi = mid;
    else
      lo = mid + 1;
  }
  const std::int64_t cap = lo;
  pack(cap);
  std::int64_t left = std::accumulate(w.begin(), w.end(), std::int64_t(0));
  std::int64_t i = 0;
  for (int s = 0; s < count && i < n; ++s) {
    const int after = count - s - 1;  // shards after this one
    const double share = double(left) / double(count - s);
    std::int64_t load = 0;
    bool first = true;
    while (i < n) {
      const std::int64_t v = w[std::size_t(i)];
      if (after == 0 || first || need[std::size_t(i)] > after) {
        // The last shard takes the rest; a shard takes at least one cell; and it must take
        // this one if the rest does not fit the shards after it.
      } else if (load + v > cap || double(load) + 0.5 * double(v) > share) {
        break;
      }
      owner[order[std::size_t(i)]] = s;
      load += v;
      first = false;
      ++i;
    }
    left -= load;
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
