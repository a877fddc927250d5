#include "farmwatch/io/csv_writer.h"

#include <cstdio>

namespace farmwatch::io {

namespace {
void append_cell(std::string& out, const std::string& cell) {
  if (cell.find_first_of(",\"\r\n") == std::string::npos) {
    out += cell;
    return;
  }
  out += '"';
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void append_row(std::string& out, const std::vector<std::string>& row) {
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (i) out += ',';
    append_cell(out, row[i]);
  }
  out += "\r\n";
}
}  // namespace

std::string CsvTable::text(bool bom) const {
  std::string out = bom ? "\xEF\xBB\xBF" : "";
  append_row(out, header);
  for (const auto& r : rows) append_row(out, r);
  return out;
}

std::string csv_number(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace farmwatch::io
