#pragma once
// An image as a GDAL dataset whose pixels are those of its analysis grid, for readers that
// read windows of the file themselves (chips, parcel statistics).
#include "farmwatch/io/image_source.h"
#include "gdal_handles.h"

namespace farmwatch::io {

/// The image's file when its grid is its analysis grid (north-up), else a warped VRT of it on
/// `info.grid` (nearest for classes; bilinear for reflectance, in the file's integer type when
/// it has a nodata value, else Float32 with NaN for no data). InputError naming the file if it
/// cannot be opened or warped.
DatasetPtr open_on_grid(const ImageInfo& info, Resampling resampling);

}  // namespace farmwatch::io
