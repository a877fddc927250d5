#include "farmwatch/io/csv_writer.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "farmwatch/core/error.h"

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

void write_csv(const std::string& path, const CsvTable& table) {
  namespace fs = std::filesystem;
  const fs::path target = fs::absolute(path);
  const fs::path tmp =
      target.parent_path() / (".partial-" + std::to_string(::getpid()) + "-" +
                              target.filename().string());
  {
    std::ofstream out(tmp, std::ios::binary);
    out << table.text();
    if (!out) throw ProcessingError("cannot write '" + target.string() + "'");
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw ProcessingError("cannot write '" + target.string() + "': " + ec.message());
  }
}

}  // namespace farmwatch::io
