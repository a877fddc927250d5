#pragma once
// Move-only RAII handles over GDAL objects; factories check and throw with GDAL's message.
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "farmwatch/core/geo.h"

namespace farmwatch::io {

using DatasetPtr = GDALDatasetUniquePtr;

/// Opens a raster read-only; InputError "cannot open raster 'path': <GDAL message>".
DatasetPtr open_raster(const std::string& path, bool update = false);
/// Opens a vector dataset read-only; InputError on failure.
DatasetPtr open_vector(const std::string& path);
/// Why GDAL could not open `path` as a `kind` ("raster", "vector"): GDAL's message, else
/// that it is empty, a folder, or in no format GDAL recognises.
std::string why_not_opened(const std::string& path, const char* kind);
/// Reads the first and last pixel of every band: a truncated or corrupt file (a download cut
/// short is the usual case) fails here, before any work, with InputError naming `path`.
void probe_readable(GDALDataset& ds, const std::string& path);
/// Closes a dataset, flushing it; ProcessingError naming `path` if GDAL reported a failure.
/// (GDAL 3.6's GDALClose returns nothing: failures are read from the error state.)
void close_or_throw(DatasetPtr& ds, const std::string& path);
/// The grid of an open raster (CRS as WKT, empty if none). Without a geotransform the
/// transform is the identity with rows going down (see has_geotransform).
Grid grid_of(GDALDataset& ds);
/// Whether the raster has a geotransform of its own (not GDAL's default pixel grid).
bool has_geotransform(GDALDataset& ds);

struct OgrGeometryDeleter {
  void operator()(OGRGeometry* g) const { OGRGeometryFactory::destroyGeometry(g); }
};
using GeometryPtr = std::unique_ptr<OGRGeometry, OgrGeometryDeleter>;

struct TransformDeleter {
  void operator()(OGRCoordinateTransformation* t) const {
    OGRCoordinateTransformation::DestroyCT(t);
  }
};
using TransformPtr = std::unique_ptr<OGRCoordinateTransformation, TransformDeleter>;

/// ISO WKB (little-endian) of a geometry.
std::vector<std::uint8_t> to_wkb(const OGRGeometry& g);
/// A geometry from WKB; ProcessingError if it cannot be decoded.
GeometryPtr from_wkb(const std::vector<std::uint8_t>& wkb);

/// One window of a band read or written (buffer of `type`); ProcessingError naming `path`
/// and the window on failure.
void window_io(GDALRasterBand& band, GDALRWFlag rw, const Window& w, void* data, GDALDataType type,
               const std::string& path);
/// window_io reading a window of a user's input (an image, its mask or quality layer, a class
/// map): pixels that cannot be read (a file cut short or damaged) are bad input, InputError
/// naming it, as the checks when it was opened would have said had they read that far.
void read_input_window(GDALRasterBand& band, const Window& w, void* data, GDALDataType type,
                       const std::string& path);

/// SRS from WKT with the traditional GIS axis order (x = easting/longitude).
OGRSpatialReference srs_from_wkt(const std::string& wkt);
/// WGS84 longitude/latitude.
OGRSpatialReference wgs84_lonlat();
/// Transformation between two SRS; ProcessingError if PROJ cannot build one. Each pair of
/// systems is built once per process (PROJ's choice of operation takes up to a second) and
/// cloned; the returned object is the caller's own, for one thread at a time.
TransformPtr make_transform(const OGRSpatialReference& from, const OGRSpatialReference& to);
/// Bounding box of `b` through `t`, 21 points along each edge (no antimeridian handling);
/// InputError naming `what` if no point transforms.
Box transform_bounds(OGRCoordinateTransformation& t, const Box& b, const std::string& what);

}  // namespace farmwatch::io
