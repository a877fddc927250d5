#include "farmwatch/core/coverage.h"

#include <algorithm>
#include <cmath>

namespace farmwatch {
namespace {

struct Pt {
  double x, y;
};
using Poly = std::vector<Pt>;

/// Sutherland-Hodgman against the half-plane coord(p) >= v (keep_above) or <= v. The result of
/// clipping a simple ring against a convex region has the same area as the true intersection
/// (overlapping boundary edges have zero area), which is all that is measured here.
Poly clip(const Poly& in, bool along_x, double v, bool keep_above) {
  Poly out;
  if (in.empty()) return out;
  auto c = [&](const Pt& p) { return along_x ? p.x : p.y; };
  auto inside = [&](const Pt& p) { return keep_above ? c(p) >= v : c(p) <= v; };
  auto cross = [&](const Pt& a, const Pt& b) {
    const double t = (v - c(a)) / (c(b) - c(a));
    return along_x ? Pt{v, a.y + t * (b.y - a.y)} : Pt{a.x + t * (b.x - a.x), v};
  };
  Pt prev = in.back();
  bool prev_in = inside(prev);
  for (const Pt& cur : in) {
    const bool cur_in = inside(cur);
    if (cur_in != prev_in) out.push_back(cross(prev, cur));
    if (cur_in) out.push_back(cur);
    prev = cur;
    prev_in = cur_in;
  }
  return out;
}

/// Signed area (shoelace).
double area(const Poly& p) {
  double s = 0;
  for (std::size_t i = 0, j = p.size() - 1; i < p.size(); j = i++)
    s += (p[j].x + p[i].x) * (p[j].y - p[i].y);
  return -0.5 * s;
}

}  // namespace

void coverage_fractions(const Grid& grid, const std::vector<PolygonRings>& parts,
                        const std::function<void(int, int, double)>& visit) {
  const auto& t = grid.transform.c;
  const double x0 = t[0], y0 = t[3], dx = t[1], dy = t[5];  // dy < 0 (north-up)
  // Rings in pixel units (column, row), so cell edges are integers; each ring's area counts
  // with its orientation made consistent: outer rings positive, holes negative.
  std::vector<Poly> rings;
  std::vector<double> sign;
  double cmin = 1e300, cmax = -1e300, rmin = 1e300, rmax = -1e300;
  for (const auto& part : parts)
    for (std::size_t k = 0; k < part.size(); ++k) {
      const Ring& r = part[k];
      Poly p;
      for (std::size_t i = 0; i < r.x.size(); ++i) {
        p.push_back({(r.x[i] - x0) / dx, (r.y[i] - y0) / dy});
        cmin = std::min(cmin, p.back().x), cmax = std::max(cmax, p.back().x);
        rmin = std::min(rmin, p.back().y), rmax = std::max(rmax, p.back().y);
      }
      if (p.size() > 1 && p.front().x == p.back().x && p.front().y == p.back().y) p.pop_back();
      if (p.size() < 3) continue;
      const double a = area(p);
      if (a == 0) continue;
      rings.push_back(std::move(p));
      sign.push_back(k == 0 ? 1.0 : -1.0);  // clipped areas are taken unsigned
    }
  if (rings.empty()) return;
  const int r0 = std::max(0, static_cast<int>(std::floor(rmin)));
  const int r1 = std::min(grid.height - 1, static_cast<int>(std::ceil(rmax)) - 1);
  const int c0 = std::max(0, static_cast<int>(std::floor(cmin)));
  const int c1 = std::min(grid.width - 1, static_cast<int>(std::ceil(cmax)) - 1);
  std::vector<double> row_frac;
  for (int row = r0; row <= r1; ++row) {
    row_frac.assign(static_cast<std::size_t>(c1 - c0 + 1), 0.0);
    for (std::size_t k = 0; k < rings.size(); ++k) {
      Poly strip = clip(clip(rings[k], false, row, true), false, row + 1, false);
      if (strip.size() < 3) continue;
      double smin = 1e300, smax = -1e300;
      for (const auto& p : strip) smin = std::min(smin, p.x), smax = std::max(smax, p.x);
      const int a = std::max(c0, static_cast<int>(std::floor(smin)));
      const int b = std::min(c1, static_cast<int>(std::ceil(smax)) - 1);
      // Sweep columns: what lies right of each column edge, clipped once per edge.
      Poly rest = clip(strip, true, a, true);
      for (int col = a; col <= b && rest.size() >= 3; ++col) {
        const Poly in_cell = clip(rest, true, col + 1, false);
        if (in_cell.size() >= 3)
          row_frac[static_cast<std::size_t>(col - c0)] += sign[k] * std::fabs(area(in_cell));
        rest = clip(rest, true, col + 1, true);
      }
    }
    for (int col = c0; col <= c1; ++col) {
      const double f = std::clamp(row_frac[static_cast<std::size_t>(col - c0)], 0.0, 1.0);
      if (f > 1e-12) visit(row, col, f);
    }
  }
}

}  // namespace farmwatch
