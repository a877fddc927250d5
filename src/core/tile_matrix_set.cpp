#include "farmwatch/core/tile_matrix_set.h"

#include <algorithm>
#include <cmath>

namespace farmwatch {
namespace {
constexpr double kHalfWorld = 20037508.342789244;  // metres: pi * 6378137
constexpr double kMetresPerDegree = 111320.0;
}  // namespace

Box TileMatrixSet::valid_area() const {
  return {origin_x, -origin_y, origin_x + span0 * width0, origin_y};
}

double TileMatrixSet::resolution(int level) const {
  return span0 / (kTileSize * std::ldexp(1.0, level - first_level));
}

double TileMatrixSet::ground_resolution(int level) const {
  return resolution(level) * (geographic ? kMetresPerDegree : 1.0);
}

int TileMatrixSet::matrix_width(int level) const {
  return width0 << (level - first_level);
}

int TileMatrixSet::matrix_height(int level) const { return 1 << (level - first_level); }

Box TileMatrixSet::tile_bounds(const TileAddress& t) const {
  const double size = span0 / std::ldexp(1.0, t.z - first_level);
  const double xmin = origin_x + t.x * size;
  const double ymax = origin_y - t.y * size;
  return {xmin, ymax - size, xmin + size, ymax};
}

std::vector<TileAddress> TileMatrixSet::tiles_covering(const Box& box, int level) const {
  const int nx = matrix_width(level), ny = matrix_height(level);
  const double size = span0 / std::ldexp(1.0, level - first_level);
  auto clampi = [](double v, int n) {
    return std::clamp(static_cast<int>(std::floor(v)), 0, n - 1);
  };
  // A tiny inset keeps a box that ends exactly on a tile edge from touching the next tile.
  const double eps = size * 1e-9;
  const int x0 = clampi((box.xmin - origin_x) / size, nx);
  const int x1 = clampi((box.xmax - eps - origin_x) / size, nx);
  const int y0 = clampi((origin_y - box.ymax) / size, ny);
  const int y1 = clampi((origin_y - box.ymin - eps) / size, ny);
  std::vector<TileAddress> out;
  for (int x = x0; x <= x1; ++x)
    for (int y = y0; y <= y1; ++y) out.push_back({level, x, y});
  return out;
}

int TileMatrixSet::level_for_ground_resolution(double metres) const {
  for (int z = first_level; z <= last_level; ++z)
    if (ground_resolution(z) <= metres) return z;
  return last_level;
}

const TileMatrixSet& web_mercator_quad() {
  static const TileMatrixSet s{"webmercator", "WebMercatorQuad", "EPSG:3857", false,
                               -kHalfWorld,   kHalfWorld,        2 * kHalfWorld, 1, 0, 24};
  return s;
}

const TileMatrixSet& tianditu_c() {
  static const TileMatrixSet s{"tianditu-c", "TiandituC", "EPSG:4490", true, -180.0, 90.0,
                               180.0,        2,           1,           24};
  return s;
}

const TileMatrixSet* tile_matrix_set(const std::string& id) {
  if (id == "webmercator") return &web_mercator_quad();
  if (id == "tianditu-c") return &tianditu_c();
  return nullptr;
}

}  // namespace farmwatch
