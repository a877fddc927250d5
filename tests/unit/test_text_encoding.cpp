#include <gtest/gtest.h>

#include "farmwatch/core/text_encoding.h"

using namespace farmwatch;

// "东湖村" in UTF-8 and in GBK (CP936).
const std::string kUtf8 = "\xE4\xB8\x9C\xE6\xB9\x96\xE6\x9D\x91";
const std::string kGbk = "\xB6\xAB\xBA\xFE\xB4\xE5";

TEST(TextEncoding, Utf8IsRecognisedAndGbkIsNot) {
  EXPECT_TRUE(is_utf8(""));
  EXPECT_TRUE(is_utf8("DKBH_001"));
  EXPECT_TRUE(is_utf8(kUtf8));
  EXPECT_TRUE(is_utf8("\xF0\x9F\x8C\xBE"));  // U+1F33E, four bytes
  EXPECT_FALSE(is_utf8(kGbk));
  EXPECT_FALSE(is_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_utf8("\xED\xA0\x80"));      // a surrogate
  EXPECT_FALSE(is_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_utf8("\xE4\xB8"));          // cut short
}

TEST(TextEncoding, Gb18030TakesGbkAndFourByteFormsAndRefusesStrayBytes) {
  EXPECT_TRUE(is_gb18030(kGbk));
  EXPECT_TRUE(is_gb18030("abc"));
  EXPECT_TRUE(is_gb18030("\x81\x30\x81\x30"));  // U+0080 in its four-byte form
  EXPECT_FALSE(
      is_gb18030("\xFF\xFE"
                 "01"));             // 0xFF occurs in no GB18030 sequence
  EXPECT_FALSE(is_gb18030("\xB6"));  // a lead byte with no trail
  EXPECT_FALSE(is_gb18030("\x81\x30\x20\x30"));
}

TEST(TextEncoding, InvalidBytesAreEscapedAndValidTextIsKept) {
  EXPECT_EQ(utf8_or_escaped(kUtf8), kUtf8);
  EXPECT_EQ(utf8_or_escaped("a\xFF"
                            "b"),
            "a\\xFFb");
  EXPECT_TRUE(is_utf8(utf8_or_escaped(kGbk)));
}

TEST(TextEncoding, ControlCharactersAreEscapedForTheTerminal) {
  // A parcel id holding ESC [2J would clear the terminal of whoever reads the error.
  EXPECT_EQ(terminal_safe("id\x1B[2J\r\x7F ok\tline\n"), "id\\x1B[2J\\x0D\\x7F ok\tline\n");
  EXPECT_EQ(terminal_safe(kUtf8), kUtf8);
  EXPECT_EQ(terminal_safe("a\xFF"), "a\\xFF");
}
