#include "farmwatch/io/text_file.h"

#include <fstream>

#include "farmwatch/core/error.h"

namespace farmwatch::io {

void write_text_file(const std::filesystem::path& path, const std::string& text) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw ProcessingError("cannot write '" + path.string() + "' (disk full?)");
}

}  // namespace farmwatch::io
