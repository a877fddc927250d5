#pragma once
// The one writer of the CSV files farmwatch makes by hand (OGR writes the patch layers): UTF-8
// with a byte-order mark so spreadsheets read Chinese text, CRLF line ends and RFC 4180
// quoting. Files are published with pipeline::write_file_atomically(path, table.text()).
#include <string>
#include <vector>

namespace farmwatch::io {

/// A table of text cells; numbers are formatted by the caller (fixed decimals, so the bytes do
/// not depend on the locale or the platform).
struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  /// The file's text: BOM (unless `bom` is false, for a terminal), header, rows; a cell with a
  /// comma, quote or line end is quoted.
  std::string text(bool bom = true) const;
};

/// "%.<decimals>f" of `v`, for cells.
std::string csv_number(double v, int decimals);

}  // namespace farmwatch::io
