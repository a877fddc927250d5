#include "farmwatch/core/tile_math.h"

#include <algorithm>
#include <cmath>

namespace farmwatch {

double tile_resolution(int z) {
  return 2.0 * kWebMercatorHalfWorld / (kTileSize * std::ldexp(1.0, z));
}

Box tile_bounds(const TileAddress& t) {
  const double size = 2.0 * kWebMercatorHalfWorld / std::ldexp(1.0, t.z);
  const double xmin = -kWebMercatorHalfWorld + t.x * size;
  const double ymax = kWebMercatorHalfWorld - t.y * size;
  return {xmin, ymax - size, xmin + size, ymax};
}

int zoom_for_resolution(double resolution_m) {
  for (int z = 0; z <= 24; ++z)
    if (tile_resolution(z) <= resolution_m) return z;
  return 24;
}

std::vector<TileAddress> tiles_covering(const Box& box, int z) {
  const int n = 1 << z;
  const double size = 2.0 * kWebMercatorHalfWorld / n;
  auto clampi = [n](double v) { return std::clamp(static_cast<int>(std::floor(v)), 0, n - 1); };
  // A tiny inset keeps a box that ends exactly on a tile edge from touching the next tile.
  const double eps = size * 1e-9;
  const int x0 = clampi((box.xmin + kWebMercatorHalfWorld) / size);
  const int x1 = clampi((box.xmax - eps + kWebMercatorHalfWorld) / size);
  const int y0 = clampi((kWebMercatorHalfWorld - box.ymax) / size);
  const int y1 = clampi((kWebMercatorHalfWorld - box.ymin - eps) / size);
  std::vector<TileAddress> out;
  for (int x = x0; x <= x1; ++x)
    for (int y = y0; y <= y1; ++y) out.push_back({z, x, y});
  return out;
}

}  // namespace farmwatch
