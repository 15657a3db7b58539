// End-to-end tests of the trainsim program: exit statuses, messages and machine-readable output.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include "tests/support/cli_process.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/report_specs.hpp"

namespace {

using Output = trainsim::test::CliOutput;

Output run(const std::string& args) {
  return trainsim::test::run_cli("" + args);
}

const std::string kSmall = std::string(TRAINSIM_TEST_DATA_DIR) + "/scenarios/small-moe.yaml";
const std::string kV3 = std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/deepseek-v3.yaml";

void expect_contains(const Output& o, const std::string& part) {
  EXPECT_NE(o.text.find(part), std::string::npos) << "output:\n"
                                                  << o.text << "\nexpected: " << part;
}

std::string read_text(const std::string& path) {
  std::string text;
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return text;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) text.append(buf.data(), n);
  std::fclose(f);
  return text;
}

using trainsim::test::embedded_specs;

TEST(Cli, HelpListsCommands) {
  const Output o = run("--help");
  EXPECT_EQ(o.status, 0);
  for (const char* c :
       {"run", "step", "compare", "sweep", "report", "estimate", "validate", "inspect", "list"})
    expect_contains(o, c);
}

TEST(Cli, UnknownCommandListsValidOnes) {
  const Output o = run("simulate x.yaml");
  EXPECT_EQ(o.status, 2);
  expect_contains(o, "unknown command 'simulate'; valid commands:");
}

TEST(Cli, ValidateBundledScenario) {
  const Output o = run("validate " + kV3);
  EXPECT_EQ(o.status, 0) << o.text;
  expect_contains(o, "scenario is valid");
  expect_contains(o, "242,78");  // pre-training steps walked through the batch ramp
}

TEST(Cli, BadOverrideIsExitTwoWithLocation) {
  // The scenario's dp is auto, so PP7 leaves no DP degree that fills 2,048 GPUs.
  const Output o = run("validate " + kV3 + " --set parallelism.pp=7");
  EXPECT_EQ(o.status, 2);
  expect_contains(o, "--set parallelism.pp=7");
  expect_contains(o, "deepseek-v3.yaml:18:7");
  expect_contains(o, "tp × pp × cp = 1 × 7 × 1 = 7 to divide cluster.gpus = 2048");
}

TEST(Cli, MissingFileIsExitFour) {
  const Output o = run("validate /nonexistent/s.yaml");
  EXPECT_EQ(o.status, 4);
  expect_contains(o, "cannot open file");
}

TEST(Cli, MissingArgumentIsExitTwo) {
  const Output o = run("run");
  EXPECT_EQ(o.status, 2);
  expect_contains(o, "missing scenario");
}

TEST(Cli, InspectJsonHasTheStableKeys) {
  const Output o = run("inspect model deepseek-v3 --json -");
  ASSERT_EQ(o.status, 0) << o.text;
  const auto j = nlohmann::json::parse(o.text);
  // 671B total, ~37B activated, ~250 GFLOP per token at 4K (ISCA'25 Table 2), 70,272 B KV.
  EXPECT_NEAR(j.at("params_total").get<double>() / 1e9, 671.0, 0.5);
  EXPECT_NEAR(j.at("params_active").get<double>() / 1e9, 37.5, 0.6);
  EXPECT_NEAR(j.at("train_flops_per_token").get<double>() / 1e9, 250.0, 2.5);
  EXPECT_DOUBLE_EQ(j.at("kv_cache_bytes_per_token").get<double>(), 70272.0);
}

TEST(Cli, EstimateJsonTotals) {
  const Output o = run("estimate " + kV3 + " --json - --mfu 0.5");
  ASSERT_EQ(o.status, 0) << o.text;
  const auto j = nlohmann::json::parse(o.text);
  const double ideal = j.at("total").at("ideal_gpu_hours").get<double>();
  // At 50% utilisation the GPU-hours double.
  EXPECT_NEAR(j.at("total").at("gpu_hours_at_mfu").get<double>(), 2 * ideal, 1e-6 * ideal);
  EXPECT_GT(ideal, 5e5);
  EXPECT_LT(ideal, 7e5);
}

TEST(Cli, EstimateRejectsBadMfu) {
  const Output o = run("estimate " + kV3 + " --mfu 1.5");
  EXPECT_EQ(o.status, 2);
  expect_contains(o, "--mfu must be in (0, 1]");
}

TEST(Cli, ListCatalogs) {
  expect_contains(run("list gpus"), "h800");
  expect_contains(run("list models"), "deepseek-v3");
  expect_contains(run("list schedules"), "dualpipe");
  expect_contains(run("list profiles"), "h800-published");
  const Output bad = run("list nothing");
  EXPECT_EQ(bad.status, 2);
  expect_contains(bad, "unknown list 'nothing'");
}

TEST(Cli, StepOnASmallScenario) {
  const Output o = run("step " + kSmall);
  EXPECT_EQ(o.status, 0) << o.text;
  expect_contains(o, "where the time goes");
  expect_contains(o, "simulated 16 ranks");
}

TEST(Cli, GradAccumPassesAndExpertTpRunEndToEnd) {
  // Mixtral on 16 GPUs, PP2 TP4 DP2 EP4 with expert_tp 2 and 2 pipeline passes per step: the
  // final batch of 128 sequences is 128 / (dp × micro_batch) = 64 micro-batches per DP rank, 32
  // per pass; validate shows the plan, step the passes, run the phase.
  const std::string sets =
      " --set parallelism.grad_accum_passes=2 --set parallelism.tp=4 --set parallelism.dp=2"
      " --set parallelism.ep=4 --set parallelism.expert_tp=2 --set "
      "parallelism.sequence_parallel=true";
  const Output v = run("validate " + kSmall + sets);
  EXPECT_EQ(v.status, 0) << v.text;
  expect_contains(v, "DP2 TP4 PP2 EP4 CP1, 1f1b, expert TP2");
  expect_contains(v, "2 pipeline passes per step");
  const Output s = run("step " + kSmall + sets);
  EXPECT_EQ(s.status, 0) << s.text;
  expect_contains(s, "64 micro-batches per DP rank in 2 pipeline passes)");
  const Output r = run("run " + kSmall + " --jobs 1" + sets);
  EXPECT_EQ(r.status, 0) << r.text;
  // A batch that does not split into whole passes is the loader's error (exit 2).
  const Output bad = run("validate " + kSmall + " --set parallelism.grad_accum_passes=3");
  EXPECT_EQ(bad.status, 2);
  expect_contains(bad, "not a multiple of dp × micro_batch × grad_accum_passes = 8 × 1 × 3 = 24");
}

TEST(Cli, RunOnASmallScenarioSetsResultBesidePublished) {
  const Output o = run("run " + kSmall + " --jobs 1");
  EXPECT_EQ(o.status, 0) << o.text;
  expect_contains(o, "beside the published figures");
  expect_contains(o, "total");
}

TEST(Cli, RunWithAnInfeasiblePhaseHasNoTotalAndNoComparison) {
  // A 1 GiB GPU holds no phase of the small scenario: no phase has GPU-hours, so there is no
  // total to print or to set beside the published figure (not a total of zeros, "0.00×").
  const Output o = run("run " + kSmall + " --jobs 1 --set 'cluster.gpu={base: h800, hbm: 1GiB}'");
  expect_contains(o, "incomplete");
  expect_contains(o, "no total:");
  EXPECT_EQ(o.text.find("0.00×"), std::string::npos) << o.text;
}

TEST(Cli, AnInfeasiblePhaseSaysWhatWouldMakeItFit) {
  // 58 GB per GPU: the small MoE's main phase needs 59.4 GB (ZeRO-1); sharding its gradients
  // too (ZeRO-2) takes it to 56.6 GB, the only single change that fits. The suggestion is a
  // plan `step` then runs.
  const std::string gpu = " --set 'cluster.gpu={base: h100, hbm: 58GB}'";
  const Output r = run("run " + kSmall + " --jobs 1" + gpu);
  EXPECT_EQ(r.status, 1) << r.text;
  expect_contains(r, "main: fits with --set parallelism.zero=2 (56.6 of 58.0 GB per GPU");
  const Output s = run("step " + kSmall + gpu);
  expect_contains(s, "fits with --set parallelism.zero=2");
  EXPECT_EQ(run("step " + kSmall + gpu + " --set parallelism.zero=2").status, 0);
}

TEST(Cli, BadGranularityListsTheValidOnes) {
  const Output o = run("step " + kSmall + " --granularity bogus");
  EXPECT_EQ(o.status, 2) << o.text;
  expect_contains(o, "--granularity must be 'auto', 'chunk' or 'layer', not 'bogus'");
}

TEST(Cli, OverlapSwitchesMustBeBooleans) {
  for (const char* key : {"overlap_grad_reduce", "overlap_param_gather", "tp_comm_overlap",
                          "tp_backward_overlap", "expert_wgrad_side_stream", "p2p_blocking",
                          "p2p_scatter_gather", "grad_accumulation_fusion", "bias_fusion"}) {
    const Output o =
        run("validate " + kSmall + " --set parallelism." + std::string(key) + "=maybe");
    EXPECT_EQ(o.status, 2) << o.text;
    expect_contains(o, "parallelism." + std::string(key) + ": 'maybe' is not a boolean");
  }
}

TEST(Cli, RunIsDeterministic) {
  EXPECT_EQ(run("run " + kSmall + " --jobs 1").text, run("run " + kSmall + " --jobs 2").text);
}

TEST(Cli, RunWritesJsonWithTheStableKeysAndTheOutputDirectory) {
  const std::string dir = ::testing::TempDir() + "trainsim_cli_out";
  const std::string json = ::testing::TempDir() + "trainsim_cli_result.json";
  const Output o = run("run " + kSmall + " --jobs 1 --json " + json + " --out " + dir);
  ASSERT_EQ(o.status, 0) << o.text;
  std::FILE* f = std::fopen(json.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string text;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) text.append(buf.data(), n);
  std::fclose(f);
  const auto j = nlohmann::json::parse(text);
  for (const char* k : {"gpu_hours", "cost_usd", "wall_days"})
    EXPECT_TRUE(j.at("total").contains(k)) << k;
  ASSERT_FALSE(j.at("phases").empty());
  for (const char* k : {"name", "steps", "mean_step_time_s", "gpu_hours", "mfu"})
    EXPECT_TRUE(j.at("phases")[0].contains(k)) << k;
  for (const char* file :
       {"/report.md", "/result.json", "/phases.csv", "/groups.csv", "/batches.csv"}) {
    std::FILE* g = std::fopen((dir + file).c_str(), "r");
    EXPECT_NE(g, nullptr) << file;
    if (g) std::fclose(g);
  }
}

TEST(Cli, UnwritableOutputDirectoryFailsBeforeSimulating) {
  const Output o = run("run " + kSmall + " --out /proc/trainsim-cannot-write-here");
  EXPECT_EQ(o.status, 4) << o.text;
  expect_contains(o, "cannot create directory");
}

TEST(Cli, StepJsonIsParseable) {
  const Output o = run("step " + kSmall + " --json -");
  ASSERT_EQ(o.status, 0) << o.text;
  const auto j = nlohmann::json::parse(o.text);
  EXPECT_GT(j.at("step_time_s").get<double>(), 0.0);
  EXPECT_EQ(j.at("ranks_simulated").get<int>(), 16);
}

TEST(Cli, SweepListsInvalidPointsOnceWithTheReason) {
  // pp=2 runs (its row in the table); pp=3 cannot (8 × 3 = 24 ≠ 16): listed below it with the
  // reason and the point.
  const Output o = run("sweep " + kSmall + " --vary parallelism.pp=2,3 --jobs 2");
  EXPECT_EQ(o.status, 0) << o.text;
  expect_contains(
      o,
      "- 1 of 2 points, invalid combination: parallelism: dp × tp × pp × cp = 8 × 1 × 3 × 1 = 24 "
      "does not equal cluster.gpus = 16\n  pp=3\n");
  // The point that ran is the table's one row with figures (its MFU the one percentage).
  expect_contains(o, "\n2  ");
  EXPECT_EQ(std::count(o.text.begin(), o.text.end(), '%'), 1) << o.text;
}

TEST(Cli, ClaimsJsonHasAVerdictForEveryClaim) {
  const Output o = run("claims --json -");
  ASSERT_EQ(o.status, 0) << o.text;
  const auto doc = nlohmann::json::parse(o.text);
  EXPECT_EQ(doc.at("schema"), "trainsim.claims/1");
  const auto& j = doc.at("claims");
  ASSERT_GE(j.size(), 20u);
  for (const auto& c : j) {
    const std::string v = c.at("verdict");
    EXPECT_TRUE(v == "consistent" || v == "overstated" || v == "understated" ||
                v == "not checkable here")
        << v;
    EXPECT_FALSE(c.at("reason").get<std::string>().empty());
  }
  // The first article's "ideal" figure divides by the sparse FP8 peak: trainsim's dense figure
  // is larger, so the claim is understated.
  bool found = false;
  for (const auto& c : j) {
    if (c.at("claim").get<std::string>().find("ideal") != std::string::npos) {
      found = true;
      EXPECT_EQ(c.at("verdict"), "understated");
    }
  }
  EXPECT_TRUE(found);
}

TEST(Cli, CalibrateWithoutAGpuSaysSoAndExitsThree) {
  // Without CUDA in the build the harness is absent; with it, the harness finds no device.
  const Output o = run("calibrate --reps 1");
  EXPECT_EQ(o.status, 3) << o.text;
  EXPECT_TRUE(o.text.find("without the CUDA kernels") != std::string::npos ||
              o.text.find("no CUDA GPU found") != std::string::npos)
      << o.text;
}

TEST(Cli, CalibrateFromTraceWritesAProfileTheSimulatorLoads) {
  // DeepSeek's V3 trace excerpt (one MoE layer) against scenarios/deepseek-v3.yaml: a profile
  // with measured ops, the match rate and the kernel classes on stdout; `step` runs with it.
  const std::string trace =
      std::string(TRAINSIM_TEST_DATA_DIR) + "/traces/deepseek-v3-train-excerpt.json";
  const std::string out = ::testing::TempDir() + "trainsim-trace-profile.yaml";
  const Output o = run("calibrate --from-trace " + trace + " --plan " + kV3 +
                       " --base h800-published --source excerpt --out " + out);
  EXPECT_EQ(o.status, 0) << o.text;
  expect_contains(o, "match rate 100.0% of kernel time");
  expect_contains(o, "gemm.fp8.grouped");
  const std::string yaml = read_text(out);
  expect_contains({0, yaml}, "measured_ops:");
  expect_contains({0, yaml}, "base: h800-published");
  const Output s = run("step " + kSmall + " --calibration " + out);
  EXPECT_EQ(s.status, 0) << s.text;
}

TEST(Cli, CalibrateFromTraceRejectsBadInput) {
  const Output no_plan = run("calibrate --from-trace x.json --out y.yaml");
  EXPECT_EQ(no_plan.status, 2);
  expect_contains(no_plan, "--from-trace needs --plan SCENARIO");
  const std::string bad = ::testing::TempDir() + "trainsim-not-a-trace.json";
  std::FILE* f = std::fopen(bad.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("{\"rows\": 3}", f);
  std::fclose(f);
  const Output o =
      run("calibrate --from-trace " + bad + " --plan " + kV3 + " --out /tmp/unused.yaml");
  EXPECT_EQ(o.status, 2) << o.text;
  expect_contains(o, "trainsim-not-a-trace.json");
  expect_contains(o, "not a Chrome trace");
}

TEST(Cli, CompareWritesASideBySideReport) {
  const std::string dir = ::testing::TempDir() + "trainsim_compare_out";
  const Output o = run("compare " + kSmall + " " + kSmall +
                       " --set parallelism.schedule=zb1p --jobs 1 --out " + dir);
  ASSERT_EQ(o.status, 0) << o.text;
  expect_contains(o, "ratios in parentheses are to the first scenario");
  std::FILE* f = std::fopen((dir + "/report.html").c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string html;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) html.append(buf.data(), n);
  std::fclose(f);
  // The page names both runs, prints the command's table, and charts every run: shared charts
  // first, then each run's own, its pipeline timeline included (one more traced step per run).
  EXPECT_NE(html.find("<h1>trainsim compare: small-moe vs small-moe</h1>"), std::string::npos);
  EXPECT_NE(html.find("<h2>Side by side</h2>"), std::string::npos);
  EXPECT_NE(html.find("GPU-hours per T tokens"), std::string::npos);
  for (const char* id : {"spec-totals", "spec-steps", "spec-memory", "spec-run1-groups",
                         "spec-run1-timeline", "spec-run2-waterfall", "spec-run2-timeline"})
    EXPECT_NE(html.find(id), std::string::npos) << id;
}

TEST(Cli, SweepNeedsVary) {
  const Output o = run("sweep " + kSmall);
  EXPECT_EQ(o.status, 2);
  expect_contains(o, "needs at least one --vary");
}

TEST(Cli, ReportRewritesTheRunOutputsFromTheResultJson) {
  // run --json, then report from that file: result.json comes back byte-identical, and the
  // Markdown and CSV files equal those `run --out` wrote.
  const std::string json = ::testing::TempDir() + "trainsim_report_in.json";
  const std::string run_dir = ::testing::TempDir() + "trainsim_report_run";
  const std::string dir = ::testing::TempDir() + "trainsim_report_out";
  ASSERT_EQ(run("run " + kSmall + " --jobs 1 --json " + json + " --out " + run_dir).status, 0);
  const Output o = run("report " + json + " --out " + dir);
  ASSERT_EQ(o.status, 0) << o.text;
  expect_contains(o, "beside the published figures");
  EXPECT_EQ(read_text(dir + "/result.json"), read_text(json));
  for (const char* f : {"/report.md", "/phases.csv", "/groups.csv", "/batches.csv"})
    EXPECT_EQ(read_text(dir + f), read_text(run_dir + f)) << f;
  // The page has the run's charts (no timeline: the result holds none), each with data.
  const auto specs = embedded_specs(read_text(dir + "/report.html"));
  std::vector<std::string> ids;
  for (const auto& [id, spec] : specs) {
    ids.push_back(id);
    // A chart's data sits at the top or in every layer.
    bool has_data = spec.contains("data") && !spec.at("data").at("values").empty();
    if (!spec.contains("data") && spec.contains("layer")) {
      has_data = true;
      for (const auto& l : spec.at("layer"))
        has_data = has_data && l.contains("data") && !l.at("data").at("values").empty();
    }
    EXPECT_TRUE(has_data) << id;
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"groups", "waterfall", "memory"}));
}

TEST(Cli, ReportOfABadFileNamesTheFileAndTheKeyAndWritesNothing) {
  const std::string bad = ::testing::TempDir() + "trainsim_report_bad.json";
  const std::string dir = ::testing::TempDir() + "trainsim_report_bad_out";
  {
    std::FILE* f = std::fopen(bad.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("{\"schema\": \"trainsim.run/1\", \"scenario\": 5}", f);
    std::fclose(f);
  }
  const Output o = run("report " + bad + " --out " + dir);
  EXPECT_EQ(o.status, 2) << o.text;
  expect_contains(o, bad + ": scenario: expected a string, got the number 5");
  EXPECT_TRUE(read_text(dir + "/report.html").empty());
  const Output missing = run("report " + bad);
  EXPECT_EQ(missing.status, 2);
  expect_contains(missing, "report needs --out DIR");
}

TEST(Cli, SweepOutWritesACostAgainstTimeScatterAndListsInfeasiblePoints) {
  // pp=2 runs (16 = 8 × 2); pp=3 cannot (24 ≠ 16 GPUs): 2 chart points, 2 rows with a reason.
  const std::string dir = ::testing::TempDir() + "trainsim_sweep_out";
  const Output o = run("sweep " + kSmall +
                       " --vary parallelism.pp=2,3 --vary parallelism.schedule=1f1b,zb1p --jobs 2 "
                       "--out " +
                       dir);
  ASSERT_EQ(o.status, 0) << o.text;
  const std::string html = read_text(dir + "/report.html");
  const auto specs = embedded_specs(html);
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].first, "scatter");
  EXPECT_EQ(specs[0].second.at("data").at("values").size(), 2u);
  expect_contains({0, html}, "Points that did not run");
  expect_contains({0, html}, "does not equal cluster.gpus = 16");
  const std::string csv = read_text(dir + "/sweep.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "parallelism.pp,parallelism.schedule,GPU-hours,cost,days,MFU,status");
}

TEST(Cli, SensitivityChartsTheGpuHoursChangeOfEveryInput) {
  // Seven inputs at ±20%: 15 whole runs of the small scenario. Tokens +20% must raise the
  // GPU-hours by about 20% (the run is linear in tokens up to the 10-step phase's rounding); a
  // wider GPU spread slows the slowest GPU: more GPU-hours at +20%.
  const std::string dir = ::testing::TempDir() + "trainsim_sensitivity_out";
  const Output o = run("sweep " + kSmall + " --sensitivity --jobs 2 --out " + dir);
  ASSERT_EQ(o.status, 0) << o.text;
  for (const char* input :
       {"GPU peak FLOP/s", "HBM bandwidth", "NVLink bandwidth", "GPU spread (perf_variation)",
        "NIC bandwidth", "training tokens", "price per GPU-hour"})
    expect_contains(o, input);
  const auto specs = embedded_specs(read_text(dir + "/report.html"));
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].first, "tornado");
  const auto& values = specs[0].second.at("data").at("values");
  EXPECT_EQ(values.size(), 14u);  // every side ran
  bool tokens_checked = false;
  for (const auto& v : values) {
    if (v.at("input") == "GPU spread (perf_variation)" && v.at("side") == "+20%") {
      EXPECT_GT(v.at("change_pct").get<double>(), 0.0);
    }
    if (v.at("input") == "training tokens (every phase)" && v.at("side") == "+20%") {
      EXPECT_NEAR(v.at("change_pct").get<double>(), 20.0, 0.5);
      tokens_checked = true;
    }
    // Price changes only the dollars.
    if (v.at("input") == "price per GPU-hour") {
      EXPECT_NEAR(v.at("change_pct").get<double>(), 0.0, 1e-9);
    }
  }
  EXPECT_TRUE(tokens_checked);
  expect_contains({0, read_text(dir + "/sensitivity.csv")}, "price=2.4");
}

TEST(Cli, SensitivityAndVaryDoNotMix) {
  const Output o = run("sweep " + kSmall + " --sensitivity --vary parallelism.pp=2");
  EXPECT_EQ(o.status, 2);
  expect_contains(o, "--sensitivity and --vary cannot be combined");
  const Output d = run("sweep " + kSmall + " --sensitivity --delta 1.5");
  EXPECT_EQ(d.status, 2);
  expect_contains(d, "--delta must be in (0, 0.9]");
}

}  // namespace
