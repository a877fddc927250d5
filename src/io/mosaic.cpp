// Compositing the scenes of one date on the analysis grid, block by block.
#include "farmwatch/io/mosaic.h"

#include "farmwatch/core/mosaic_priority.h"

#include "farmwatch/io/spatial_ref.h"

namespace farmwatch::io {

BandMap Mosaic::common_roles() const {
  BandMap m;
  if (scenes.empty()) return m;
  m = scenes.front().bands;
  for (const auto& s : scenes)
    for (std::size_t r = 0; r < kRoleCount; ++r)
      if (!s.bands.index[r]) m.index[r] = 0;
  return m;
}

Window footprint_on(const ImageInfo& image, const Grid& grid) {
  Box b = transform_box(image.grid.extent(), image.grid.crs_wkt, grid.crs_wkt);
  // A co-registration shift moves the image by a few pixels at most: one cell of margin.
  const double m = grid.res();
  b = {b.xmin - m, b.ymin - m, b.xmax + m, b.ymax + m};
  return grid.window_for(b);
}

MosaicReader::MosaicReader(const Mosaic& m, const Grid& target, Resampling resampling)
    : roles_(m.common_roles()) {
  for (const auto& s : m.scenes) {
    readers_.emplace_back(s, target, resampling);
    footprints_.push_back(m.scenes.size() == 1 ? Window{0, 0, target.width, target.height}
                                               : footprint_on(s, target));
  }
}

bool MosaicReader::warped() const {
  for (const auto& r : readers_)
    if (r.warped()) return true;
  return false;
}

void MosaicReader::read_reflectance(const Window& w, ReflectanceBlock& out,
                                    std::vector<std::uint8_t>* source,
                                    std::vector<PixelState>* state) {
  const std::size_t n = static_cast<std::size_t>(w.pixels());
  std::vector<PixelState> own;
  std::vector<PixelState>& st = state ? *state : own;
  if (readers_.size() == 1) {
    readers_[0].read_reflectance(w, out, &st);
    if (source) {
      source->resize(n);
      for (std::size_t i = 0; i < n; ++i) (*source)[i] = st[i] == PixelState::clear ? 1 : 0;
    }
    return;
  }
  out.window = w;
  for (std::size_t r = 0; r < kRoleCount; ++r) {
    if (roles_.index[r])
      out.planes[r].assign(n, kNaN);
    else
      out.planes[r].clear();
  }
  st.assign(n, PixelState::nodata);
  if (source) source->assign(n, kNoSource);
  std::size_t missing = n;
  std::array<bool, kRoleCount> roles{};
  for (std::size_t r = 0; r < kRoleCount; ++r) roles[r] = roles_.index[r] != 0;
  ReflectanceBlock scene;
  std::vector<PixelState> scene_state;
  for (std::size_t k = 0; k < readers_.size() && missing > 0; ++k) {
    if (footprints_[k].intersect(w).empty()) continue;
    readers_[k].read_reflectance(w, scene, &scene_state);
    missing -= add_to_composite(scene, scene_state, roles, static_cast<std::uint8_t>(k + 1), out,
                                st, source);
  }
}

void MosaicReader::read_bytes(const Window& w, std::vector<std::uint8_t>& out) {
  if (readers_.size() == 1) {
    readers_[0].read_bytes(w, out);
    return;
  }
  const std::size_t n = static_cast<std::size_t>(w.pixels());
  out.assign(n, 255);
  std::vector<std::uint8_t> scene;
  for (std::size_t k = 0; k < readers_.size(); ++k) {
    if (footprints_[k].intersect(w).empty()) continue;
    readers_[k].read_bytes(w, scene);
    for (std::size_t i = 0; i < n; ++i)
      if (out[i] == 255) out[i] = scene[i];
  }
}

}  // namespace farmwatch::io
