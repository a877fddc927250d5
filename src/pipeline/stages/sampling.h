#pragma once
// Where stages that look at both dates (co-registration, normalisation) sample the grid.
#include <vector>

#include "farmwatch/core/geo.h"

namespace farmwatch::pipeline::stages {

/// Up to nine windows of size x size spread over the grid (3 x 3, edges included).
std::vector<Window> sample_windows(const Grid& g, int size);

}  // namespace farmwatch::pipeline::stages
