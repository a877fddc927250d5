#include "farmwatch/io/class_table_io.h"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "farmwatch/core/error.h"
#include "farmwatch/core/gbt21010.h"

namespace farmwatch::io {
namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  const auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

}  // namespace

std::string color_hex(const Rgba& c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c.r, c.g, c.b);
  return buf;
}

ClassTable load_class_table_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("class table '" + path + "' cannot be read");
  ClassTable t;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (n == 1) continue;  // header
    if (trim(line).empty() || trim(line)[0] == '#') continue;
    std::vector<std::string> cells;
    std::stringstream ls(line);
    for (std::string c; std::getline(ls, c, ',');) cells.push_back(trim(c));
    const std::string where = "class table '" + path + "' line " + std::to_string(n);
    if (cells.size() < 4 || cells.size() > 6)
      throw ConfigError(where + ": expected code,key,name,gbt21010[,color[,observed]]");
    LandClass c;
    try {
      const int code = std::stoi(cells[0]);
      if (code < 1 || code > 254) throw std::out_of_range("code");
      c.code = static_cast<std::uint8_t>(code);
    } catch (const std::exception&) {
      throw ConfigError(where + ": code '" + cells[0] + "' is not 1..254");
    }
    c.key = cells[1];
    c.name = cells[2];
    c.gbt_code = cells[3];
    c.gbt_name = gbt21010_name(c.gbt_code);
    if (cells.size() == 6) {
      if (cells[5] != "yes" && cells[5] != "no")
        throw ConfigError(where + ": observed is yes or no (no: cloud, shadow), not '" + cells[5] +
                          "'");
      c.observed = cells[5] == "yes";
    }
    if (c.gbt_name.empty() && !(c.gbt_code.empty() && !c.observed))
      throw ConfigError(where + ": '" + c.gbt_code +
                        "' is not a GB/T 21010-2017 code (e.g. 01 耕地, 0103 旱地, 05-10)");
    if (cells.size() >= 5 && !cells[4].empty()) {
      const auto col = Rgba::parse(cells[4]);
      if (!col) throw ConfigError(where + ": colour '" + cells[4] + "' is not #rrggbb");
      c.color = *col;
    } else {
      c.color = default_class_color(c.code);
    }
    try {
      t.add(c);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(where + ": " + e.what());
    }
  }
  if (t.classes().empty()) throw ConfigError("class table '" + path + "' has no classes");
  return t;
}

std::string class_table_metadata(const ClassTable& t) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& c : t.classes())
    j.push_back({{"code", c.code},
                 {"key", c.key},
                 {"name", c.name},
                 {"gbt21010", c.gbt_code},
                 {"gbt21010_name", c.gbt_name},
                 {"color", color_hex(c.color)},
                 {"observed", c.observed}});
  return j.dump();
}

std::optional<ClassTable> class_table_from_metadata(const char* text) {
  if (!text) return std::nullopt;
  try {
    const auto j = nlohmann::json::parse(text);
    ClassTable t;
    for (const auto& e : j) {
      LandClass c;
      c.code = e.at("code").get<std::uint8_t>();
      c.key = e.at("key").get<std::string>();
      c.name = e.at("name").get<std::string>();
      c.gbt_code = e.at("gbt21010").get<std::string>();
      c.gbt_name = e.at("gbt21010_name").get<std::string>();
      c.color = Rgba::parse(e.at("color").get<std::string>()).value_or(Rgba{});
      c.observed = e.value("observed", true);
      t.add(c);
    }
    return t;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace farmwatch::io
