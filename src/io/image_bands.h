#pragma once
// Which band of a raster plays which role, shared by the readers of georeferenced images
// (inspect_image) and of images with no georeference (read_rgb).
#include <gdal_priv.h>

#include <optional>
#include <string>

#include "farmwatch/io/image_source.h"

namespace farmwatch::io {

/// Roles from the band descriptions and colour interpretations, then `explicit_bands` over
/// them; InputError naming `path` when an explicit band does not exist.
BandMap band_roles(GDALDataset& ds, const std::string& path,
                   const std::optional<BandMap>& explicit_bands);

}  // namespace farmwatch::io
