// `trainsim sweep --vary` end to end (issues 14, 15, 16): linked values (YAML flow items, mappings
// merged into the key), --zip, invalid combinations reported once with a count, a typo in a
// --vary key reported once before anything runs, the exit status when no point ran, and an out of
// memory in one point that stays that point's row.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/cli_process.hpp"
#include "tests/support/test_temp_path.hpp"

namespace {

using Output = trainsim::test::CliOutput;
using trainsim::test::run_cli;

const std::string kSmall = std::string(TRAINSIM_TEST_DATA_DIR) + "/scenarios/small-moe.yaml";

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// `trainsim sweep ARGS --csv FILE`: the exit status, and the CSV's text in place of the output.
Output sweep_csv(const std::string& args) {
  const std::string csv = trainsim::test::test_temp_path("sweep.csv");
  std::remove(csv.c_str());
  Output o = run_cli("sweep " + args + " --csv " + csv);
  if (o.status == 0) o.text = read_text(csv);
  return o;
}

/// The CSV row of a sweep (`--csv -`) whose first cell is `first` (as written in the CSV).
std::string row_of(const std::string& csv, const std::string& first) {
  for (const auto& l : lines(csv)) {
    if (l.rfind(first + ",", 0) == 0) return l;
  }
  return "";
}

/// The GPU-hours cell (after `axes` axis cells) of a CSV row.
std::string gpu_hours_of(const std::string& row, std::size_t axes) {
  std::size_t at = 0;
  bool quoted = false;
  std::size_t cell = 0;
  std::string cur;
  for (; at < row.size(); ++at) {
    const char c = row[at];
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) {
      if (cell == axes) return cur;
      ++cell;
      cur.clear();
      continue;
    }
    cur += c;
  }
  return cell == axes ? cur : "";
}

TEST(SweepCli, LinkedMappingValuesMergeIntoTheKeyAndCommasInsideThemDoNotSplit) {
  // Two items, each a mapping merged into `parallelism` (ep, schedule, zero… stay the scenario's):
  // {pp: 2, dp: 8} is the scenario's own plan, so its GPU-hours equal those of a plain sweep of
  // pp=2; {pp: 1, dp: 16} is a valid plan that does not fit (81.1 GB of 80 GB at batch 128).
  const Output linked = sweep_csv(kSmall + " --vary 'parallelism={pp: 2, dp: 8},{pp: 1, dp: 16}'");
  ASSERT_EQ(linked.status, 0) << linked.text;
  const Output plain = sweep_csv(kSmall + " --vary parallelism.pp=2");
  ASSERT_EQ(plain.status, 0) << plain.text;
  const std::string a = row_of(linked.text, "\"{pp: 2, dp: 8}\"");
  ASSERT_FALSE(a.empty()) << linked.text;
  EXPECT_EQ(gpu_hours_of(a, 1), gpu_hours_of(row_of(plain.text, "2"), 1));
  EXPECT_NE(a.find(",ok"), std::string::npos) << a;
  const std::string b = row_of(linked.text, "\"{pp: 1, dp: 16}\"");
  EXPECT_NE(b.find("needs 81.1 GB per GPU"), std::string::npos) << linked.text;
  // The header, then exactly the two items (not five pieces split at every comma).
  EXPECT_EQ(lines(linked.text).size(), 3u) << linked.text;
  EXPECT_EQ(lines(linked.text)[0], "parallelism,GPU-hours,cost,days,MFU,status");
}

TEST(SweepCli, QuotedAndBracketedItemsKeepTheirCommas) {
  // A quoted string with a comma is one value: two points, both the base run.
  const Output o = sweep_csv(kSmall + " --vary 'description=\"a, b\",c'");
  ASSERT_EQ(o.status, 0) << o.text;
  EXPECT_EQ(lines(o.text).size(), 3u) << o.text;
  EXPECT_NE(o.text.find("\"\"\"a, b\"\"\","), std::string::npos) << o.text;
  // An unclosed brace or quote is an error naming the option, before anything runs.
  const Output brace = run_cli("sweep " + kSmall + " --vary 'parallelism={pp: 2, dp: 8'");
  EXPECT_EQ(brace.status, 2);
  EXPECT_NE(brace.text.find("--vary 'parallelism={pp: 2, dp: 8': unclosed '{' (expected '}')"),
            std::string::npos)
      << brace.text;
  const Output quote = run_cli("sweep " + kSmall + " --vary 'description=\"a, b'");
  EXPECT_EQ(quote.status, 2);
  EXPECT_NE(quote.text.find("unclosed double quote"), std::string::npos) << quote.text;
  const Output stray = run_cli("sweep " + kSmall + " --vary 'parallelism.pp=2]'");
  EXPECT_EQ(stray.status, 2);
  EXPECT_NE(stray.text.find("']' closes nothing"), std::string::npos) << stray.text;
  const Output empty = run_cli("sweep " + kSmall + " --vary 'parallelism={}'");
  EXPECT_EQ(empty.status, 2);
  EXPECT_NE(empty.text.find("the mapping {} changes nothing"), std::string::npos) << empty.text;
}

TEST(SweepCli, ZipMovesTheKeysTogether) {
  // 2 values × 2 values: the cross product is 4 points, --zip makes 2 — (pp 2, dp 8) and
  // (pp 1, dp 16) — both valid plans (2 × 8 = 1 × 16 = 16 GPUs), where the cross product also has
  // the two invalid ones (2 × 16 = 32, 1 × 8 = 8).
  const std::string vary = " --vary parallelism.pp=2,1 --vary parallelism.dp=8,16";
  const Output zip = sweep_csv(kSmall + vary + " --zip");
  ASSERT_EQ(zip.status, 0) << zip.text;
  EXPECT_EQ(lines(zip.text).size(), 3u) << zip.text;
  EXPECT_FALSE(row_of(zip.text, "2,8").empty()) << zip.text;
  EXPECT_FALSE(row_of(zip.text, "1,16").empty()) << zip.text;
  EXPECT_EQ(count(zip.text, "does not equal cluster.gpus"), 0u) << zip.text;
  const Output cross = sweep_csv(kSmall + vary);
  EXPECT_EQ(lines(cross.text).size(), 5u) << cross.text;
  // Lengths must match.
  const Output bad =
      run_cli("sweep " + kSmall + " --vary parallelism.pp=2,1 --vary parallelism.dp=8,16,4 --zip");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.text.find("--zip takes the i-th value of every --vary together, so each needs "
                          "the same number of values: parallelism.pp has 2, parallelism.dp has 3"),
            std::string::npos)
      << bad.text;
  const Output sens = run_cli("sweep " + kSmall + " --sensitivity --zip");
  EXPECT_EQ(sens.status, 2);
  EXPECT_NE(sens.text.find("--zip needs --vary"), std::string::npos) << sens.text;
}

TEST(SweepCli, InvalidCombinationsAreOneLineWithACount) {
  // pp ∈ {1, 2, 4} × dp ∈ {4, 8} on 16 GPUs: only 2 × 8 = 16 fits; four products are not 16
  // (4, 8, 8, 32) and pp 4 × dp 4 leaves 4 GPUs a stage for ep 8. Each reason is printed once,
  // with its count and the points it stopped.
  const Output o = run_cli("sweep " + kSmall +
                           " --vary parallelism.pp=1,2,4 --vary parallelism.dp=4,8 --jobs 2");
  ASSERT_EQ(o.status, 0) << o.text;
  EXPECT_NE(o.text.find("5 of 6 points did not run:"), std::string::npos) << o.text;
  EXPECT_NE(
      o.text.find(
          "- 4 of 6 points, invalid combination: parallelism: dp × tp × pp × cp = 4 × 1 × 1 × 1 "
          "= 4 does not equal cluster.gpus = 16 (figures at pp=1 dp=4; the others "
          "differ only in the numbers)\n  pp=1 dp=4; pp=1 dp=8; pp=2 dp=4; "
          "pp=4 dp=8\n"),
      std::string::npos)
      << o.text;
  EXPECT_NE(
      o.text.find(
          "- 1 of 6 points, invalid combination: parallelism: ep = 8 does not divide the 4 GPUs "
          "of a pipeline stage"),
      std::string::npos)
      << o.text;
  EXPECT_EQ(count(o.text, "does not equal cluster.gpus"), 1u) << o.text;
  // The table has the one point that ran.
  EXPECT_EQ(count(o.text, "%"), 1u) << o.text;
}

TEST(SweepCli, ATypoInAVaryKeyIsOneErrorBeforeAnyPointRuns) {
  // The last key misspelt: the loader's "did you mean", once, exit 2, no table.
  const Output last = run_cli("sweep " + kSmall + " --vary parallelism.ppp=1,2,4 --csv -");
  EXPECT_EQ(last.status, 2) << last.text;
  EXPECT_NE(last.text.find("error: --vary parallelism.ppp=1,2,4: parallelism.ppp: unknown key "
                           "'ppp' (did you mean 'pp'?)"),
            std::string::npos)
      << last.text;
  EXPECT_NE(last.text.find("checked before simulating: no point was run"), std::string::npos);
  EXPECT_EQ(count(last.text, "unknown key"), 1u) << last.text;
  EXPECT_EQ(last.text.find("GPU-hours"), std::string::npos) << last.text;
  // A key on the way misspelt: the override cannot be applied; "did you mean" as well.
  const Output mid = run_cli("sweep " + kSmall + " --vary paralelism.pp=1,2");
  EXPECT_EQ(mid.status, 2) << mid.text;
  EXPECT_NE(mid.text.find("error: --vary paralelism.pp=1,2: paralelism: no key 'paralelism' "
                          "under '<root>' (did you mean 'parallelism'?)"),
            std::string::npos)
      << mid.text;
  EXPECT_EQ(count(mid.text, "no key"), 1u) << mid.text;
  // A misspelt key inside a value set whole (the fabric is a catalog name, so the mapping
  // replaces it): the item's key as well.
  const Output whole =
      run_cli("sweep " + kSmall + " --vary 'cluster.fabric={base: fat-tree-ib-400g, nic_bww: 1}'");
  EXPECT_EQ(whole.status, 2) << whole.text;
  EXPECT_NE(whole.text.find("cluster.fabric.nic_bww: unknown key 'nic_bww' (did you mean "
                            "'nic_bw'?)"),
            std::string::npos)
      << whole.text;
  EXPECT_NE(whole.text.find("no point was run"), std::string::npos) << whole.text;
  // A misspelt key inside a linked mapping.
  const Output linked = run_cli("sweep " + kSmall + " --vary 'parallelism={pp: 2, dq: 8}'");
  EXPECT_EQ(linked.status, 2) << linked.text;
  EXPECT_NE(linked.text.find("parallelism.dq: unknown key 'dq' (did you mean 'dp'?)"),
            std::string::npos)
      << linked.text;
}

TEST(SweepCli, NoPointRanIsANonZeroExit) {
  // Every point an invalid combination (3 × 8 and 5 × 8 ≠ 16): exit 2, the CSV still written
  // with both rows and their reason.
  const std::string csv = trainsim::test::test_temp_path("sweep-none.csv");
  const Output invalid = run_cli("sweep " + kSmall + " --vary parallelism.pp=3,5 --csv " + csv);
  EXPECT_EQ(invalid.status, 2) << invalid.text;
  EXPECT_NE(invalid.text.find("None of the 2 points ran:"), std::string::npos) << invalid.text;
  EXPECT_EQ(lines(read_text(csv)).size(), 3u);
  // A valid plan that does not fit memory and nothing else: infeasible, exit 1 as `run` does.
  const Output infeasible = run_cli("sweep " + kSmall + " --vary 'parallelism={pp: 1, dp: 16}'");
  EXPECT_EQ(infeasible.status, 1) << infeasible.text;
  EXPECT_NE(infeasible.text.find("- 1 of 1 point, infeasible: main: at batch 128: needs 81.1 GB"),
            std::string::npos)
      << infeasible.text;
  // One point that ran is success.
  const Output some = run_cli("sweep " + kSmall + " --vary parallelism.pp=2,3");
  EXPECT_EQ(some.status, 0) << some.text;
  // A sensitivity study whose base and sides all need 81.1 GB of 80 (no input of the study moves
  // the memory per GPU): no run ran, exit 1.
  const Output study =
      run_cli("sweep " + kSmall + " --sensitivity --set parallelism.pp=1 --set parallelism.dp=16");
  EXPECT_EQ(study.status, 1) << study.text;
  EXPECT_NE(study.text.find("base: did not run: main: at batch 128: needs 81.1 GB"),
            std::string::npos)
      << study.text;
}

/// `trainsim ARGS` under an address-space limit of `kib` KiB (ulimit -v), output and status.
Output run_with_memory_limit(long kib, const std::string& args) {
  return trainsim::test::run_shell("ulimit -v " + std::to_string(kib) + " && exec " +
                                   std::string(TRAINSIM_CLI) + " " + args);
}

TEST(SweepCli, OutOfMemoryInOnePointIsItsRowAndTheFinishedPointsAreKept) {
  // An explicit step holds state per rank: 100,000 GPUs take about 234 MB (the data-parallel
  // group commit's measurement), so 1,000,000 GPUs need about 2.3 GB and cannot fit under a
  // 1 GiB address-space limit, where the 16-GPU point needs a few MB. Before, the std::bad_alloc
  // left the worker thread and std::terminate aborted the sweep (SIGABRT, status 134) with every
  // finished point lost; now it is that point's row, the other point's figures stay, exit 0.
  if (kAddressSanitizer) {
    GTEST_SKIP() << "AddressSanitizer reserves terabytes of address space: no ulimit -v";
  }
  const std::string sets =
      " --set parallelism.dp=auto --vary cluster.gpus=16,1000000 --vary 'phases[0].batch=128,"
      "1000000' --vary 'phases[1].batch=32,500000' --zip --jobs 2";
  const Output mixed = run_with_memory_limit(1 << 20, "sweep " + kSmall + sets);
  EXPECT_EQ(mixed.status, 0) << mixed.text;
  EXPECT_NE(mixed.text.find("- 1 of 2 points, out of memory: simulating this point needed more "
                            "memory than this machine could allocate\n  cluster.gpus=1000000 "),
            std::string::npos)
      << mixed.text;
  EXPECT_EQ(count(mixed.text, "%"), 1u) << mixed.text;  // the 16-GPU point ran: its MFU
  // Every point out of memory: exit 4, the out-of-memory status of main().
  const Output all = run_with_memory_limit(
      1 << 20, "sweep " + kSmall +
                   " --set parallelism.dp=auto --vary cluster.gpus=1000000 --vary "
                   "'phases[0].batch=1000000' --vary 'phases[1].batch=500000' --zip --csv -");
  EXPECT_EQ(all.status, 4) << all.text;
  EXPECT_NE(all.text.find("1000000,1000000,500000,,,,,out of memory"), std::string::npos)
      << all.text;
}

}  // namespace
