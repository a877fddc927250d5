#pragma once
// Reading vector layers the one way every command does (farmland, admin and exemption
// layers, zonal parcels, evaluate/train labels, info): text decoded to UTF-8 and checked,
// curves made linear, and failures reported as InputError naming the file.
#include <functional>
#include <string>

#include "gdal_handles.h"

namespace farmwatch::io {

/// A vector file to open, and what of it will be read.
struct VectorRequest {
  std::string path;
  /// How messages name the file ("farmland layer", "reference", "vector").
  std::string kind = "vector";
  /// The layer that will be read (empty: the first); its text is checked.
  std::string layer;
  /// Check the text of every layer instead (info describes them all).
  bool all_layers = false;
};

/// A vector dataset whose field names and string values are valid UTF-8.
struct DecodedVector {
  DatasetPtr ds;
  /// What the text was decoded from: "UTF-8", or the code page GDAL decoded it from
  /// ("CP936", "GB18030", "ISO-8859-1", ...).
  std::string encoding;
  /// Why: "format" (a UTF-8 format, or a shapefile whose bytes are UTF-8 as stored), ".cpg",
  /// ".dbf code page", or "detected" (a shapefile whose code page was absent or did not
  /// decode it, found to be GB18030/GBK).
  std::string encoding_source;
};

/// Opens a vector dataset and checks its text. Shapefiles are decoded by their .cpg or .dbf
/// code page (LDID) when that gives valid UTF-8; otherwise (no code page, or one that does not
/// decode them) their bytes are taken as UTF-8 if they are, else decoded as GB18030 (a superset
/// of GBK, the usual encoding of Chinese offices' shapefiles) if they are well-formed in it.
/// Other formats must hold UTF-8. InputError naming the file: missing or unreadable, the
/// layer missing, or text valid in none of these (asking for a .cpg).
DecodedVector open_vector_decoded(const VectorRequest& req);

/// The layer named by `req.layer`, else the first; InputError naming the file if none.
OGRLayer& pick_layer(GDALDataset& ds, const VectorRequest& req);

/// Calls `fn` on every feature of `layer` from the first, in order; InputError naming
/// `where` if GDAL reports a failure while reading them (a corrupt or truncated file).
void for_each_feature(OGRLayer& layer, const std::string& where,
                      const std::function<void(OGRFeature&)>& fn);

/// A copy of the feature's geometry in the layer's CRS, with curves (CircularString,
/// CompoundCurve, CurvePolygon, MultiCurve, MultiSurface) replaced by line strings (OGR's
/// step of 4 degrees of arc: a circle's area is within 0.1 % of pi r^2) and M values dropped
/// (GEOS reads neither); null if the feature has no geometry.
GeometryPtr linear_geometry(const OGRFeature& feature);

}  // namespace farmwatch::io
