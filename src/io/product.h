#pragma once
// Product folders as delivered: a Sentinel-2 SAFE (L1C or L2A) or a Landsat Collection 2 scene
// folder, with one file per band (10 m and 20 m bands mixed in Sentinel-2), the quality layer
// and the metadata beside them.
#include <optional>
#include <set>
#include <string>

#include "farmwatch/core/features.h"
#include "farmwatch/io/image_source.h"

namespace farmwatch::io {

/// If `req.path` is a product folder (or a Sentinel-2 MTD_MSIL*.xml), the request for one
/// stacked image of its bands: a VRT (in GDAL's memory file system) with the band files in
/// role order at the finest resolution among them, described so roles and Landsat band numbers
/// are found; the quality layer (SCL, QA_PIXEL) and metadata (MTD XML, MTL) of the product,
/// unless the request names its own. nullopt if `req.path` is an ordinary file.
/// InputError naming the folder and the band when a required role has no file.
std::optional<ImageRequest> resolve_product(const ImageRequest& req,
                                            const std::set<BandRole>& required);

}  // namespace farmwatch::io
