#pragma once
// One date's imagery on the analysis grid: one scene, or several composited per pixel.
#include <cstdint>
#include <string>
#include <vector>

#include "farmwatch/io/image_source.h"

namespace farmwatch::io {

/// The usable scenes of one date, best first: where several cover a pixel, the first that
/// saw the ground clear there gives it (the pipeline orders them: clear before cloudy is
/// per pixel, nearest acquisition date first, then the order they were listed in).
struct Mosaic {
  std::vector<ImageInfo> scenes;
  Mosaic() = default;
  explicit Mosaic(ImageInfo one) : scenes{std::move(one)} {}
  bool is_class_map() const { return !scenes.empty() && scenes.front().is_class_map; }
  /// Roles every scene has a band for (the planes a composite can fill).
  BandMap common_roles() const;
};

/// Source code of a pixel that no scene saw clear.
inline constexpr std::uint8_t kNoSource = 0;

/// Reads a Mosaic block by block. One per thread, like GridReader.
class MosaicReader {
 public:
  MosaicReader(const Mosaic& m, const Grid& target, Resampling resampling);

  /// Composite reflectance; `source` (if given) gets the 1-based scene index of each pixel,
  /// kNoSource where none saw the ground; `state` (if given) says why: nodata, or cloud when
  /// some scene covered the pixel but only under cloud.
  void read_reflectance(const Window& w, ReflectanceBlock& out,
                        std::vector<std::uint8_t>* source = nullptr,
                        std::vector<PixelState>* state = nullptr);
  /// Class maps: the first scene with a class at the pixel.
  void read_bytes(const Window& w, std::vector<std::uint8_t>& out);
  bool warped() const;

 private:
  std::vector<GridReader> readers_;
  std::vector<Window> footprints_;  ///< each scene's bounding window on the grid
  BandMap roles_;
};

/// Bounding window of an image's extent on a grid (empty if they do not overlap).
Window footprint_on(const ImageInfo& image, const Grid& grid);

}  // namespace farmwatch::io
