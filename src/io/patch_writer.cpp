#include "farmwatch/io/patch_writer.h"

#include "farmwatch/io/gis_styles.h"

#include <xlsxwriter.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>
#include <nlohmann/json.hpp>
#include <variant>

#include "farmwatch/core/error.h"
#include "farmwatch/core/text_encoding.h"
#include "farmwatch/io/gdal_setup.h"
#include "farmwatch/io/monitoring_db.h"
#include "farmwatch/io/spatial_ref.h"
#include "farmwatch/io/text_file.h"
#include "gdal_error.h"
#include "gdal_handles.h"

namespace farmwatch::io {
namespace {

using Value = std::variant<std::string, double, std::int64_t>;

struct Field {
  const char* name;
  const char* alias;  // Chinese name shown by GIS tools that read GeoPackage aliases
  OGRFieldType type;
  std::function<Value(const Patch&, const ReportContext&)> get;
};

const LandClass& cls(const ReportContext& c, std::uint8_t code) {
  static const LandClass unknown{0, "unknown", "未知", "", "", {}, true};
  const LandClass* lc = c.classes->find(code);
  return lc ? *lc : unknown;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ";") + x;
  return s;
}

/// "id:area;id:area" of the parcels a patch takes, m² to 0.01.
std::string parcel_areas(const Patch& p) {
  std::string s;
  for (const auto& [id, a] : p.parcel_areas) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", a);
    s += (s.empty() ? "" : ";") + id + ":" + buf;
  }
  return s;
}

/// The report schema, declared once for every format.
const std::vector<Field>& all_fields() {
  using P = const Patch&;
  using C = const ReportContext&;
  static const std::vector<Field> f = {
      {"patch_id", "监测编号", OFTString, [](P p, C) -> Value { return p.id; }},
      {"category", "图斑类型", OFTString,
       [](P p, C) -> Value { return std::string(category_label(p.category)); }},
      {"category_code", "类型代码", OFTString,
       [](P p, C) -> Value { return std::string(category_key(p.category)); }},
      {"change_kind", "变化类型", OFTString,
       [](P p, C) -> Value { return std::string(p.kind ? vhr_change_kind_label(*p.kind) : ""); }},
      {"change_kind_code", "变化类型代码", OFTString,
       [](P p, C) -> Value { return std::string(p.kind ? vhr_change_kind_key(*p.kind) : ""); }},
      {"status", "状态", OFTString, [](P p, C) -> Value { return patch_status_label(p.status); }},
      {"first_seen", "首次发现", OFTString, [](P p, C) -> Value { return p.first_seen; }},
      {"reasonable", "合理性", OFTString,
       [](P p, C) -> Value { return std::string(p.exempt_by.empty() ? "" : "合理"); }},
      {"reasonable_basis", "合理依据", OFTString, [](P p, C) -> Value { return p.exempt_by; }},
      {"unit_code", "行政区代码", OFTString, [](P p, C) -> Value { return p.unit_code; }},
      {"unit_name", "行政区名称", OFTString, [](P p, C) -> Value { return p.unit_name; }},
      {"class_before", "前时相地类", OFTString,
       [](P p, C c) -> Value { return cls(c, p.class_before).name; }},
      {"gbt_before", "前时相地类编码", OFTString,
       [](P p, C c) -> Value { return cls(c, p.class_before).gbt_code; }},
      {"gbt_before_name", "前时相三调地类", OFTString,
       [](P p, C c) -> Value { return cls(c, p.class_before).gbt_name; }},
      {"class_after", "后时相地类", OFTString,
       [](P p, C c) -> Value { return cls(c, p.class_after).name; }},
      {"gbt_after", "后时相地类编码", OFTString,
       [](P p, C c) -> Value { return cls(c, p.class_after).gbt_code; }},
      {"gbt_after_name", "后时相三调地类", OFTString,
       [](P p, C c) -> Value { return cls(c, p.class_after).gbt_name; }},
      {"date_before", "前时相", OFTString, [](P, C c) -> Value { return c.date_before; }},
      {"date_after", "后时相", OFTString, [](P, C c) -> Value { return c.date_after; }},
      {"sensor_before", "前时相影像", OFTString, [](P, C c) -> Value { return c.sensor_before; }},
      {"sensor_after", "后时相影像", OFTString, [](P, C c) -> Value { return c.sensor_after; }},
      {"area_m2", "面积(平方米)", OFTReal, [](P p, C) -> Value { return p.area_m2; }},
      {"area_mu", "面积(亩)", OFTReal, [](P p, C) -> Value { return p.area_mu; }},
      {"centroid_lon", "中心经度", OFTReal, [](P p, C) -> Value { return p.centroid_lon; }},
      {"centroid_lat", "中心纬度", OFTReal, [](P p, C) -> Value { return p.centroid_lat; }},
      {"centroid_x", "中心X", OFTReal, [](P p, C) -> Value { return p.centroid_x; }},
      {"centroid_y", "中心Y", OFTReal, [](P p, C) -> Value { return p.centroid_y; }},
      {"parcel_ids", "涉及地块", OFTString, [](P p, C) -> Value { return join(p.parcel_ids); }},
      {"parcel_areas_m2", "涉及地块面积", OFTString,
       [](P p, C) -> Value { return parcel_areas(p); }},
      {"farmland_share", "农田内占比", OFTReal, [](P p, C) -> Value { return p.farmland_share; }},
      {"confidence", "置信度", OFTReal, [](P p, C) -> Value { return p.confidence; }},
      {"pixels", "像元数", OFTInteger, [](P p, C) -> Value { return p.pixels; }},
  };
  return f;
}

bool is_kind_field(const Field& f) { return std::string_view(f.name).starts_with("change_kind"); }

/// The fields written for `patches`: the very-high-resolution method's change kind only for a
/// run of that method (or a patch that has one), so the other runs' tables do not carry two
/// empty columns.
std::vector<const Field*> schema(const std::vector<Patch>& patches, const ReportContext& ctx) {
  const bool kinds = ctx.change_kinds || std::any_of(patches.begin(), patches.end(),
                                                     [](const Patch& p) { return p.kind; });
  std::vector<const Field*> out;
  for (const auto& f : all_fields())
    if (kinds || !is_kind_field(f)) out.push_back(&f);
  return out;
}

/// Rounds so that text formats do not print binary noise (0.1 m², 1e-7 degree).
double rounded(const char* name, double v) {
  const std::string n = name;
  const double q = (n == "centroid_lon" || n == "centroid_lat")                     ? 1e7
                   : (n == "farmland_share" || n == "confidence" || n == "area_mu") ? 1e4
                                                                                    : 1e2;
  return std::round(v * q) / q;
}

/// Text as a workbook cell can hold it: UTF-8 (utf8_or_escaped), the noncharacters U+FFFE and
/// U+FFFF, which XML does not allow, as U+FFFD, and at most Excel's 32,767 characters (longer
/// text, such as the parcels of a patch over thousands of them, cut to 32,000 and "…"; the
/// CSV and GeoPackage hold it whole).
std::string cell_text(const std::string& text) {
  std::string s = utf8_or_escaped(text);
  for (std::size_t i = 0; i + 2 < s.size(); ++i)
    if (s[i] == '\xEF' && s[i + 1] == '\xBF' && (s[i + 2] == '\xBE' || s[i + 2] == '\xBF'))
      s[i + 2] = '\xBD';
  constexpr std::size_t kKept = 32000;
  std::size_t chars = 0, at = 0;
  for (; at < s.size(); ++at)
    if ((static_cast<unsigned char>(s[at]) & 0xC0) != 0x80 && ++chars > kKept) break;
  if (at < s.size()) {
    s.resize(at);
    s += "\u2026";
  }
  return s;
}

enum class Geometry { projected, none };

void write_layer(const std::string& path, const char* driver, const std::vector<Patch>& patches,
                 const ReportContext& ctx, Geometry geom, CSLConstList layer_options) {
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName(driver);
  if (!drv) throw ProcessingError(std::string("GDAL has no ") + driver + " driver");
  CPLErrorReset();
  DatasetPtr ds(drv->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  if (!ds) throw ProcessingError("cannot create '" + path + "': " + gdal_last_error());
  OGRSpatialReference srs = srs_from_wkt(ctx.crs_wkt);
  OGRLayer* layer = ds->CreateLayer("changes", geom == Geometry::none ? nullptr : &srs,
                                    geom == Geometry::none ? wkbNone : wkbMultiPolygon,
                                    const_cast<char**>(layer_options));
  if (!layer) throw ProcessingError("cannot create layer in '" + path + "': " + gdal_last_error());
  const auto fields = schema(patches, ctx);
  for (const Field* f : fields) {
    OGRFieldDefn def(f->name, f->type);
    def.SetAlternativeName(f->alias);
    if (layer->CreateField(&def) != OGRERR_NONE)
      throw ProcessingError("cannot create field '" + std::string(f->name) + "' in '" + path + "'");
  }
  // One transaction: GeoPackage writes stay fast; other drivers accept and ignore it.
  const bool transaction = layer->StartTransaction() == OGRERR_NONE;
  for (const auto& p : patches) {
    OGRFeature feat(layer->GetLayerDefn());
    int i = 0;
    for (const Field* f : fields) {
      const Value v = f->get(p, ctx);
      if (auto* s = std::get_if<std::string>(&v))
        feat.SetField(i, s->c_str());
      else if (auto* d = std::get_if<double>(&v))
        feat.SetField(i, rounded(f->name, *d));
      else
        feat.SetField(i, static_cast<GIntBig>(std::get<std::int64_t>(v)));
      ++i;
    }
    if (geom != Geometry::none) {
      GeometryPtr g = from_wkb(p.wkb);
      // One geometry type per layer: a refined patch can fall into several pieces.
      feat.SetGeometryDirectly(OGRGeometryFactory::forceToMultiPolygon(g.release()));
    }
    if (layer->CreateFeature(&feat) != OGRERR_NONE)
      throw ProcessingError("cannot write patch " + p.id + " to '" + path +
                            "': " + gdal_last_error());
  }
  if (transaction && layer->CommitTransaction() != OGRERR_NONE)
    throw ProcessingError("cannot commit patches to '" + path + "': " + gdal_last_error());
  close_or_throw(ds, path);
}

}  // namespace

void write_patches_gpkg(const std::string& path, const std::vector<Patch>& patches,
                        const ReportContext& ctx) {
  const char* opts[] = {"SPATIAL_INDEX=YES", nullptr};
  write_layer(path, "GPKG", patches, ctx, Geometry::projected, opts);
  // QGIS shows these aliases as the field names (GDAL 3.6 does not write them).
  std::vector<std::pair<std::string, std::string>> aliases;
  for (const Field* f : schema(patches, ctx)) aliases.emplace_back(f->name, f->alias);
  describe_patch_layer(path, "changes", aliases);
}

void write_patches_geojson(const std::string& path, const std::vector<Patch>& patches,
                           const ReportContext& ctx) {
  // Written here rather than by GDAL's GeoJSON driver, whose json-c serialisation took 12 s
  // for 18,000 patches; the same RFC 7946 content: WGS84 lon/lat to 1e-7, exterior rings
  // counter-clockwise, one feature per line.
  std::string text = "{\n\"type\": \"FeatureCollection\",\n\"name\": \"changes\",\n\"features\": [\n";
  const auto fields = schema(patches, ctx);
  for (std::size_t k = 0; k < patches.size(); ++k) {
    const Patch& p = patches[k];
    text += R"({"type":"Feature","properties":{)";
    bool first = true;
    for (const Field* f : fields) {
      (text += first ? "" : ",") += nlohmann::json(f->name).dump() + ":";
      first = false;
      const Value v = f->get(p, ctx);
      if (auto* str = std::get_if<std::string>(&v))  // text that is not UTF-8: U+FFFD
        text += nlohmann::json(*str).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      else if (auto* d = std::get_if<double>(&v))
        text += nlohmann::json(rounded(f->name, *d)).dump();
      else
        text += std::to_string(std::get<std::int64_t>(v));
    }
    text += R"(},"geometry":)";
    text += p.wkb_lonlat.empty() ? "null" : wkb_to_geojson(p.wkb_lonlat, /*rfc7946=*/true);
    text += k + 1 < patches.size() ? "},\n" : "}\n";
  }
  text += "]\n}\n";
  write_text_file(path, text);
}

void write_patches_csv(const std::string& path, const std::vector<Patch>& patches,
                       const ReportContext& ctx) {
  // The .csvt beside it tells QGIS and GDAL which columns are text: GB/T codes (0103) and
  // parcel ids keep their leading zeros.
  const char* opts[] = {"WRITE_BOM=YES", "LINEFORMAT=CRLF", "CREATE_CSVT=YES", nullptr};
  write_layer(path, "CSV", patches, ctx, Geometry::none, opts);
}

void write_patches_xlsx(const std::string& path, const std::vector<Patch>& patches,
                        const ReportContext& ctx) {
  // Written with libxlsxwriter rather than GDAL's XLSX driver, which took 0.8 s to close a
  // table of 17,700 patches (one printf per cell into a zip stream); the same sheet of text and
  // numbers, its header row frozen and filtered.
  const std::string tmp = std::filesystem::path(path).parent_path().string();
  lxw_workbook_options options{};
  options.tmpdir = const_cast<char*>(tmp.empty() ? nullptr : tmp.c_str());
  // Closed (and its temporary files removed) whatever happens below.
  std::unique_ptr<lxw_workbook, lxw_error (*)(lxw_workbook*)> wb(
      workbook_new_opt(path.c_str(), &options), workbook_close);
  if (!wb) throw ProcessingError("cannot create '" + path + "'");
  // Reproducible: SOURCE_DATE_EPOCH when set (as the GeoPackage's timestamps); libxlsxwriter
  // takes 0 for "now", so the epoch itself is written a second later.
  lxw_doc_properties props{};
  props.created = std::max<std::time_t>(1, static_cast<std::time_t>(shown_epoch()));
  workbook_set_properties(wb.get(), &props);
  lxw_worksheet* ws = workbook_add_worksheet(wb.get(), "changes");
  lxw_format* bold = workbook_add_format(wb.get());
  if (!ws || !bold) throw ProcessingError("cannot write '" + path + "'");
  format_set_bold(bold);
  lxw_error first = LXW_NO_ERROR;  // the first failure, reported
  auto ok = [&](lxw_error e) {
    if (first == LXW_NO_ERROR) first = e;
  };
  const auto fields = schema(patches, ctx);
  for (std::size_t c = 0; c < fields.size(); ++c)
    ok(worksheet_write_string(ws, 0, static_cast<lxw_col_t>(c), fields[c]->name, bold));
  for (std::size_t r = 0; r < patches.size() && first == LXW_NO_ERROR; ++r)
    for (std::size_t c = 0; c < fields.size(); ++c) {
      const auto row = static_cast<lxw_row_t>(r + 1);
      const auto col = static_cast<lxw_col_t>(c);
      const Value v = fields[c]->get(patches[r], ctx);
      if (auto* str = std::get_if<std::string>(&v)) {
        // Text that is not UTF-8 (a parcel id from a legacy layer) would break the sheet's XML.
        if (!str->empty())
          ok(worksheet_write_string(ws, row, col, cell_text(*str).c_str(), nullptr));
      } else if (auto* d = std::get_if<double>(&v)) {
        if (std::isfinite(*d))
          ok(worksheet_write_number(ws, row, col, rounded(fields[c]->name, *d), nullptr));
      } else {
        ok(worksheet_write_number(ws, row, col, static_cast<double>(std::get<std::int64_t>(v)),
                                  nullptr));
      }
    }
  if (first == LXW_NO_ERROR && !fields.empty()) {
    ok(worksheet_set_column(ws, 0, static_cast<lxw_col_t>(fields.size() - 1), 15, nullptr));
    worksheet_freeze_panes(ws, 1, 0);
    ok(worksheet_autofilter(ws, 0, 0, static_cast<lxw_row_t>(patches.size()),
                            static_cast<lxw_col_t>(fields.size() - 1)));
  }
  const lxw_error closed = workbook_close(wb.release());
  if (first != LXW_NO_ERROR || closed != LXW_NO_ERROR) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    throw ProcessingError("cannot write '" + path + "': " +
                          lxw_strerror(first != LXW_NO_ERROR ? first : closed) +
                          (patches.size() >= 1048575 ? " (a sheet holds at most 1,048,575 patches)"
                                                     : ""));
  }
}

}  // namespace farmwatch::io
