#pragma once
// Image chips: a true-colour PNG of the imagery around a patch or parcel with its outline, for
// reports and field checks.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace farmwatch::io {

/// Writes chips of one image; the image is inspected and opened once, for all its chips.
class ChipWriter {
 public:
  /// InputError if the image cannot be read or has no red/green/blue bands. With
  /// `scene_stretched`, `image` is a run's imagery_<date>.tif (8-bit RGBA already stretched for
  /// the whole scene): chips show it as it is, so that one bright road does not darken the
  /// fields and ponds around it, and chips of one date compare with each other.
  explicit ChipWriter(const std::string& image, bool scene_stretched = false);
  ~ChipWriter();

  /// Writes the chip of an outline (WKB, WGS84 lon/lat) to `out_png`. The window is the
  /// outline's box in the image plus half its size on every side (at least `min_pixels`
  /// image pixels across), each band stretched from its 2nd to its 98th percentile; the
  /// outline is drawn in yellow. InputError if the image does not cover the outline.
  void write(const std::vector<std::uint8_t>& wkb_lonlat, const std::string& out_png,
             int min_pixels = 64) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace farmwatch::io
