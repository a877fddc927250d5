#pragma once
// Image chips: a true-colour PNG of the imagery around a patch or parcel with its outline, for
// reports and field checks.
#include <cstdint>
#include <string>
#include <vector>

namespace farmwatch::io {

struct ChipRequest {
  std::string image;                     ///< any image farmwatch reads (bands found by role)
  std::vector<std::uint8_t> wkb_lonlat;  ///< outline to draw, WGS84 lon/lat
  std::string out_png;
  int min_pixels = 64;  ///< the chip is at least this many image pixels across
};

/// Writes the chip. The window is the outline's box in the image plus half its size on every
/// side, each band stretched from its 2nd to its 98th percentile; the outline is drawn in
/// yellow. InputError if the image has no red/green/blue bands or does not cover the outline.
void write_chip(const ChipRequest& req);

}  // namespace farmwatch::io
