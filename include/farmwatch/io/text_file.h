#pragma once
// Whole text files written in one go (scripts, JSON, GeoJSON the viewer and the reports make).
#include <filesystem>
#include <string>

namespace farmwatch::io {

/// Writes `text` to `path` (replacing it; parent folders created). ProcessingError naming the
/// file if it cannot be written (disk full, no permission).
void write_text_file(const std::filesystem::path& path, const std::string& text);

}  // namespace farmwatch::io
