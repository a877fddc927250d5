#pragma once
// Recognising how text bytes are encoded (attribute tables of Chinese offices' shapefiles are
// often GBK/GB18030 with nothing saying so), and making text safe to print as UTF-8.
#include <string>
#include <string_view>

namespace farmwatch {

/// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
/// above U+10FFFF).
bool is_utf8(std::string_view text);

/// Whether `text` is well-formed GB18030 (which contains GBK and GB2312): ASCII, two-byte
/// sequences (lead 0x81-0xFE, trail 0x40-0x7E or 0x80-0xFE) and four-byte sequences
/// (0x81-0xFE, 0x30-0x39, 0x81-0xFE, 0x30-0x39).
bool is_gb18030(std::string_view text);

/// `text` itself when it is UTF-8; otherwise every byte that is not part of a well-formed
/// UTF-8 sequence written as "\xNN", so that it can go into JSON or a log as valid UTF-8.
std::string utf8_or_escaped(std::string_view text);

/// utf8_or_escaped, with the control characters other than tab and line feed (ESC, which a
/// terminal would obey; NUL; carriage return) written as "\xNN" too: user text (a parcel id, a
/// file name) safe to print on a terminal.
std::string terminal_safe(std::string_view text);

}  // namespace farmwatch
