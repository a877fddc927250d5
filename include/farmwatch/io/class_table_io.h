#pragma once
// Class tables outside the rules file: a CSV an office writes for a learned map (label code to
// name and GB/T 21010 code), and the FARMWATCH_CLASSES metadata a land-use raster carries so
// that other commands know what its codes mean.
#include <optional>
#include <string>

#include "farmwatch/core/class_table.h"

namespace farmwatch::io {

/// Reads `code,key,name,gbt21010[,color[,observed]]` rows after a header line (UTF-8).
/// The GB/T name is the standard's; `observed` no marks cloud or shadow (no GB/T code). ConfigError
/// naming the file and line on a bad code, an unknown GB/T 21010 code, a duplicate, or a malformed
/// colour.
ClassTable load_class_table_csv(const std::string& path);

/// "#rrggbb".
std::string color_hex(const Rgba& c);

/// The table as the JSON written into a raster's FARMWATCH_CLASSES metadata item.
std::string class_table_metadata(const ClassTable& t);
/// The table from that item; nullopt if absent or not a class table.
std::optional<ClassTable> class_table_from_metadata(const char* text);

}  // namespace farmwatch::io
