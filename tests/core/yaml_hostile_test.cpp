// Hostile documents (issue 14): each is refused with a located ConfigError naming the problem,
// where yaml-cpp alone would keep going (duplicate keys, a second document), misreport it ("bad
// file", "unknown escape character") or pass bytes on that no JSON writer accepts.
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <string>

#include "core/text.hpp"
#include "core/yaml_reader.hpp"

namespace trainsim {
namespace {

std::string load_error(const std::string& text) {
  try {
    ConfigNode::load_string(text, "h.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

void expect_contains(const std::string& msg, const std::string& part) {
  EXPECT_NE(msg.find(part), std::string::npos) << "message: " << msg << "\nexpected: " << part;
}

TEST(YamlHostile, DuplicateKeyIsAnErrorAtTheSecondOne) {
  // yaml-cpp keeps both entries and lookups return the first: the second value was silently lost.
  const std::string msg = load_error("name: a\nprice: 2\nname: b\n");
  expect_contains(msg, "h.yaml:3:1: duplicate key 'name' (first at line 1)");
  expect_contains(load_error("a: {b: 1, c: 2, b: 3}\n"), "duplicate key 'b' (first at line 1)");
}

TEST(YamlHostile, SecondDocumentIsAnError) {
  const std::string msg = load_error("name: a\n---\nname: b\n");
  expect_contains(msg, "h.yaml:2:1: a second YAML document starts here ('---')");
  expect_contains(load_error("---\na: 1\n---\nb: 2\n"), "h.yaml:3:1: a second YAML document");
  // One document with explicit start and end markers is fine.
  EXPECT_EQ(load_error("---\nname: a\n...\n"), "<no error>");
}

TEST(YamlHostile, TextYamlCppWouldDropIsAnError) {
  // yaml-cpp loads "[a], b" as [a] and "- a\n," as [a], dropping the rest without a word (and
  // YAML::LoadAll never returns on a lone ",").
  expect_contains(load_error("[a], b\n"),
                  "h.yaml:1:4: invalid YAML: ',' here is outside any "
                  "list or mapping, and the rest of the file would be "
                  "ignored");
  expect_contains(load_error("- a\n,\n"), "h.yaml:2:1: invalid YAML: ','");
  expect_contains(load_error(","), "h.yaml:1:1: invalid YAML: ','");
}

TEST(YamlHostile, RawNulAndControlCharactersNameTheirLine) {
  const std::string nul = load_error(std::string("name: \"ab\0m\"\n", 14));
  expect_contains(nul, "h.yaml:1:10: a NUL byte (0x00)");
  expect_contains(nul, "YAML 1.2 §5.1");
  expect_contains(load_error("a: 1\nname: x\x1b[31m\n"), "h.yaml:2:8: control character 0x1B");
  // Tab, LF and CR are allowed.
  EXPECT_EQ(load_error("a:\t1\r\nb: 2\r\n"), "<no error>");
}

TEST(YamlHostile, EscapesThatMakeControlsOrBadUtf8AreErrors) {
  // "\0" and "\e" are valid YAML escapes but produce text no report can carry.
  expect_contains(load_error("name: \"a\\0b\"\n"), "the value 'a\\x00b' holds a NUL byte");
  expect_contains(load_error("name: \"a\\eb\"\n"), "control character 0x1B at character 2");
}

TEST(YamlHostile, InvalidUtf8IsRefusedWithItsLine) {
  // 0xFF never occurs in UTF-8; C3 28 is a lead byte without its continuation; ED A0 80 is an
  // encoded surrogate (U+D800); C0 AF an overlong '/'.
  expect_contains(load_error("a: 1\nname: caf\xff\n"),
                  "h.yaml:2:10: byte 0xFF, which is not valid UTF-8");
  expect_contains(load_error("name: \xc3\x28\n"), "h.yaml:1:7: byte 0xC3");
  expect_contains(load_error("name: \xed\xa0\x80\n"), "byte 0xED");
  expect_contains(load_error("name: \xc0\xaf\n"), "byte 0xC0");
  EXPECT_EQ(load_error("name: café 中文 🚀\n"), "<no error>");
}

TEST(YamlHostile, DeepNestingIsRefusedWithALine) {
  // 100,000 nested flow lists: yaml-cpp's own guard said "invalid YAML: bad file".
  const std::string deep = "a: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  const std::string msg = load_error(deep);
  expect_contains(msg, "h.yaml:1:");
  expect_contains(msg, "nested deeper than the parser allows");
  EXPECT_EQ(msg.find("bad file"), std::string::npos) << msg;
  // Below the parser's guard, our own limit (64 levels) applies.
  const std::string medium = "a: " + std::string(100, '[') + std::string(100, ']') + "\n";
  expect_contains(load_error(medium), "nested more than 64 levels deep");
}

TEST(YamlHostile, AliasBombIsRefused) {
  // Seven levels of ten aliases each expand to 10^7 nodes: more than the 2^20 limit.
  std::string bomb = "a: &a [1,1,1,1,1,1,1,1,1,1]\n";
  const std::string names = "abcdefg";
  for (std::size_t i = 1; i < names.size(); ++i) {
    std::string list;
    for (int k = 0; k < 10; ++k) list += std::string(k ? "," : "") + "*" + names[i - 1];
    bomb += std::string(1, names[i]) + ": &" + names[i] + " [" + list + "]\n";
  }
  expect_contains(load_error(bomb), "more than 1048576 nodes once its aliases are expanded");
}

TEST(YamlHostile, OverrideValuesGetTheSameChecks) {
  const auto doc = ConfigNode::load_string("a: 1\n", "h.yaml");
  expect_contains(message_of([&] { apply_overrides(doc, {"a={b: 1, b: 2}"}); }),
                  "--set a={b: 1, b: 2}:1:8: duplicate key 'b'");
}

TEST(YamlHostile, IntegerOutOfRangeSaysSoWithTheRange) {
  const auto doc =
      ConfigNode::load_string("a: 1e400\nb: -1\nc: 9223372036854775808\nd: 1e19\n", "h.yaml");
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  // Before: "'1e400' is not an integer" and "'-1' is not an integer".
  expect_contains(message_of([&] { doc.at("a").as_integer(0, kMax); }),
                  "'1e400' is out of range: must be a whole number between 0 and "
                  "9223372036854775807");
  expect_contains(message_of([&] { doc.at("b").as_integer(0, 10); }),
                  "'-1' is out of range: must be a whole number between 0 and 10");
  expect_contains(message_of([&] { doc.at("c").as_integer(0, kMax); }), "out of range");
  expect_contains(message_of([&] { doc.at("d").as_integer(0, kMax); }), "out of range");
}

TEST(YamlHostile, LargestInt64IsReadExactly) {
  // 9223372036854775807 as a double rounds to 2^63, and converting 2^63 to int64 is undefined
  // behaviour (UBSan: float-cast-overflow); read as an integer it is exact.
  const auto doc = ConfigNode::load_string("seed: 9223372036854775807\nn: -5\nk: 4K\n", "h.yaml");
  EXPECT_EQ(doc.at("seed").as_integer(0, std::numeric_limits<std::int64_t>::max()),
            std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(doc.at("n").as_integer(-10, 10), -5);
  EXPECT_EQ(doc.at("k").as_integer(0, 10000), 4000);
}

TEST(YamlHostile, UnknownKeyIsQuotedAsAShortExcerpt) {
  // A password file parses as a mapping whose first key is its first line: at most 24 characters
  // of it are quoted, escaped.
  const auto doc = ConfigNode::load_string(
      "root:$6$saltsaltsalt$hashhashhashhashhashhash:19000:0:99999:7:::\n", "shadow");
  const std::string msg = message_of([&] { doc.check_keys({"name"}); });
  expect_contains(msg, "unknown key 'root:$6$saltsaltsalt$has...'");
  EXPECT_EQ(msg.find("hashhashhashhash"), std::string::npos) << msg;
}

TEST(Text, Utf8ValidatorFollowsTheUnicodeTable) {
  EXPECT_EQ(text::first_invalid_utf8("plain"), std::string_view::npos);
  EXPECT_EQ(text::first_invalid_utf8("\xe2\x82\xac"), std::string_view::npos);      // €
  EXPECT_EQ(text::first_invalid_utf8("\xf4\x8f\xbf\xbf"), std::string_view::npos);  // U+10FFFF
  EXPECT_EQ(text::first_invalid_utf8("ab\xf4\x90\x80\x80"), 2u);                    // > U+10FFFF
  EXPECT_EQ(text::first_invalid_utf8("a\xe0\x80\xaf"), 1u);                         // overlong
  EXPECT_EQ(text::first_invalid_utf8("a\xe2\x82"), 1u);                             // truncated
  EXPECT_EQ(text::first_invalid_utf8("\x80"), 0u);                                  // lone tail
}

TEST(Text, ExcerptEscapesAndTruncates) {
  EXPECT_EQ(text::excerpt("a\x1b[0m\\b", 40), "a\\x1B[0m\\\\b");
  EXPECT_EQ(text::excerpt("abcdefgh", 4), "abcd...");
  EXPECT_EQ(text::excerpt("caf\xc3\xa9\xff", 40), "caf\xc3\xa9\\xFF");
}

}  // namespace
}  // namespace trainsim
