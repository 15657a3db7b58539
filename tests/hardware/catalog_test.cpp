#include "hardware/catalog.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>

namespace trainsim::hardware {
namespace {

const std::string kGpusYaml = std::string(TRAINSIM_SOURCE_DIR) + "/hardware/catalog/gpus.yaml";
const std::string kFabricsYaml =
    std::string(TRAINSIM_SOURCE_DIR) + "/hardware/catalog/fabrics.yaml";

// Catalog values are exact decimal conversions of the YAML text; 1e-9 relative covers rounding.
constexpr double kRel = 1e-9;

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

const HardwareCatalog& catalog() {
  static const HardwareCatalog c = HardwareCatalog::load(kGpusYaml, kFabricsYaml);
  return c;
}

GpuSpec inline_gpu(const std::string& yaml) {
  return resolve_gpu(ConfigNode::load_string(yaml, "s.yaml").at("gpu"), catalog());
}
FabricSpec inline_fabric(const std::string& yaml) {
  return resolve_fabric(ConfigNode::load_string(yaml, "s.yaml").at("fabric"), catalog());
}

TEST(HardwareCatalog, ListsAllGpusAndFabricsSorted) {
  EXPECT_EQ(catalog().gpu_names(),
            (std::vector<std::string>{"a100", "b200", "h100", "h200", "h800"}));
  EXPECT_EQ(catalog().fabric_names(),
            (std::vector<std::string>{"fat-tree-ib-400g", "mpft-ib-400g", "rail-roce-400g",
                                      "selene-ib-hdr-200g"}));
  for (const auto& e : catalog().gpu_entries()) EXPECT_FALSE(e.description.empty()) << e.name;
  for (const auto& e : catalog().fabric_entries()) EXPECT_FALSE(e.description.empty()) << e.name;
}

TEST(HardwareCatalog, BundledIsTheSourceTreeCatalog) {
  const auto& b = HardwareCatalog::bundled();
  EXPECT_EQ(&b, &HardwareCatalog::bundled());  // loaded once
  EXPECT_EQ(b.gpu_names(), catalog().gpu_names());
}

TEST(HardwareCatalog, H800MatchesPublishedDenseFigures) {
  // H100/H800 datasheet figures: BF16 989 TFLOPS dense (not the 1,979 sparse figure), FP8 1,979
  // dense, 132 SMs, 3.35 TB/s, NVLink 400 GB/s bidirectional = 200 GB/s per direction,
  // ~160 GB/s achievable, NVLink latency 3.33 us (ISCA'25 Table 5).
  const GpuSpec& g = catalog().gpu("h800");
  EXPECT_NEAR(g.peak(Dtype::BF16), 989e12, 989e12 * kRel);
  EXPECT_NEAR(g.peak(Dtype::FP8), 1979e12, 1979e12 * kRel);
  EXPECT_EQ(g.sm_count, 132);
  EXPECT_NEAR(g.hbm_bw_Bps, 3.35e12, 3.35e12 * kRel);
  EXPECT_NEAR(2 * g.nvlink_bw_Bps, 400e9, 400e9 * kRel);
  EXPECT_NEAR(g.nvlink_achievable_Bps, 160e9, 160e9 * kRel);
  EXPECT_NEAR(g.nvlink_latency_s, 3.33e-6, 3.33e-6 * kRel);
  // DeepEP's intranode EP8 kernels: 153 (dispatch) and 158 GB/s (combine) counted over every
  // received token, 7/8 of which cross NVLink: 133.9 and 138.3 GB/s on the wire.
  EXPECT_NEAR(g.ep_dispatch_nvlink_Bps, 153e9 * 7 / 8, 0.1e9);
  EXPECT_NEAR(g.ep_combine_nvlink_Bps, 158e9 * 7 / 8, 0.1e9);
  EXPECT_EQ(catalog().gpu("h100").ep_dispatch_nvlink_Bps, 0.0);  // not measured: the link's rate
}

TEST(HardwareCatalog, H100AndOthersMatchDatasheets) {
  // H100: same dense tensor rates as the H800, NVLink 900 GB/s bidirectional = 450 per direction.
  const GpuSpec& h100 = catalog().gpu("h100");
  EXPECT_NEAR(h100.peak(Dtype::BF16), 989e12, 989e12 * kRel);
  EXPECT_NEAR(2 * h100.nvlink_bw_Bps, 900e9, 900e9 * kRel);
  EXPECT_NEAR(h100.tdp_w, 700.0, 700.0 * kRel);
  // A100 datasheet: 312 BF16 dense, 156 TF32, 19.5 FP32, no FP8, 2,039 GB/s, 600 GB/s NVLink.
  const GpuSpec& a100 = catalog().gpu("a100");
  EXPECT_EQ(a100.peak(Dtype::FP8), 0.0);
  EXPECT_NEAR(a100.peak(Dtype::BF16), 312e12, 312e12 * kRel);
  EXPECT_NEAR(a100.peak(Dtype::TF32), 156e12, 156e12 * kRel);
  EXPECT_NEAR(a100.peak(Dtype::FP32), 19.5e12, 19.5e12 * kRel);
  EXPECT_NEAR(a100.hbm_bw_Bps, 2039e9, 2039e9 * kRel);
  EXPECT_NEAR(2 * a100.nvlink_bw_Bps, 600e9, 600e9 * kRel);
  EXPECT_EQ(a100.sm_count, 108);
  EXPECT_NEAR(catalog().gpu("h200").hbm_bytes, 141e9, 141e9 * kRel);
  EXPECT_NEAR(catalog().gpu("b200").peak(Dtype::FP8), 4500e12, 4500e12 * kRel);
}

TEST(HardwareCatalog, DenseRatesNeverExceedSparseHalf) {
  // Every tensor-core rate must be the dense one: FP8 = 2 × BF16 ≈ 4 × TF32 on these parts.
  // Datasheets round (H100: 1,979 FP8 vs 989 BF16 = 1,978), so allow 0.1% on FP8 = 2 × BF16 and
  // 3% on BF16 = 2 × TF32 (B200: 2,250 vs 1,100); a sparse figure would be off by 100%.
  for (const auto& name : catalog().gpu_names()) {
    const GpuSpec& g = catalog().gpu(name);
    if (g.peak(Dtype::FP8) > 0) {
      EXPECT_NEAR(g.peak(Dtype::FP8), 2 * g.peak(Dtype::BF16), 1e-3 * g.peak(Dtype::FP8)) << name;
    }
    EXPECT_NEAR(g.peak(Dtype::BF16), 2 * g.peak(Dtype::TF32), 0.03 * g.peak(Dtype::BF16)) << name;
    EXPECT_LE(g.nvlink_achievable_Bps, g.nvlink_bw_Bps) << name;
  }
}

TEST(HardwareCatalog, EveryNumericFieldHasASource) {
  for (const auto& name : catalog().gpu_names()) {
    const GpuSpec& g = catalog().gpu(name);
    for (const char* key : {"sm_count", "hbm", "hbm_bw", "nvlink_bw_per_direction",
                            "nvlink_achievable_per_direction", "nvlink_latency", "tdp"}) {
      ASSERT_TRUE(g.sources.count(key)) << name << " " << key;
      EXPECT_FALSE(g.sources.at(key).empty()) << name << " " << key;
    }
    for (Dtype d : kAllDtypes) {
      const std::string key = "peak_flops." + std::string(dtype_name(d));
      if (g.peak(d) > 0) {
        EXPECT_TRUE(g.sources.count(key)) << name << " " << key;
      }
    }
  }
  for (const auto& name : catalog().fabric_names()) {
    const FabricSpec& f = catalog().fabric(name);
    for (const char* key : {"nic_bw", "nic_achievable", "nics_per_node", "switch_radix",
                            "latency_same_leaf", "latency_cross_leaf", "gpus_per_leaf", "pod_gpus",
                            "oversubscription", "planes", "link_latency_s"}) {
      ASSERT_TRUE(f.sources.count(key)) << name << " " << key;
      EXPECT_FALSE(f.sources.at(key).empty()) << name << " " << key;
    }
  }
}

TEST(HardwareCatalog, FabricsMatchFacts) {
  // ISCA'25: MPFT, 8 planes, 64-port switches, 400 Gb/s = 50 GB/s per NIC per direction,
  // 40 GB/s effective; IB latency 2.8 us same leaf, 3.7 us cross leaf → 0.45 us per switch link.
  const FabricSpec& m = catalog().fabric("mpft-ib-400g");
  EXPECT_EQ(m.kind, FabricKind::MultiPlaneFatTree);
  EXPECT_NEAR(m.nic_bw_Bps, 50e9, 50e9 * kRel);
  EXPECT_NEAR(m.nic_achievable_Bps, 40e9, 40e9 * kRel);
  EXPECT_EQ(m.planes, 8);
  EXPECT_EQ(m.switch_radix, 64);
  EXPECT_EQ(m.gpus_per_leaf, 32);
  EXPECT_NEAR(m.link_latency_s, 0.45e-6, 1e-15);
  // Llama 3: 16-GPU racks, 3,072-GPU pods, 1:7 above pods; RoCE 3.6 / 5.6 us.
  const FabricSpec& r = catalog().fabric("rail-roce-400g");
  EXPECT_EQ(r.kind, FabricKind::RailOptimizedFatTree);
  EXPECT_EQ(r.gpus_per_leaf, 16);
  EXPECT_EQ(r.pod_gpus, 3072);
  EXPECT_EQ(r.leaf_grouping, LeafGrouping::Rack);
  EXPECT_DOUBLE_EQ(r.oversubscription, 7.0);
  EXPECT_NEAR(r.nic_latency_s, 3.6e-6, 1e-15);
  EXPECT_NEAR(r.cross_leaf_latency_s, 5.6e-6, 1e-15);
  EXPECT_CONTAINS(r.sources.at("nic_achievable"), "ASSUMPTION");
  // Selene (Narayanan et al. 2021 §5; DGX SuperPOD RA): 8 × 200 Gb/s HDR = 25 GB/s per NIC per
  // direction, 20 GB/s achievable (the 0.8 fraction, an assumption); 40-port switches with
  // rail leaves of 20 nodes; 1,120-GPU pods, non-blocking above.
  const FabricSpec& s = catalog().fabric("selene-ib-hdr-200g");
  EXPECT_EQ(s.kind, FabricKind::FatTree);
  EXPECT_NEAR(s.nic_bw_Bps, 25e9, 25e9 * kRel);
  EXPECT_NEAR(s.nic_achievable_Bps, 20e9, 20e9 * kRel);
  EXPECT_EQ(s.switch_radix, 40);
  EXPECT_EQ(s.gpus_per_leaf, 20);
  EXPECT_EQ(s.leaf_grouping, LeafGrouping::Rail);
  EXPECT_EQ(s.pod_gpus, 1120);
  EXPECT_DOUBLE_EQ(s.oversubscription, 1.0);
  EXPECT_CONTAINS(s.sources.at("nic_achievable"), "assumption");
}

TEST(HardwareCatalog, UnknownNameThrowsModelErrorListingValidOnes) {
  try {
    catalog().gpu("h900");
    FAIL() << "no error";
  } catch (const ModelError& e) {
    EXPECT_STREQ(e.what(), "unknown GPU 'h900'; valid: a100, b200, h100, h200, h800");
  }
  EXPECT_CONTAINS(
      message_of([] { catalog().fabric("ethernet"); }),
      "unknown fabric 'ethernet'; valid: fat-tree-ib-400g, mpft-ib-400g, rail-roce-400g, "
      "selene-ib-hdr-200g");
}

// ---------------------------------------------------------------- resolve_gpu / resolve_fabric

TEST(ResolveGpu, ScalarNamesACatalogEntry) {
  EXPECT_EQ(inline_gpu("gpu: h800\n").name, "h800");
}

TEST(ResolveGpu, UnknownNameIsLocatedAndListsValidOnes) {
  EXPECT_CONTAINS(message_of([] { inline_gpu("x: 1\ngpu: h900\n"); }),
                  "s.yaml:2:6: gpu: unknown GPU 'h900'; valid: a100, b200, h100, h200, h800");
}

TEST(ResolveGpu, BaseOverridesOnlyTheGivenFields) {
  const GpuSpec g = inline_gpu(
      "gpu:\n  base: h100\n  peak_flops: {bf16: 900TFLOPS}\n  tdp: {value: 500W, source: "
      "\"lab\"}\n");
  EXPECT_EQ(g.name, "custom-h100");
  EXPECT_NEAR(g.peak(Dtype::BF16), 900e12, 1.0);
  EXPECT_NEAR(g.peak(Dtype::FP8), 1979e12, 1979e12 * kRel);  // kept from the base
  EXPECT_NEAR(g.tdp_w, 500.0, 1e-9);
  EXPECT_EQ(g.sources.at("tdp"), "lab");
  EXPECT_CONTAINS(g.sources.at("peak_flops.bf16"), "inline definition at s.yaml:3");
  EXPECT_CONTAINS(g.sources.at("hbm"), "datasheet");  // the base's source survives
}

TEST(ResolveGpu, FullInlineDefinitionNeedsEveryField) {
  const std::string full =
      "gpu:\n  name: mygpu\n  peak_flops: {bf16: 100TFLOPS}\n  sm_count: 10\n  hbm: 16GiB\n"
      "  hbm_bw: 1TB/s\n  nvlink_bw_per_direction: 100GB/s\n"
      "  nvlink_achievable_per_direction: 80GB/s\n  nvlink_latency: 2us\n  tdp: 300W\n";
  const GpuSpec g = inline_gpu(full);
  EXPECT_EQ(g.name, "mygpu");
  EXPECT_NEAR(g.hbm_bytes, 16.0 * 1024 * 1024 * 1024, 1.0);
  EXPECT_EQ(g.peak(Dtype::FP8), 0.0);
  EXPECT_CONTAINS(message_of([] { inline_gpu("gpu:\n  peak_flops: {bf16: 100TFLOPS}\n"); }),
                  "s.yaml:2:3: gpu: missing required key 'sm_count'");
}

TEST(ResolveGpu, UnknownKeyListsValidKeys) {
  EXPECT_CONTAINS(message_of([] { inline_gpu("gpu: {base: h100, tdpp: 500W}\n"); }),
                  "gpu.tdpp: unknown key 'tdpp' (did you mean 'tdp'?); valid keys: base, name,");
}

TEST(ResolveGpu, BadUnitIsLocated) {
  EXPECT_CONTAINS(message_of([] { inline_gpu("gpu: {base: h100, hbm_bw: 3.35TFLOPS}\n"); }),
                  "s.yaml:1:27: gpu.hbm_bw: '3.35TFLOPS' is not a valid bandwidth");
}

TEST(ResolveGpu, NegativeAndZeroValuesAreRejected) {
  EXPECT_CONTAINS(message_of([] { inline_gpu("gpu: {base: h100, tdp: -700W}\n"); }),
                  "gpu.tdp: '-700W' is not a valid power: must not be negative");
  EXPECT_CONTAINS(message_of([] { inline_gpu("gpu: {base: h100, tdp: 0W}\n"); }),
                  "gpu.tdp: power must be positive, got '0W'");
  EXPECT_CONTAINS(message_of([] { inline_gpu("gpu: {base: h100, sm_count: 0}\n"); }),
                  "gpu.sm_count:");
}

TEST(ResolveGpu, UnknownBaseAndBadDtypeAreLocated) {
  EXPECT_CONTAINS(message_of([] { inline_gpu("gpu: {base: h900}\n"); }),
                  "gpu.base: unknown GPU 'h900'; valid: a100, b200, h100, h200, h800");
  EXPECT_CONTAINS(message_of([] { inline_gpu("gpu: {base: h100, peak_flops: {fp4: 1PFLOPS}}\n"); }),
                  "unknown key 'fp4'");
}

TEST(ResolveGpu, AchievableAboveNominalIsRejected) {
  // An achievable rate written as a rate is kept as written, so it can exceed a lowered nominal.
  EXPECT_CONTAINS(message_of([] {
                    inline_gpu(
                        "gpu: {base: h800, nvlink_bw_per_direction: 100GB/s, "
                        "nvlink_achievable_per_direction: 160GB/s}\n");
                  }),
                  "nvlink_achievable_per_direction (160 GB/s) exceeds nvlink_bw_per_direction "
                  "(100 GB/s)");
}

TEST(ResolveGpu, AnEpKernelRateAboveTheAchievableLinkIsRejected) {
  EXPECT_CONTAINS(
      message_of([] { inline_gpu("gpu: {base: h800, ep_dispatch_nvlink_rate: 170GB/s}\n"); }),
      "ep_dispatch_nvlink_rate (170 GB/s) exceeds the achievable NVLink rate (160 GB/s)");
  // A lowered link with the base's kernel rate is not an error: the link then limits.
  EXPECT_NEAR(inline_gpu("gpu: {base: h800, nvlink_efficiency: 0.5}\n").ep_dispatch_nvlink_Bps,
              133.9e9, 1e6);
}

TEST(ResolveGpu, PerfVariationOverridesAndOutOfRangeValuesSayTheRange) {
  // 0 prices identical GPUs (one mean GPU); above 0.2 the spread would be a fault, not binning.
  EXPECT_DOUBLE_EQ(inline_gpu("gpu: {base: h100, perf_variation: 0}\n").perf_variation, 0.0);
  EXPECT_CONTAINS(message_of([] { inline_gpu("gpu: {base: h100, perf_variation: 0.5}\n"); }),
                  "gpu.perf_variation:");
  EXPECT_CONTAINS(message_of([] { inline_gpu("gpu: {base: h100, perf_variation: 0.5}\n"); }),
                  "0.2");
}

TEST(ResolveGpu, ASequenceIsNeitherNameNorDefinition) {
  EXPECT_CONTAINS(message_of([] { inline_gpu("gpu: [h100]\n"); }),
                  "gpu: GPU must be a catalog name (a100, b200, h100, h200, h800) or a mapping");
}

TEST(ResolveFabric, ScalarAndBaseOverride) {
  EXPECT_EQ(inline_fabric("fabric: mpft-ib-400g\n").planes, 8);
  const FabricSpec f = inline_fabric("fabric: {base: rail-roce-400g, oversubscription: 1}\n");
  EXPECT_DOUBLE_EQ(f.oversubscription, 1.0);
  EXPECT_EQ(f.pod_gpus, 3072);
  EXPECT_CONTAINS(
      message_of([] { inline_fabric("fabric: ib\n"); }),
      "fabric: unknown fabric 'ib'; valid: fat-tree-ib-400g, mpft-ib-400g, rail-roce-400g");
}

TEST(ResolveFabric, KindSpecificKeysAreChecked) {
  EXPECT_CONTAINS(message_of([] { inline_fabric("fabric: {base: mpft-ib-400g, pod_gpus: 64}\n"); }),
                  "unknown key 'pod_gpus'");
  EXPECT_CONTAINS(
      message_of([] { inline_fabric("fabric: {base: mpft-ib-400g, kind: fat-tree}\n"); }),
      "a fat-tree fabric needs 'pod_gpus'");
  EXPECT_CONTAINS(message_of([] { inline_fabric("fabric: {base: mpft-ib-400g, kind: torus}\n"); }),
                  "multi-plane-fat-tree, rail-optimized-fat-tree, fat-tree");
}

TEST(ResolveFabric, CrossFieldChecks) {
  EXPECT_CONTAINS(
      message_of([] { inline_fabric("fabric: {base: mpft-ib-400g, nic_achievable: 60GB/s}\n"); }),
      "nic_achievable (60 GB/s) exceeds nic_bw (50 GB/s)");
  EXPECT_CONTAINS(
      message_of([] { inline_fabric("fabric: {base: mpft-ib-400g, latency_cross_leaf: 1us}\n"); }),
      "latency_cross_leaf (1 us) is below latency_same_leaf (2.8 us)");
  EXPECT_CONTAINS(
      message_of([] { inline_fabric("fabric: {base: rail-roce-400g, pod_gpus: 100}\n"); }),
      "pod_gpus 100 is not a multiple of gpus_per_leaf 16");
  EXPECT_CONTAINS(
      message_of([] { inline_fabric("fabric: {base: rail-roce-400g, gpus_per_leaf: 128}\n"); }),
      "gpus_per_leaf 128 needs 256 leaf ports (as many up as down) but switch_radix is 128");
}

// ---------------------------------------------------------------- catalog files

TEST(ParseGpu, CatalogEntriesNeedSources) {
  const auto doc = ConfigNode::load_string(
      "x:\n  description: d\n  peak_flops: {bf16: 1TFLOPS}\n  sm_count: 1\n", "gpus.yaml");
  EXPECT_CONTAINS(message_of([&] { parse_gpu(doc.at("x"), "x"); }),
                  "gpus.yaml:3:22: x.peak_flops.bf16: a catalog value needs a source");
  const auto doc2 = ConfigNode::load_string(
      "x:\n  description: d\n  peak_flops: {bf16: {value: 1TFLOPS}}\n", "gpus.yaml");
  EXPECT_CONTAINS(message_of([&] { parse_gpu(doc2.at("x"), "x"); }),
                  "x.peak_flops.bf16: missing required key 'source'");
  const auto doc3 = ConfigNode::load_string("x:\n  peak_flops: {}\n", "gpus.yaml");
  EXPECT_CONTAINS(message_of([&] { parse_gpu(doc3.at("x"), "x"); }),
                  "x: missing required key 'description'");
}

TEST(ParseFabric, CatalogEntriesNeedKindAndSources) {
  const auto doc = ConfigNode::load_string("f:\n  description: d\n", "fabrics.yaml");
  EXPECT_CONTAINS(message_of([&] { parse_fabric(doc.at("f"), "f"); }),
                  "f: missing required key 'kind' (one of: multi-plane-fat-tree");
  const auto doc2 = ConfigNode::load_string(
      "f:\n  description: d\n  kind: multi-plane-fat-tree\n  nic_bw: 400Gbps\n", "fabrics.yaml");
  EXPECT_CONTAINS(message_of([&] { parse_fabric(doc2.at("f"), "f"); }),
                  "f.nic_bw: a catalog value needs a source");
}

TEST(HardwareCatalog, LoadReportsMissingFileAndBadNames) {
  EXPECT_CONTAINS(message_of([] { HardwareCatalog::load("/nonexistent/gpus.yaml", kFabricsYaml); }),
                  "/nonexistent/gpus.yaml");
  const std::string path = testing::TempDir() + "/trainsim_bad_gpus.yaml";
  {
    std::ofstream out(path);
    out << "H800:\n  description: upper case\n";
  }
  EXPECT_CONTAINS(message_of([&] { HardwareCatalog::load(path, kFabricsYaml); }),
                  "catalog name 'H800' must be lower-case letters, digits, '-', '_' or '.'");
  {
    std::ofstream out(path);
    out << "- h800\n";
  }
  EXPECT_CONTAINS(message_of([&] { HardwareCatalog::load(path, kFabricsYaml); }),
                  "a catalog must be a mapping of name to definition");
  std::remove(path.c_str());
}

TEST(ResolveGpu, MalformedInlineFields) {
  EXPECT_CONTAINS(message_of([] { inline_gpu("gpu: {base: h100, name: My GPU}\n"); }),
                  "gpu.name: name 'My GPU' must be lower-case letters");
  EXPECT_CONTAINS(message_of([] { inline_gpu("gpu: {base: h100, peak_flops: 5TFLOPS}\n"); }),
                  "gpu.peak_flops: peak_flops must be a mapping of dtype to dense FLOP rate");
  EXPECT_CONTAINS(message_of([] { inline_gpu("gpu: {peak_flops: {}}\n"); }),
                  "gpu.peak_flops: peak_flops needs at least one dtype");
  EXPECT_CONTAINS(
      message_of([] { inline_gpu("gpu: {base: h100, tdp: {value: 1W, source: \"\"}}\n"); }),
      "gpu.tdp.source: source must not be empty");
  EXPECT_CONTAINS(message_of([] { inline_gpu("gpu: {base: h100, tdp: {value: 1W, sauce: x}}\n"); }),
                  "unknown key 'sauce' (did you mean 'source'?)");
}

TEST(ResolveFabric, MalformedInlineFields) {
  EXPECT_CONTAINS(
      message_of([] { inline_fabric("fabric: {base: mpft-ib-400g, switch_radix: 63}\n"); }),
      "fabric.switch_radix: switch_radix 63 must be even");
  EXPECT_CONTAINS(
      message_of([] { inline_fabric("fabric: {base: rail-roce-400g, leaf_grouping: row}\n"); }),
      "fabric.leaf_grouping:");
  EXPECT_CONTAINS(
      message_of([] { inline_fabric("fabric: {base: rail-roce-400g, oversubscription: 0.5}\n"); }),
      "'0.5' is out of range: must be between 1 and");
}

}  // namespace
}  // namespace trainsim::hardware
