#pragma once
// Where stages that look at the imagery before the per-pixel pass (cloud screening,
// co-registration, normalisation) sample it.
#include <vector>

#include "farmwatch/core/features.h"
#include "farmwatch/core/geo.h"
#include "farmwatch/io/mosaic.h"

namespace farmwatch::pipeline::stages {

/// Up to nine windows of size x size spread over `area` (3 x 3, edges included).
std::vector<Window> sample_windows(const Window& area, int size);
/// The same over the whole grid.
std::vector<Window> sample_windows(const Grid& g, int size);

/// Both dates read on `windows` of `grid` (the later date: one scene, or the composite).
struct PairedWindows {
  std::vector<ReflectanceBlock> earlier, later;
};
PairedWindows read_pairs(const io::Mosaic& earlier, const io::Mosaic& later, const Grid& grid,
                         const std::vector<Window>& windows);

/// Every third pixel of the windows where both dates have a value for every role: per role j,
/// the earlier values in x[j] and the later in y[j].
void paired_samples(const PairedWindows& p, const std::vector<BandRole>& roles,
                    std::vector<std::vector<float>>& x, std::vector<std::vector<float>>& y);

}  // namespace farmwatch::pipeline::stages
