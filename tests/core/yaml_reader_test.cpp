#include "core/yaml_reader.hpp"

#include <gtest/gtest.h>

#include <string>

namespace trainsim {
namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(YamlReader, ErrorsCarryFileLineColumnAndKeyPath) {
  const auto doc = ConfigNode::load_string("a:\n  b: 12\n  c: fast\n", "s.yaml");
  const auto c = doc.at("a").at("c");
  EXPECT_EQ(c.line(), 3);
  EXPECT_EQ(c.column(), 6);
  const std::string msg = message_of([&] { c.as_quantity(units::Quantity::Bandwidth); });
  EXPECT_NE(msg.find("s.yaml:3:6: a.c: 'fast' is not a valid bandwidth"), std::string::npos) << msg;
}

TEST(YamlReader, MissingKeyIsNamed) {
  const auto doc = ConfigNode::load_string("a: {b: 1}\n", "s.yaml");
  const std::string msg = message_of([&] { doc.at("a").at("x"); });
  EXPECT_NE(msg.find("a: missing required key 'x'"), std::string::npos) << msg;
}

TEST(YamlReader, UnknownKeyListsValidOnesAndSuggests) {
  const auto doc = ConfigNode::load_string("parallelism: {ppp: 2}\n", "s.yaml");
  const std::string msg = message_of([&] { doc.at("parallelism").check_keys({"dp", "tp", "pp"}); });
  EXPECT_NE(msg.find("unknown key 'ppp' (did you mean 'pp'?); valid keys: dp, tp, pp"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("s.yaml:1:15"), std::string::npos) << msg;
}

TEST(YamlReader, IntegerRangeAndWholeness) {
  const auto doc = ConfigNode::load_string("a: 2.5\nb: 0\nc: 4K\n", "s.yaml");
  EXPECT_NE(message_of([&] { doc.at("a").as_integer(1, 10); }).find("not a whole number"),
            std::string::npos);
  EXPECT_NE(message_of([&] { doc.at("b").as_integer(1, 10); }).find("out of range"),
            std::string::npos);
  EXPECT_EQ(doc.at("c").as_integer(1, 100000), 4000);
}

TEST(YamlReader, ChoiceListsValidValues) {
  const auto doc = ConfigNode::load_string("s: dualpip\n", "s.yaml");
  const std::string msg = message_of([&] { doc.at("s").as_choice({"1f1b", "dualpipe"}); });
  EXPECT_NE(msg.find("unknown value 'dualpip' (did you mean 'dualpipe'?); valid values: 1f1b, "
                     "dualpipe"),
            std::string::npos)
      << msg;
}

TEST(YamlReader, SyntaxErrorIsLocated) {
  const std::string msg =
      message_of([] { ConfigNode::load_string("a: [1, 2\nb: 3\n", "bad.yaml"); });
  EXPECT_NE(msg.find("bad.yaml:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("invalid YAML"), std::string::npos) << msg;
}

TEST(YamlReader, DeepNestingIsAnErrorNotACrash) {
  // 10,000 nested flow sequences: yaml-cpp's depth guard must turn this into an error.
  const std::string deep = std::string(10000, '[') + std::string(10000, ']');
  const std::string msg = message_of([&] { ConfigNode::load_string(deep, "deep.yaml"); });
  EXPECT_NE(msg.find("deep.yaml"), std::string::npos) << msg;
}

TEST(YamlReader, OversizedDocumentIsRejected) {
  YamlLimits limits;
  limits.max_bytes = 16;
  const std::string msg = message_of(
      [&] { ConfigNode::load_string("a: 0123456789012345678901234567890\n", "big.yaml", limits); });
  EXPECT_NE(msg.find("the limit is 16 bytes"), std::string::npos) << msg;
}

TEST(YamlReader, OverrideSetsValueAndNamesItselfInErrors) {
  const auto doc = ConfigNode::load_string("parallelism: {pp: 16, dp: 128}\n", "s.yaml");
  const auto over = apply_overrides(doc, {"parallelism.pp=8"});
  EXPECT_EQ(over.at("parallelism").at("pp").as_integer(1, 64), 8);
  EXPECT_EQ(over.at("parallelism").at("dp").as_integer(1, 1000), 128);
  // The original document is unchanged.
  EXPECT_EQ(doc.at("parallelism").at("pp").as_integer(1, 64), 16);

  const auto bad = apply_overrides(doc, {"parallelism.pp=eight"});
  const std::string msg = message_of([&] { bad.at("parallelism").at("pp").as_integer(1, 64); });
  EXPECT_NE(msg.find("--set parallelism.pp=eight: parallelism.pp: 'eight' is not an integer"),
            std::string::npos)
      << msg;
}

TEST(YamlReader, OverrideKeepsTheFilePositionsOfUntouchedFields) {
  const auto doc = ConfigNode::load_string("a: 1\nb:\n  c: x\n", "s.yaml");
  const auto over = apply_overrides(doc, {"a=2"});
  EXPECT_EQ(over.at("b").at("c").line(), 3);
  EXPECT_EQ(over.at("b").at("c").column(), 6);
  EXPECT_EQ(over.at("a").line(), 0);  // from the override, not the file
}

TEST(YamlReader, OverrideOfMissingIntermediateKeyListsPresentKeys) {
  // One edit away from a present key: named as the likely one, as an unknown key in a file is.
  const auto doc = ConfigNode::load_string("parallelism: {pp: 16}\n", "s.yaml");
  const std::string msg = message_of([&] { apply_overrides(doc, {"paralelism.pp=8"}); });
  EXPECT_NE(msg.find("no key 'paralelism' under '<root>' (did you mean 'parallelism'?); present "
                     "keys: parallelism"),
            std::string::npos)
      << msg;
  // Nothing close: no guess, only the list.
  const std::string far = message_of([&] { apply_overrides(doc, {"zzz.pp=8"}); });
  EXPECT_NE(far.find("no key 'zzz' under '<root>'; present keys: parallelism"), std::string::npos)
      << far;
}

TEST(YamlReader, OverrideIndexesSequences) {
  const auto doc = ConfigNode::load_string("phases: [{tokens: 1T}, {tokens: 2T}]\n", "s.yaml");
  const auto over = apply_overrides(doc, {"phases[1].tokens=3T"});
  EXPECT_EQ(over.at("phases")[1].at("tokens").as_string(), "3T");
  const std::string msg = message_of([&] { apply_overrides(doc, {"phases[5].tokens=1"}); });
  EXPECT_NE(msg.find("index 5 is out of range: 'phases' has 2 elements"), std::string::npos) << msg;
}

TEST(YamlReader, OverrideWithoutEqualsIsRejected) {
  const auto doc = ConfigNode::load_string("a: 1\n", "s.yaml");
  EXPECT_NE(message_of([&] { apply_overrides(doc, {"a"}); }).find("expected key.path=value"),
            std::string::npos);
}

}  // namespace
}  // namespace trainsim
