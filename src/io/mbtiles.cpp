// MBTiles 1.3 (https://github.com/mapbox/mbtiles-spec/blob/master/1.3/spec.md) from a Web
// Mercator tile folder: one SQLite file, tile rows in TMS order (y up).
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <tuple>

#include <nlohmann/json.hpp>

#include "farmwatch/core/error.h"
#include "farmwatch/io/map_tiles.h"

namespace farmwatch::io {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Db {
  sqlite3* db = nullptr;
  std::string path;
  ~Db() {
    if (db) sqlite3_close(db);
  }
  void exec(const std::string& sql) const {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string why = err ? err : "unknown error";
      sqlite3_free(err);
      throw ProcessingError("cannot write '" + path + "': " + why);
    }
  }
  [[noreturn]] void fail() const {
    throw ProcessingError("cannot write '" + path + "': " + sqlite3_errmsg(db));
  }
};

std::string number(double v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

}  // namespace

void write_mbtiles(const std::vector<EncodedTile>& tiles, const json& tj,
                   const std::string& path) {
  const std::string tmp = path + ".partial";
  std::error_code ec;
  fs::remove(tmp, ec);
  {
    Db db;
    db.path = path;
    if (sqlite3_open(tmp.c_str(), &db.db) != SQLITE_OK) db.fail();
    db.exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN;"
            "CREATE TABLE metadata (name TEXT, value TEXT);"
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
            "tile_data BLOB);");
    const auto& b = tj.at("bounds");
    const auto& c = tj.at("center");
    const std::vector<std::pair<std::string, std::string>> meta = {
        {"name", tj.value("name", "farmwatch")},
        {"format", tj.at("farmwatch:kind") == "imagery" ? "jpg" : "png"},
        {"bounds", number(b[0]) + "," + number(b[1]) + "," + number(b[2]) + "," + number(b[3])},
        {"center", number(c[0]) + "," + number(c[1]) + "," + std::to_string(c[2].get<int>())},
        {"minzoom", std::to_string(tj.at("minzoom").get<int>())},
        {"maxzoom", std::to_string(tj.at("maxzoom").get<int>())},
        {"type", "overlay"},
        {"version", "1.1"},
        {"description", tj.value("description", "")},
        {"attribution", tj.value("attribution", "farmwatch")},
    };
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db.db, "INSERT INTO metadata VALUES (?, ?)", -1, &st, nullptr) !=
        SQLITE_OK)
      db.fail();
    for (const auto& [k, v] : meta) {
      sqlite3_bind_text(st, 1, k.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 2, v.c_str(), -1, SQLITE_TRANSIENT);
      if (sqlite3_step(st) != SQLITE_DONE) db.fail();
      sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db.db, "INSERT INTO tiles VALUES (?, ?, ?, ?)", -1, &st, nullptr) !=
        SQLITE_OK)
      db.fail();
    for (const EncodedTile& t : tiles) {
      const TileAddress& a = t.address;
      sqlite3_bind_int(st, 1, a.z);
      sqlite3_bind_int(st, 2, a.x);
      sqlite3_bind_int(st, 3, (1 << a.z) - 1 - a.y);  // TMS rows count from the south
      sqlite3_bind_blob(st, 4, t.png.data(), static_cast<int>(t.png.size()), SQLITE_STATIC);
      if (sqlite3_step(st) != SQLITE_DONE) db.fail();
      sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    db.exec("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);"
            "COMMIT;");
    if (sqlite3_close(db.db) != SQLITE_OK) db.fail();
    db.db = nullptr;
  }
  fs::rename(tmp, path, ec);
  if (ec) throw ProcessingError("cannot write '" + path + "': " + ec.message());
}

}  // namespace farmwatch::io

namespace farmwatch::io {

nlohmann::json tile_matrix_set_json(const TileMatrixSet& set) {
  constexpr double kMetresPerDegree = 2 * M_PI * 6378137.0 / 360.0;  // as OGC TMS Annex D
  const bool lat_first = set.geographic;  // EPSG:4490's axes are latitude, longitude
  json matrices = json::array();
  for (int z = set.first_level; z <= set.last_level; ++z) {
    const double cell = set.resolution(z);
    const double metres = cell * (set.geographic ? kMetresPerDegree : 1.0);
    matrices.push_back(
        {{"id", std::to_string(z)},
         {"scaleDenominator", metres / 0.00028},
         {"cellSize", cell},
         {"cornerOfOrigin", "topLeft"},
         {"pointOfOrigin", lat_first ? json::array({set.origin_y, set.origin_x})
                                     : json::array({set.origin_x, set.origin_y})},
         {"tileWidth", kTileSize},
         {"tileHeight", kTileSize},
         {"matrixWidth", set.matrix_width(z)},
         {"matrixHeight", set.matrix_height(z)}});
  }
  const std::string epsg = set.crs.substr(set.crs.find(':') + 1);
  json doc = {
      {"id", set.ogc_id},
      {"title", set.geographic ? "天地图 经纬度 (Tianditu \"c\", CGCS2000): WorldCRS84Quad with "
                                 "levels numbered from 1"
                               : "Google Maps Compatible for the World"},
      {"crs", "http://www.opengis.net/def/crs/EPSG/0/" + epsg},
      {"orderedAxes", lat_first ? json::array({"Lat", "Lon"}) : json::array({"X", "Y"})},
      {"tileMatrices", matrices}};
  if (!set.geographic) {
    doc["uri"] = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad";
    doc["wellKnownScaleSet"] = "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible";
  }
  return doc;
}

}  // namespace farmwatch::io
