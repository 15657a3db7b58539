// Achievable link rates as a fraction of the nominal rate (hardware/catalog.cpp read_achievable):
// the catalog gives nic_efficiency and nvlink_efficiency, the achievable rate is efficiency ×
// nominal, so an override of the nominal rate moves it; an inline definition may still give the
// rate itself.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "hardware/catalog.hpp"

namespace trainsim::hardware {
namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)

GpuSpec inline_gpu(const std::string& yaml) {
  return resolve_gpu(ConfigNode::load_string(yaml, "s.yaml").at("gpu"), HardwareCatalog::bundled());
}
FabricSpec inline_fabric(const std::string& yaml) {
  return resolve_fabric(ConfigNode::load_string(yaml, "s.yaml").at("fabric"),
                        HardwareCatalog::bundled());
}

TEST(AchievableBandwidth, CatalogFiguresAreUnchangedAtNominal) {
  // Before the catalog gave fractions it gave these rates (ISCA'25 §4.3: 40 of 50 GB/s per 400G
  // NIC, 160 of 200 GB/s of H800 NVLink; the others 0.8 of their nominal). 0.8 × nominal is
  // exact in binary floating point for each (0.8's representation error is 2^-54 relative, under
  // half an ulp), so the figures are bit-identical, and so is every simulated result.
  const auto& c = HardwareCatalog::bundled();
  EXPECT_EQ(c.fabric("mpft-ib-400g").nic_achievable_Bps, 40e9);
  EXPECT_EQ(c.fabric("rail-roce-400g").nic_achievable_Bps, 40e9);
  EXPECT_EQ(c.fabric("fat-tree-ib-400g").nic_achievable_Bps, 40e9);
  EXPECT_EQ(c.fabric("selene-ib-hdr-200g").nic_achievable_Bps, 20e9);
  EXPECT_EQ(c.gpu("h800").nvlink_achievable_Bps, 160e9);
  EXPECT_EQ(c.gpu("h100").nvlink_achievable_Bps, 360e9);
  EXPECT_EQ(c.gpu("h200").nvlink_achievable_Bps, 360e9);
  EXPECT_EQ(c.gpu("a100").nvlink_achievable_Bps, 240e9);
  EXPECT_EQ(c.gpu("b200").nvlink_achievable_Bps, 720e9);
  for (const auto& name : c.fabric_names()) {
    const auto& f = c.fabric(name);
    EXPECT_DOUBLE_EQ(f.nic_efficiency, 0.8) << name;
    EXPECT_CONTAINS(f.sources.at("nic_efficiency"), "ISCA'25 §4.3");
    EXPECT_CONTAINS(f.sources.at("nic_achievable"), "derived: nic_efficiency 0.8 × nic_bw");
  }
}

TEST(AchievableBandwidth, ANominalOverrideMovesTheAchievableRate) {
  // 800 Gb/s = 100 GB/s per direction at the base's measured fraction 0.8: 80 GB/s (was 40 GB/s
  // whatever nic_bw said).
  const FabricSpec f = inline_fabric("fabric: {base: mpft-ib-400g, nic_bw: 800Gbps}\n");
  EXPECT_EQ(f.nic_bw_Bps, 100e9);
  EXPECT_DOUBLE_EQ(f.nic_achievable_Bps, 80e9);
  EXPECT_CONTAINS(f.sources.at("nic_achievable"),
                  "derived: nic_efficiency 0.8 × nic_bw 100 GB/s (nic_efficiency: ISCA'25");
  // NVLink likewise: an H800 with H100 NVLink (450 GB/s) reaches 0.8 × 450 = 360 GB/s.
  const GpuSpec g = inline_gpu("gpu: {base: h800, nvlink_bw_per_direction: 450GB/s}\n");
  EXPECT_DOUBLE_EQ(g.nvlink_achievable_Bps, 360e9);
  // An override that changes neither rate keeps the base's figures and sources.
  const FabricSpec same = inline_fabric("fabric: {base: mpft-ib-400g, planes: 4}\n");
  EXPECT_EQ(same.nic_achievable_Bps, 40e9);
  EXPECT_EQ(same.sources.at("nic_achievable"),
            HardwareCatalog::bundled().fabric("mpft-ib-400g").sources.at("nic_achievable"));
}

TEST(AchievableBandwidth, EitherTheFractionOrTheRate) {
  // A fraction of the nominal: 0.9 × 50 GB/s = 45 GB/s.
  const FabricSpec e = inline_fabric("fabric: {base: mpft-ib-400g, nic_efficiency: 0.9}\n");
  EXPECT_DOUBLE_EQ(e.nic_achievable_Bps, 45e9);
  // A rate, as before: kept as written; its fraction is derived (36/50 = 0.72).
  const FabricSpec a = inline_fabric("fabric: {base: mpft-ib-400g, nic_achievable: 36GB/s}\n");
  EXPECT_EQ(a.nic_achievable_Bps, 36e9);
  EXPECT_DOUBLE_EQ(a.nic_efficiency, 0.72);
  EXPECT_EQ(a.sources.at("nic_efficiency"), "derived: nic_achievable / nic_bw");
  // A rate given with a new nominal is kept too (the user said what the link achieves).
  const FabricSpec both =
      inline_fabric("fabric: {base: mpft-ib-400g, nic_bw: 800Gbps, nic_achievable: 50GB/s}\n");
  EXPECT_EQ(both.nic_achievable_Bps, 50e9);
}

TEST(AchievableBandwidth, BadFractionsAreRejectedWithTheirKey) {
  EXPECT_CONTAINS(message_of([] {
                    inline_fabric(
                        "fabric: {base: mpft-ib-400g, nic_efficiency: 0.8, "
                        "nic_achievable: 40GB/s}\n");
                  }),
                  "fabric.nic_efficiency: 'nic_achievable' and 'nic_efficiency' are both given: "
                  "write the achievable rate or its fraction of nic_bw, not both");
  EXPECT_CONTAINS(
      message_of([] { inline_fabric("fabric: {base: mpft-ib-400g, nic_efficiency: 1.2}\n"); }),
      "fabric.nic_efficiency:");
  EXPECT_CONTAINS(
      message_of([] { inline_fabric("fabric: {base: mpft-ib-400g, nic_efficiency: 0.001}\n"); }),
      "fabric.nic_efficiency:");
  EXPECT_CONTAINS(message_of([] { inline_gpu("gpu: {base: h800, nvlink_efficiency: 0}\n"); }),
                  "gpu.nvlink_efficiency:");
  // A full inline definition needs one of the two.
  EXPECT_CONTAINS(message_of([] {
                    inline_fabric(
                        "fabric: {kind: fat-tree, nic_bw: 400Gbps, nics_per_node: 8, "
                        "switch_radix: 64, latency_same_leaf: 2us, latency_cross_leaf: 3us, "
                        "gpus_per_leaf: 32, leaf_grouping: rack, pod_gpus: 2048, "
                        "oversubscription: 1}\n");
                  }),
                  "missing required key 'nic_efficiency' (the achievable fraction of nic_bw, "
                  "e.g. 0.8) or 'nic_achievable' (the achievable rate)");
}

}  // namespace
}  // namespace trainsim::hardware
