#pragma once
// The one map's imagery layers (imagery_<date>.tif): each date's true colour as 8-bit RGBA with
// one linear stretch per band for the whole grid, made by a run, or by each shard of a run over
// its cells (the same stretch everywhere, so the pieces join).
#include <array>
#include <string>
#include <vector>

#include "farmwatch/core/geo.h"
#include "farmwatch/engine/landuse_change.h"

namespace farmwatch::pipeline::stages {

/// The linear stretch of each band (red, green, blue): reflectance x 10000 (as
/// LanduseChangeJob::rgb_out holds it) shown as 0 and as 255.
struct ImageryStretch {
  std::array<double, 3> lo{}, hi{};
  std::string describe() const;  ///< e.g. "Red 0.0312-0.1875, Green ..., Blue ..."
};

/// The stretch of date `date` of `job`: each band from the 2nd to the 98th percentile of its
/// true colour (engine::true_colour) over a 6 x 6 lattice of 128² windows spread over the
/// bounding window of the date's scenes on the grid (edges included), read as the per-pixel
/// pass reads them. From the inputs and their calibration alone, so every shard of a run and
/// its merge compute the same. Where no window holds a valid pixel, reflectance 0 to 0.3.
/// ProcessingError naming the image that cannot be read.
ImageryStretch imagery_stretch(const engine::LanduseChangeJob& job, std::size_t date);

/// Writes `out` (uncompressed GeoTIFF on `rgb`'s grid): `rgb` (rgb_out: red, green, blue UInt16)
/// stretched to bytes, and alpha 0 where the date has no data, 255 elsewhere; metadata
/// FARMWATCH_LAYER=imagery and FARMWATCH_STRETCH. With `windows`, only those (a shard's cells)
/// are written, to a sparse file. ProcessingError naming the file that cannot be read or
/// written.
void write_imagery(const std::string& rgb, const ImageryStretch& stretch, const std::string& out,
                   const std::string& date, const std::vector<Window>* windows = nullptr);

}  // namespace farmwatch::pipeline::stages
