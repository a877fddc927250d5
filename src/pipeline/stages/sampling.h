#pragma once
// Where stages that look at the imagery before the per-pixel pass (cloud screening,
// co-registration, normalisation) sample it.
#include <vector>

#include "farmwatch/core/geo.h"

namespace farmwatch::pipeline::stages {

/// Up to nine windows of size x size spread over `area` (3 x 3, edges included).
std::vector<Window> sample_windows(const Window& area, int size);
/// The same over the whole grid.
std::vector<Window> sample_windows(const Grid& g, int size);

}  // namespace farmwatch::pipeline::stages
