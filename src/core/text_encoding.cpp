#include "farmwatch/core/text_encoding.h"

#include <cstdint>
#include <cstdio>

namespace farmwatch {
namespace {

/// Length of the well-formed UTF-8 sequence at `i`, or 0 if there is none.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  const std::uint8_t c = b(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  std::uint8_t lo = 0x80, hi = 0xBF;  // range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

}  // namespace

bool is_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence(text, i);
    if (!n) return false;
    i += n;
  }
  return true;
}

bool is_gb18030(std::string_view text) {
  const auto b = [&](std::size_t k) { return static_cast<std::uint8_t>(text[k]); };
  for (std::size_t i = 0; i < text.size();) {
    const std::uint8_t c = b(i);
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c == 0x80 || c == 0xFF || i + 1 >= text.size()) return false;
    const std::uint8_t t = b(i + 1);
    if ((t >= 0x40 && t <= 0x7E) || (t >= 0x80 && t <= 0xFE)) {
      i += 2;
      continue;
    }
    if (t < 0x30 || t > 0x39 || i + 3 >= text.size()) return false;
    if (b(i + 2) < 0x81 || b(i + 2) > 0xFE || b(i + 3) < 0x30 || b(i + 3) > 0x39) return false;
    i += 4;
  }
  return true;
}

std::string utf8_or_escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (const std::size_t n = utf8_sequence(text, i)) {
      out.append(text.substr(i, n));
      i += n;
      continue;
    }
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02X",
                  static_cast<unsigned>(static_cast<std::uint8_t>(text[i])));
    out += buf;
    ++i;
  }
  return out;
}

std::string terminal_safe(std::string_view text) {
  const std::string utf8 = utf8_or_escaped(text);
  std::string out;
  out.reserve(utf8.size());
  for (const char c : utf8) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(u));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace farmwatch
