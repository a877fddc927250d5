#pragma once
// New and demolished buildings and converted ground found on a georeferenced
// very-high-resolution pair (core/building_change.h) as change patches (图斑) of the analysis
// grid, measured like every other patch.
#include <string>
#include <vector>

#include "farmwatch/core/building_change.h"
#include "farmwatch/core/geo.h"
#include "farmwatch/core/patch.h"

namespace farmwatch::io {

/// One Patch per object of `change` (its labels laid out on `grid`, which has a CRS): its kind,
/// category vhr_change_category(kind); classes unknown (0) except `built_class` after a new
/// building or converted ground and before a demolished building; outline polygonised from
/// the object's pixels (grid CRS and WGS84 lon/lat WKB), area in m² and 亩 on the CRS's
/// ellipsoid (EllipsoidalArea), centroid of the outline in both; id `id_prefix` + 4-digit
/// number in the objects' order; confidence vhr_change_confidence(object, params).
/// ProcessingError if an outline cannot be transformed to lon/lat.
std::vector<Patch> building_patches(const BuildingChange& change, const Grid& grid,
                                    std::uint8_t built_class, const std::string& id_prefix,
                                    const BuildingChangeParams& params);

}  // namespace farmwatch::io
