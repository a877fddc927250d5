#pragma once
// New buildings found on a georeferenced very-high-resolution pair (core/building_change.h)
// as change patches (图斑) of the analysis grid, measured like every other patch.
#include <string>
#include <vector>

#include "farmwatch/core/building_change.h"
#include "farmwatch/core/geo.h"
#include "farmwatch/core/patch.h"

namespace farmwatch::io {

/// One Patch per object of `change` (its labels laid out on `grid`, which has a CRS): category
/// 非农化, class before unknown (0), class after `built_class`; outline polygonised from the
/// object's pixels (grid CRS and WGS84 lon/lat WKB), area in m² and 亩 on the CRS's ellipsoid
/// (EllipsoidalArea), centroid of the outline in both; id `id_prefix` + 4-digit number in the
/// objects' order; confidence 1 - edge_support / max_edge_support. ProcessingError if an
/// outline cannot be transformed to lon/lat.
std::vector<Patch> building_patches(const BuildingChange& change, const Grid& grid,
                                    std::uint8_t built_class, const std::string& id_prefix,
                                    double max_edge_support);

}  // namespace farmwatch::io
