#include "vector_reader.h"

#include <cpl_string.h>

#include <vector>

#include "farmwatch/core/error.h"
#include "farmwatch/core/text_encoding.h"
#include "gdal_error.h"

namespace farmwatch::io {
namespace {

/// What the text of some layers is well-formed in, and where the first text that is not
/// UTF-8 is.
struct TextScan {
  bool utf8 = true;
  bool gb18030 = true;
  std::string first_bad;  ///< e.g. "field name 3 of layer 'x'"
};

std::vector<OGRLayer*> layers_to_check(GDALDataset& ds, const VectorRequest& req) {
  if (!req.all_layers) return {&pick_layer(ds, req)};
  std::vector<OGRLayer*> out;
  for (int i = 0; i < ds.GetLayerCount(); ++i) out.push_back(ds.GetLayer(i));
  return out;
}

/// Field names and string values of every feature (geometries are not read).
TextScan scan_text(const std::vector<OGRLayer*>& layers, const std::string& where) {
  TextScan scan;
  std::string place;
  auto check = [&](const char* text) {
    const std::string_view t = text ? text : "";
    const bool u = is_utf8(t);
    if (!u && scan.utf8) scan.first_bad = place;
    scan.utf8 = scan.utf8 && u;
    scan.gb18030 = scan.gb18030 && is_gb18030(t);
  };
  for (OGRLayer* layer : layers) {
    OGRFeatureDefn* defn = layer->GetLayerDefn();
    const std::string lname = utf8_or_escaped(layer->GetName());
    std::vector<int> text_fields;
    for (int i = 0; i < defn->GetFieldCount(); ++i) {
      place = "field name " + std::to_string(i + 1) + " of layer '" + lname + "'";
      check(defn->GetFieldDefn(i)->GetNameRef());
      const OGRFieldType t = defn->GetFieldDefn(i)->GetType();
      if (t == OFTString || t == OFTStringList) text_fields.push_back(i);
    }
    if (text_fields.empty()) continue;
    const char* no_geometry[] = {"OGR_GEOMETRY", nullptr};
    layer->SetIgnoredFields(no_geometry);
    try {
      for_each_feature(*layer, where, [&](OGRFeature& f) {
        for (int i : text_fields) {
          if (!f.IsFieldSetAndNotNull(i)) continue;
          place = "feature FID " + std::to_string(f.GetFID()) + ", field '" +
                  utf8_or_escaped(defn->GetFieldDefn(i)->GetNameRef()) + "' of layer '" + lname +
                  "'";
          if (defn->GetFieldDefn(i)->GetType() == OFTString) {
            check(f.GetFieldAsString(i));
          } else {
            for (char** s = f.GetFieldAsStringList(i); s && *s; ++s) check(*s);
          }
        }
      });
    } catch (...) {
      layer->SetIgnoredFields(nullptr);
      throw;
    }
    layer->SetIgnoredFields(nullptr);
    layer->ResetReading();
  }
  return scan;
}

/// A shapefile opened with its text decoded from `encoding` ("": bytes as stored).
DatasetPtr open_shapefile(const std::string& path, const std::string& encoding) {
  const std::string opt = "ENCODING=" + encoding;
  const char* options[] = {opt.c_str(), nullptr};
  CPLErrorReset();
  DatasetPtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, options,
                                  nullptr));
  if (!ds) throw InputError("cannot open vector '" + path + "': " + gdal_last_error());
  return ds;
}

}  // namespace

OGRLayer& pick_layer(GDALDataset& ds, const VectorRequest& req) {
  if (!req.layer.empty()) {
    OGRLayer* l = ds.GetLayerByName(req.layer.c_str());
    if (!l) throw InputError(req.kind + " '" + req.path + "': no layer named '" + req.layer + "'");
    return *l;
  }
  if (ds.GetLayerCount() < 1) throw InputError(req.kind + " '" + req.path + "' has no layers");
  return *ds.GetLayer(0);
}

void for_each_feature(OGRLayer& layer, const std::string& where,
                      const std::function<void(OGRFeature&)>& fn) {
  layer.ResetReading();
  CPLErrorReset();
  while (true) {
    OGRFeatureUniquePtr f(layer.GetNextFeature());
    if (!f) break;
    fn(*f);
    CPLErrorReset();  // failures of `fn`'s own GDAL calls are its to report
  }
  if (CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal)
    throw InputError(where + ": cannot read the features of layer '" +
                     utf8_or_escaped(layer.GetName()) +
                     "' (corrupt or truncated?): " + gdal_last_error());
}

DecodedVector open_vector_decoded(const VectorRequest& req) {
  const std::string where = req.kind + " '" + req.path + "'";
  DecodedVector out;
  out.ds = open_vector(req.path);
  const bool shapefile = EQUAL(out.ds->GetDriver()->GetDescription(), "ESRI Shapefile");
  // What the shapefile says of its encoding (GDAL decodes by it), if anything.
  std::string claimed, source;
  if (shapefile) {
    OGRLayer& first = pick_layer(*out.ds, req);
    const char* cpg = first.GetMetadataItem("ENCODING_FROM_CPG", "SHAPEFILE");
    const char* ldid = first.GetMetadataItem("ENCODING_FROM_LDID", "SHAPEFILE");
    const char* used = first.GetMetadataItem("SOURCE_ENCODING", "SHAPEFILE");
    if ((cpg || ldid) && used && *used) {
      claimed = used;
      source = cpg ? ".cpg" : ".dbf code page";
    }
  }
  if (!shapefile || !claimed.empty()) {
    const TextScan scan = scan_text(layers_to_check(*out.ds, req), where);
    if (scan.utf8) {
      out.encoding = shapefile ? claimed : "UTF-8";
      out.encoding_source = shapefile ? source : "format";
      return out;
    }
    if (!shapefile)
      throw InputError(where + ": its text is not valid UTF-8 (" + scan.first_bad +
                       "); convert it to UTF-8, e.g. save it again as GeoPackage from QGIS");
  }
  // A shapefile with no code page (GDAL would read ISO-8859-1), or one its code page does not
  // decode: its bytes as stored are UTF-8, or GB18030/GBK, or refused.
  DatasetPtr raw = open_shapefile(req.path, "");
  const TextScan scan = scan_text(layers_to_check(*raw, req), where);
  const std::string claim_note =
      claimed.empty() ? "" : " (its " + source + " says " + claimed + ", which does not decode it)";
  if (scan.utf8) {
    out.ds = std::move(raw);
    out.encoding = "UTF-8";
    out.encoding_source = claimed.empty() ? "format" : "detected";
    return out;
  }
  if (scan.gb18030) {
    DatasetPtr gb = open_shapefile(req.path, "GB18030");
    const TextScan decoded = scan_text(layers_to_check(*gb, req), where);
    if (decoded.utf8) {
      out.ds = std::move(gb);
      out.encoding = "GB18030";
      out.encoding_source = "detected";
      return out;
    }
  }
  throw InputError(where + ": its attribute text is neither UTF-8 nor GBK (GB18030)" + claim_note +
                   ", first at " + scan.first_bad +
                   (claimed.empty()
                        ? ", and no .cpg file says which encoding it is: add one naming the code "
                          "page (e.g. a .cpg holding 936 for GBK, or UTF-8)"
                        : ": correct its .cpg to name the code page (e.g. 936 for GBK, or UTF-8)"));
}

GeometryPtr linear_geometry(const OGRFeature& feature) {
  const OGRGeometry* g = feature.GetGeometryRef();
  if (!g) return nullptr;
  GeometryPtr out(g->hasCurveGeometry(FALSE) ? g->getLinearGeometry() : g->clone());
  if (out && out->IsMeasured()) out->setMeasured(FALSE);
  return out;
}

}  // namespace farmwatch::io
