#pragma once
// Images with no georeference (photos, PNG/JPEG exports, research change-detection sets):
// read on their own pixel grid, since no map can place them.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "farmwatch/core/building_change.h"
#include "farmwatch/io/image_source.h"

namespace farmwatch::io {

/// False when the raster has neither a coordinate reference system nor a geotransform (GDAL's
/// default grid); InputError if it cannot be opened.
bool has_georeference(const std::string& path);

/// Whether both rasters of a pair are georeferenced (has_georeference); InputError naming the
/// one without when only one is, saying what the other has (a coordinate reference system, or
/// only a geotransform) and that a pair is compared on one grid.
bool pair_georeferenced(const std::string& a, const std::string& b);

/// Reads the red, green and blue bands (from `bands`, else from the band descriptions and colour
/// interpretation as for georeferenced images, else 1, 2, 3) of a raster, with GDAL's band masks
/// (alpha band, nodata value) as the valid mask.
/// InputError naming the file when it has fewer than three bands or cannot be read.
RgbImage read_rgb(const std::string& path, const std::optional<BandMap>& bands);

/// Change labels on a pair's pixel grid (`width` x `height`): band 1 of a raster, per pixel 1
/// change (any value but 0), 0 no change, 255 unlabelled (GDAL's mask: the band's nodata value,
/// a mask file). InputError naming the file when it cannot be read or has another size.
std::vector<std::uint8_t> read_change_labels(const std::string& path, int width, int height);

/// The red, green and blue bands of a georeferenced image (`info`: inspect_image with those
/// roles) on `grid`, through GDAL's warper when the grids differ (bilinear); values as stored.
/// A pixel is valid where all three bands have data (nodata, alpha or mask band; outside the
/// image: no data). The whole grid is held in memory (3 x 4 bytes a pixel).
RgbImage read_rgb_on_grid(const ImageInfo& info, const Grid& grid);

}  // namespace farmwatch::io
