#pragma once
// A minimum mapping unit for the change raster: regions smaller than a few pixels are noise
// of the per-pixel test, not change an office could map or verify.
#include <array>
#include <cstdint>
#include <string>

namespace farmwatch::io {

/// Merges the regions of `change` (any value but its nodata 255) smaller than `min_pixels`
/// 8-connected pixels into their largest neighbour (GDAL's sieve), in place; rewrites
/// `candidates` (the change values 1-3, 0 elsewhere) from the result. Returns the pixels of
/// each change value.
std::array<std::int64_t, 256> sieve_change(const std::string& change,
                                           const std::string& candidates, int min_pixels);

}  // namespace farmwatch::io
