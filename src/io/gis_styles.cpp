#include "farmwatch/io/gis_styles.h"

#include <gdal_priv.h>
#include <gdal_rat.h>
#include <sqlite3.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "farmwatch/core/change_rules.h"
#include "farmwatch/core/error.h"
#include "farmwatch/io/gdal_setup.h"
#include "farmwatch/io/text_file.h"
#include "gdal_error.h"
#include "gdal_handles.h"

namespace farmwatch::io {
namespace fs = std::filesystem;

namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string hex(const Rgba& c) {
  char s[8];
  std::snprintf(s, sizeof s, "#%02x%02x%02x", c.r, c.g, c.b);
  return s;
}

}  // namespace

std::vector<ClassEntry> class_entries(const ClassTable& classes) {
  std::vector<ClassEntry> out;
  for (const LandClass& c : classes.classes()) out.push_back({c.code, c.name, c.gbt_code, c.color});
  return out;
}

std::vector<ClassEntry> change_entries() {
  std::vector<ClassEntry> out = {{0, "无变化", "", Rgba{0, 0, 0, 0}}};
  for (auto cat : {ChangeCategory::non_agricultural, ChangeCategory::non_grain,
                   ChangeCategory::other})
    out.push_back({static_cast<std::uint8_t>(cat), category_label(cat), "",
                   *Rgba::parse(category_color(cat))});
  return out;
}

void describe_class_raster(const std::string& path, const std::vector<ClassEntry>& entries) {
  {
    // Opened read-only, GDAL keeps these in the PAM sidecar (path.aux.xml).
    DatasetPtr ds = open_raster(path);
    GDALRasterBand* band = ds->GetRasterBand(1);
    GDALColorTable ct;
    const GDALColorTable* old = band->GetColorTable();
    for (int i = 0; i < 256; ++i) {
      GDALColorEntry e{0, 0, 0, 0};
      if (old && i < old->GetColorEntryCount()) e = *old->GetColorEntry(i);
      ct.SetColorEntry(i, &e);
    }
    int has_nodata = 0;
    const double nodata = band->GetNoDataValue(&has_nodata);
    if (has_nodata && nodata >= 0 && nodata < 256) {
      const GDALColorEntry clear{0, 0, 0, 0};
      ct.SetColorEntry(static_cast<int>(nodata), &clear);
    }
    std::uint8_t top = 0;
    for (const auto& e : entries) {
      const GDALColorEntry c{e.color.r, e.color.g, e.color.b, e.color.a};
      ct.SetColorEntry(e.value, &c);
      top = std::max(top, e.value);
    }
    CPLStringList names;
    for (int v = 0; v <= top; ++v) {
      std::string n;
      for (const auto& e : entries)
        if (e.value == v) n = e.name;
      names.AddString(n.c_str());
    }
    GDALDefaultRasterAttributeTable rat;
    rat.CreateColumn("Value", GFT_Integer, GFU_MinMax);
    rat.CreateColumn("Class", GFT_String, GFU_Name);
    rat.CreateColumn("GBT21010", GFT_String, GFU_Generic);
    rat.CreateColumn("Red", GFT_Integer, GFU_Red);
    rat.CreateColumn("Green", GFT_Integer, GFU_Green);
    rat.CreateColumn("Blue", GFT_Integer, GFU_Blue);
    rat.CreateColumn("Alpha", GFT_Integer, GFU_Alpha);
    rat.SetRowCount(static_cast<int>(entries.size()));
    for (int r = 0; r < static_cast<int>(entries.size()); ++r) {
      const auto& e = entries[static_cast<std::size_t>(r)];
      rat.SetValue(r, 0, e.value);
      rat.SetValue(r, 1, e.name.c_str());
      rat.SetValue(r, 2, e.gbt_code.c_str());
      rat.SetValue(r, 3, e.color.r);
      rat.SetValue(r, 4, e.color.g);
      rat.SetValue(r, 5, e.color.b);
      rat.SetValue(r, 6, e.color.a);
    }
    CPLErrorReset();
    if (band->SetColorTable(&ct) != CE_None || band->SetCategoryNames(names.List()) != CE_None ||
        band->SetDefaultRAT(&rat) != CE_None)
      throw ProcessingError("cannot describe the classes of '" + path + "': " + gdal_last_error());
    close_or_throw(ds, path);
  }
  // The QGIS style beside the raster (QGIS loads <name>.qml with <name>.tif).
  std::string qml =
      "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
      "<qgis version=\"3.22.0\" styleCategories=\"Symbology\">\n"
      "  <pipe>\n"
      "    <rasterrenderer type=\"paletted\" band=\"1\" opacity=\"1\" alphaBand=\"-1\" "
      "nodataColor=\"\">\n"
      "      <rasterTransparency/>\n"
      "      <colorPalette>\n";
  for (const auto& e : entries) {
    const std::string label = e.gbt_code.empty() ? e.name : e.name + " (" + e.gbt_code + ")";
    qml += "        <paletteEntry value=\"" + std::to_string(e.value) + "\" color=\"" +
           hex(e.color) + "\" alpha=\"" + std::to_string(e.color.a) + "\" label=\"" +
           xml_escape(label) + "\"/>\n";
  }
  qml +=
      "      </colorPalette>\n"
      "    </rasterrenderer>\n"
      "    <brightnesscontrast brightness=\"0\" contrast=\"0\" gamma=\"1\"/>\n"
      "    <huesaturation saturation=\"0\" colorizeOn=\"0\" colorizeRed=\"255\" "
      "colorizeGreen=\"128\" colorizeBlue=\"128\" colorizeStrength=\"100\" grayscaleMode=\"0\"/>\n"
      "    <rasterresampler maxOversampling=\"2\"/>\n"
      "  </pipe>\n"
      "  <blendMode>0</blendMode>\n"
      "</qgis>\n";
  write_text_file(fs::path(path).replace_extension(".qml"), qml);
}

namespace {

/// QGIS style of a patch layer: outlines in the category colours over a light fill of the
/// same colour, categorised on `category` (its Chinese labels), and the field aliases.
std::string patch_layer_qml(const std::vector<std::pair<std::string, std::string>>& aliases) {
  std::string cats, symbols;
  int k = 0;
  for (const auto& e : change_entries()) {
    if (e.value == 0) continue;
    const std::string rgb = std::to_string(e.color.r) + "," + std::to_string(e.color.g) + "," +
                            std::to_string(e.color.b);
    const std::string n = std::to_string(k++);
    cats += "      <category render=\"true\" symbol=\"" + n + "\" value=\"" + xml_escape(e.name) +
            "\" label=\"" + xml_escape(e.name) + "\" type=\"string\"/>\n";
    symbols += "      <symbol type=\"fill\" name=\"" + n +
               "\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n"
               "        <layer class=\"SimpleFill\" enabled=\"1\" locked=\"0\" pass=\"0\">\n"
               "          <Option type=\"Map\">\n"
               "            <Option name=\"color\" value=\"" + rgb + ",48\" type=\"QString\"/>\n"
               "            <Option name=\"style\" value=\"solid\" type=\"QString\"/>\n"
               "            <Option name=\"outline_color\" value=\"" + rgb + ",255\" type=\"QString\"/>\n"
               "            <Option name=\"outline_style\" value=\"solid\" type=\"QString\"/>\n"
               "            <Option name=\"outline_width\" value=\"0.6\" type=\"QString\"/>\n"
               "            <Option name=\"outline_width_unit\" value=\"MM\" type=\"QString\"/>\n"
               "            <Option name=\"joinstyle\" value=\"miter\" type=\"QString\"/>\n"
               "          </Option>\n"
               "        </layer>\n"
               "      </symbol>\n";
  }
  std::string qml =
      "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
      "<qgis version=\"3.22.0\" styleCategories=\"Symbology|Fields\">\n"
      "  <renderer-v2 type=\"categorizedSymbol\" attr=\"category\" forceraster=\"0\" "
      "symbollevels=\"0\" enableorderby=\"0\">\n"
      "    <categories>\n" + cats + "    </categories>\n"
      "    <symbols>\n" + symbols + "    </symbols>\n"
      "  </renderer-v2>\n"
      "  <aliases>\n";
  for (const auto& [field, alias] : aliases)
    qml += "    <alias field=\"" + xml_escape(field) + "\" name=\"" + xml_escape(alias) + "\"/>\n";
  qml += "  </aliases>\n</qgis>\n";
  return qml;
}

/// The layer's default style in the GeoPackage's layer_styles table, where QGIS looks for it
/// (the table QGIS itself writes with "Save as default").
void write_default_style(const std::string& gpkg, const std::string& table, const std::string& qml) {
  DatasetPtr ds(GDALDataset::Open(gpkg.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE));
  if (!ds) throw ProcessingError("cannot open '" + gpkg + "' to store its style: " + gdal_last_error());
  OGRLayer* geo = ds->GetLayerByName(table.c_str());
  const std::string geom_column = geo && geo->GetGeometryColumn() ? geo->GetGeometryColumn() : "";
  OGRLayer* styles = ds->GetLayerByName("layer_styles");
  if (!styles) {
    styles = ds->CreateLayer("layer_styles", nullptr, wkbNone, nullptr);
    if (!styles) throw ProcessingError("cannot add layer_styles to '" + gpkg + "': " + gdal_last_error());
    const std::pair<const char*, OGRFieldType> cols[] = {
        {"f_table_catalog", OFTString}, {"f_table_schema", OFTString},
        {"f_table_name", OFTString},    {"f_geometry_column", OFTString},
        {"styleName", OFTString},       {"styleQML", OFTString},
        {"styleSLD", OFTString},        {"useAsDefault", OFTInteger},
        {"description", OFTString},     {"owner", OFTString},
        {"ui", OFTString},              {"update_time", OFTDateTime}};
    for (const auto& [name, type] : cols) {
      OGRFieldDefn fd(name, type);
      if (std::string(name) == "useAsDefault") fd.SetSubType(OFSTBoolean);
      if (styles->CreateField(&fd) != OGRERR_NONE)
        throw ProcessingError("cannot add layer_styles to '" + gpkg + "': " + gdal_last_error());
    }
  }
  OGRFeature f(styles->GetLayerDefn());
  f.SetField("f_table_catalog", "");
  f.SetField("f_table_schema", "");
  f.SetField("f_table_name", table.c_str());
  f.SetField("f_geometry_column", geom_column.c_str());
  f.SetField("styleName", table.c_str());
  f.SetField("styleQML", qml.c_str());
  f.SetField("styleSLD", "");
  f.SetField("useAsDefault", 1);
  f.SetField("description", "farmwatch");
  f.SetField("owner", "");
  f.SetField("ui", "");
  // Reproducible: SOURCE_DATE_EPOCH when set (as GDAL's own GeoPackage timestamps).
  const auto t = static_cast<std::time_t>(shown_epoch());
  std::tm tm{};
  gmtime_r(&t, &tm);
  f.SetField("update_time", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
             static_cast<float>(tm.tm_sec), 100);
  if (styles->CreateFeature(&f) != OGRERR_NONE)
    throw ProcessingError("cannot store the style of '" + gpkg + "': " + gdal_last_error());
  close_or_throw(ds, gpkg);
}

}  // namespace

void describe_patch_layer(const std::string& gpkg, const std::string& table,
                          const std::vector<std::pair<std::string, std::string>>& column_aliases) {
  write_default_style(gpkg, table, patch_layer_qml(column_aliases));
  sqlite3* db = nullptr;
  auto fail = [&](const std::string& why) {
    if (db) sqlite3_close(db);
    throw ProcessingError("cannot write the field aliases of '" + gpkg + "': " + why);
  };
  if (sqlite3_open_v2(gpkg.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
    fail(db ? sqlite3_errmsg(db) : "cannot open");
  // http://www.geopackage.org/spec/#extension_schema (gpkg_data_columns, table 17).
  const char* ddl =
      "BEGIN;"
      "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT "
      "NOT NULL, name TEXT, title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT, "
      "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), CONSTRAINT gdc_tn UNIQUE "
      "(table_name, name));"
      "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
      "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, CONSTRAINT "
      "ge_tce UNIQUE (table_name, column_name, extension_name));"
      "INSERT OR IGNORE INTO gpkg_extensions VALUES ('gpkg_data_columns', NULL, 'gpkg_schema', "
      "'http://www.geopackage.org/spec/#extension_schema', 'read-write');";
  char* err = nullptr;
  if (sqlite3_exec(db, ddl, nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string why = err ? err : "";
    sqlite3_free(err);
    fail(why);
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db,
                         "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, "
                         "name, title) VALUES (?, ?, ?, ?)",
                         -1, &st, nullptr) != SQLITE_OK)
    fail(sqlite3_errmsg(db));
  for (const auto& [column, alias] : column_aliases) {
    sqlite3_bind_text(st, 1, table.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, column.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, column.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, alias.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) {
      sqlite3_finalize(st);
      fail(sqlite3_errmsg(db));
    }
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  if (sqlite3_exec(db, "COMMIT;", nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string why = err ? err : "";
    sqlite3_free(err);
    fail(why);
  }
  sqlite3_close(db);
}

}  // namespace farmwatch::io
