#include "farmwatch/core/change_fragments.h"

#include <stdexcept>
#include <vector>

namespace farmwatch {

std::int64_t adopt_change_fragments(const std::uint8_t* window, int width, int rows, int core_begin,
                                    int core_end, bool top_is_edge, bool bottom_is_edge,
                                    const std::array<double, 4>& below, std::uint8_t* out) {
  if (width < 0 || rows < 0 || core_begin < 0 || core_end < core_begin || core_end > rows)
    throw std::invalid_argument("adopt_change_fragments: core rows outside the window");
  if (!width || core_begin == core_end) return 0;
  const auto w = static_cast<std::size_t>(width);
  auto index = [&](int r, int x) { return static_cast<std::size_t>(r) * w + x; };
  auto at = [&](int r, int x) { return window[index(r, x)]; };
  // `use(row, column)` for each 4-neighbour of (r, x) in the window, until it returns false.
  auto each_neighbour = [&](int r, int x, auto&& use) {
    constexpr int dr[4] = {-1, 1, 0, 0}, dx[4] = {0, 0, -1, 1};
    for (int k = 0; k < 4; ++k) {
      const int rr = r + dr[k], xx = x + dx[k];
      if (rr >= 0 && rr < rows && xx >= 0 && xx < width && !use(rr, xx)) return;
    }
  };
  // Only a component that touches a category before its own can be taken in: each one of
  // 非粮化 or other change is followed (breadth first) from a pixel of the window that touches
  // one, until it is whole or too large to be a fragment; its pixels in the core are
  // rewritten. (A fragment with a pixel in the core lies in the window whole, with the pixels
  // around it.) A pixel followed once is not followed again: 1 in a component being followed
  // or found whole, 2 in one too large.
  std::vector<std::uint8_t> state(static_cast<std::size_t>(rows) * w, 0);
  std::vector<std::pair<int, int>> component;
  std::int64_t rewritten = 0;
  for (int r = 0; r < rows; ++r)
    for (int x = 0; x < width; ++x) {
      const std::uint8_t c = at(r, x);
      if (c < 2 || c > 3 || state[index(r, x)]) continue;
      if (!(below[c] > 1)) continue;  // no component has under one pixel
      // The categories before c on the pixels 4-adjacent to a pixel (counted in `votes`).
      std::array<std::int64_t, 4> votes{};
      auto vote = [&](int pr, int px) {
        each_neighbour(pr, px, [&](int rr, int xx) {
          const std::uint8_t u = at(rr, xx);
          if (u >= 1 && u < c) ++votes[u];
          return true;
        });
      };
      vote(r, x);
      if (votes == std::array<std::int64_t, 4>{}) continue;  // touches none: not a start
      component.clear();
      component.emplace_back(r, x);
      state[index(r, x)] = 1;
      bool fragment = true;
      for (std::size_t i = 0; i < component.size() && fragment; ++i) {
        const auto [cr, cx] = component[i];
        // A component reaching a window row that is not the grid's edge continues beyond.
        if ((cr == 0 && !top_is_edge) || (cr == rows - 1 && !bottom_is_edge)) fragment = false;
        each_neighbour(cr, cx, [&](int rr, int xx) {
          if (at(rr, xx) != c) return true;
          auto& st = state[index(rr, xx)];
          if (st == 2) return fragment = false;  // part of a component found too large
          if (!st) st = 1, component.emplace_back(rr, xx);
          return true;
        });
        if (static_cast<double>(component.size()) >= below[c]) fragment = false;
      }
      if (!fragment) {
        for (const auto& [cr, cx] : component) state[index(cr, cx)] = 2;
        continue;
      }
      votes = {};
      for (const auto& [cr, cx] : component) vote(cr, cx);
      std::uint8_t to = 0;
      std::int64_t best = 0;
      for (std::uint8_t d = 1; d < c; ++d)
        if (votes[d] > best) best = votes[d], to = d;
      for (const auto& [cr, cx] : component)
        if (cr >= core_begin && cr < core_end) {
          out[index(cr - core_begin, cx)] = to;
          ++rewritten;
        }
    }
  return rewritten;
}

}  // namespace farmwatch
