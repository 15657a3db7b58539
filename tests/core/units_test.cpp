#include "core/units.hpp"

#include <gtest/gtest.h>

namespace trainsim::units {
namespace {

constexpr double kRel = 1e-12;  // parsing is exact up to double rounding

TEST(Units, BandwidthBitsAreDividedByEight) {
  // 400 Gb/s = 400e9 / 8 bytes/s = 50e9 B/s (one ConnectX-7 NIC).
  EXPECT_NEAR(parse("400Gbps", Quantity::Bandwidth), 50e9, 50e9 * kRel);
  EXPECT_NEAR(parse("400Gb/s", Quantity::Bandwidth), 50e9, 50e9 * kRel);
  EXPECT_NEAR(parse("50GB/s", Quantity::Bandwidth), 50e9, 50e9 * kRel);
  EXPECT_NEAR(parse("3.35TB/s", Quantity::Bandwidth), 3.35e12, 3.35e12 * kRel);
}

TEST(Units, BinaryAndDecimalBytes) {
  // GiB = 2^30 bytes; GB = 1e9 bytes.
  EXPECT_DOUBLE_EQ(parse("80GiB", Quantity::Bytes), 80.0 * 1073741824.0);
  EXPECT_DOUBLE_EQ(parse("141GB", Quantity::Bytes), 141e9);
  EXPECT_DOUBLE_EQ(parse("70.272KB", Quantity::Bytes), 70272.0);
}

TEST(Units, FlopRatesDurationsAndCounts) {
  EXPECT_DOUBLE_EQ(parse("989TFLOPS", Quantity::FlopRate), 989e12);
  EXPECT_DOUBLE_EQ(parse("1.979 PFLOPS", Quantity::FlopRate), 1.979e15);
  EXPECT_DOUBLE_EQ(parse("2us", Quantity::Duration), 2e-6);
  EXPECT_DOUBLE_EQ(parse("10min", Quantity::Duration), 600.0);
  EXPECT_DOUBLE_EQ(parse("14.8T", Quantity::Count), 14.8e12);
  EXPECT_DOUBLE_EQ(parse("469B", Quantity::Count), 469e9);
  EXPECT_DOUBLE_EQ(parse("15360", Quantity::Count), 15360.0);
  EXPECT_DOUBLE_EQ(parse("$2", Quantity::Money), 2.0);
  EXPECT_DOUBLE_EQ(parse("85%", Quantity::Fraction), 0.85);
}

TEST(Units, SequenceLengthKIsBinary) {
  // ML convention: 4K context = 4096 tokens, 128K = 131072.
  EXPECT_DOUBLE_EQ(parse("4K", Quantity::SequenceLength), 4096.0);
  EXPECT_DOUBLE_EQ(parse("128K", Quantity::SequenceLength), 131072.0);
}

TEST(Units, MissingUnitIsRejectedWhereAmbiguous) {
  try {
    parse("400", Quantity::Bandwidth);
    FAIL() << "expected UnitError";
  } catch (const UnitError& e) {
    EXPECT_NE(std::string(e.what()).find("a unit is required"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("400Gbps"), std::string::npos) << e.what();
  }
}

TEST(Units, UnknownUnitIsNamed) {
  try {
    parse("80GiBs", Quantity::Bytes);
    FAIL() << "expected UnitError";
  } catch (const UnitError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown unit 'GiBs'"), std::string::npos) << e.what();
  }
}

TEST(Units, NanInfAndNegativeAreRejected) {
  EXPECT_THROW(parse("nan", Quantity::Count), UnitError);
  EXPECT_THROW(parse("inf", Quantity::Count), UnitError);
  EXPECT_THROW(parse("-5GB", Quantity::Bytes), UnitError);
  EXPECT_THROW(parse("1e400", Quantity::Count), UnitError);
  EXPECT_THROW(parse("", Quantity::Count), UnitError);
  EXPECT_THROW(parse("150%", Quantity::Fraction), UnitError);
  try {
    parse("-5GB", Quantity::Bytes);
  } catch (const UnitError& e) {
    EXPECT_NE(std::string(e.what()).find("must not be negative"), std::string::npos) << e.what();
  }
}

TEST(Units, FormatPicksAReadablePrefix) {
  EXPECT_EQ(format(50e9, Quantity::Bandwidth), "50 GB/s");
  EXPECT_EQ(format(2.788e6, Quantity::Count), "2.788 M");
  EXPECT_EQ(format(2e-6, Quantity::Duration), "2 us");
}

}  // namespace
}  // namespace trainsim::units
