#pragma once
// PNG tiles through libpng: 8-bit palette PNGs for class layers (a quarter of RGBA's bytes),
// RGBA for imagery, and decoding either back to what it was made from (incremental tiles).
#include <cstdint>
#include <string>
#include <vector>

#include "farmwatch/core/class_table.h"

namespace farmwatch::io {

/// A palette PNG of `width` x `height` indices into `palette` (at most 256 entries; an entry's
/// alpha goes to the tRNS chunk). No time or text chunks: same pixels, same bytes.
std::vector<std::uint8_t> encode_indexed_png(const std::uint8_t* indices, int width, int height,
                                             const std::vector<Rgba>& palette);
/// An 8-bit RGBA PNG (pixels interleaved r, g, b, a).
std::vector<std::uint8_t> encode_rgba_png(const std::uint8_t* rgba, int width, int height);

/// A decoded tile: indices (palette PNG, not expanded) or interleaved RGBA.
struct DecodedPng {
  int width = 0, height = 0;
  bool indexed = false;
  std::vector<std::uint8_t> pixels;
};
/// Decodes a PNG file; ProcessingError naming `path` if it is not a readable PNG.
DecodedPng decode_png(const std::string& path);

}  // namespace farmwatch::io
