// Outputs a user can trust (issue 15): errors instead of silent empty results, one step count,
// labelled step times, full-precision CSVs, help that ends with examples, tables that fit a
// terminal, a progress line only on terminals. The program runs as a subprocess.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/cli_process.hpp"
#include "tests/support/test_temp_path.hpp"

namespace {

using Output = trainsim::test::CliOutput;
using trainsim::test::run_cli;
using trainsim::test::run_shell;

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

std::string temp_path(const std::string& name) {
  return trainsim::test::test_temp_path(name);
}

// ------------------------------------------------------------------ ranks that are not simulated

TEST(NamedRanks, ShowRankBeyondTheClusterListsTheValidRanks) {
  // small-moe: PP2 × DP8 = 16 ranks, 0-15.
  const Output s = run_cli("step " + kSmall + " --show-rank 99");
  EXPECT_EQ(s.status, 2);
  expect_contains(s, "--show-rank: rank 99 does not exist: the step has 16 ranks (0-15)");
}

TEST(OpTable, StepOpsPricesALayerAndNamesTheLayersThatExist) {
  // small-moe (Mixtral 8x7B, 32 layers): layer 0's forward QKV GEMM is a row with its shape.
  const Output o = run_cli("step " + kSmall + " --ops 0");
  EXPECT_EQ(o.status, 0) << o.text;
  expect_contains(o, "ops of layer 0, one micro-batch on one rank");
  expect_contains(o, "TFLOP/s");
  expect_contains(o, "L0.attn.qkv_proj");
  expect_contains(o, "compute per micro-batch: forward");
  const Output bad = run_cli("step " + kSmall + " --ops 32");
  EXPECT_EQ(bad.status, 2);
  expect_contains(bad,
                  "layer 32 does not exist: mixtral-8x7b has layers 0..31, plus 'embedding' "
                  "and 'head'");
  const Output word = run_cli("step " + kSmall + " --ops last");
  EXPECT_EQ(word.status, 2);
  expect_contains(word, "--ops 'last' is not a layer");
}

TEST(NamedRanks, TraceRanksLeftOutBySymmetricListTheSimulatedOnes) {
  // --symmetric keeps data-parallel replica 0: rank = stage · (dp · cp · tp) + 0 = 0 and 8.
  const std::string trace = temp_path("sym-trace.json");
  std::remove(trace.c_str());
  const Output o =
      run_cli("step " + kSmall + " --symmetric --trace " + trace + " --trace-ranks 0,3,9");
  EXPECT_EQ(o.status, 2);
  expect_contains(o,
                  "--trace-ranks: ranks 3, 9 are not simulated (--symmetric simulates "
                  "data-parallel replica 0 only); simulated ranks: 0, 8");
  EXPECT_TRUE(read_text(trace).empty()) << "no trace is written";
  const Output absent = run_cli("step " + kSmall + " --trace " + trace + " --trace-ranks 300-302");
  EXPECT_EQ(absent.status, 2);
  expect_contains(absent,
                  "--trace-ranks: ranks 300-302 do not exist: the step has 16 ranks (0-15)");
  // The simulated ones are accepted and recorded.
  const Output ok =
      run_cli("step " + kSmall + " --symmetric --trace " + trace + " --trace-ranks 0,8");
  EXPECT_EQ(ok.status, 0) << ok.text;
  EXPECT_NE(read_text(trace).find("\"traceEvents\""), std::string::npos);
}

// ------------------------------------------------------------------ --symmetric with imbalance

TEST(SymmetricShortcut, ImbalancedExpertsFallBackToEveryRankWithANotice) {
  // With moe.imbalance > 0 each EP group draws its own loads, so one replica does not stand for
  // the others: --symmetric is not applied, and the result is the explicit one exactly (same
  // scenario, same seed, deterministic).
  const std::string set = " --set 'moe={imbalance: 0.3}'";
  const Output sym = run_cli("run " + kSmall + set + " --symmetric --json -");
  const Output all = run_cli("run " + kSmall + set + " --json - 2>/dev/null");
  ASSERT_EQ(all.status, 0) << all.text;
  expect_contains(sym,
                  "notice: --symmetric not applied to 'small-moe': moe.imbalance 0.3 draws each "
                  "expert-parallel group's load separately");
  const auto j_all = nlohmann::json::parse(all.text);
  const Output sym_json = run_cli("run " + kSmall + set + " --symmetric --json - 2>/dev/null");
  const auto j_sym = nlohmann::json::parse(sym_json.text);
  EXPECT_EQ(j_sym["total"]["gpu_hours"], j_all["total"]["gpu_hours"]);
  // Balanced experts keep the shortcut, silently.
  const Output balanced = run_cli("run " + kSmall + " --symmetric");
  EXPECT_EQ(balanced.text.find("notice: --symmetric"), std::string::npos) << balanced.text;
}

// ------------------------------------------------------------------ beside the published figures

TEST(PublishedComparison, OverriddenInputsAreNamedBesideIt) {
  // small-moe has a published figure; --set changes the plan it is for, and the comparison says
  // which inputs differ (text, JSON, Markdown report).
  const std::string dir = temp_path("overrides-out");
  const Output o =
      run_cli("run " + kSmall + " --symmetric --set price=3 --set parallelism.zero=2 --out " + dir);
  ASSERT_EQ(o.status, 0) << o.text;
  expect_contains(o,
                  "not the published plan: --set changed price=3, parallelism.zero=2 (the "
                  "published figures are for the plan as published)");
  const auto j = nlohmann::json::parse(
      run_cli("run " + kSmall + " --symmetric --set price=3 --json - 2>/dev/null").text);
  EXPECT_EQ(j["published"]["overrides"], nlohmann::json::array({"price=3"}));
  expect_contains({0, read_text(dir + "/report.md")},
                  "Not the published plan: `--set` changed `price=3`");
  // As published: no such line, an empty list.
  const Output plain = run_cli("run " + kSmall + " --symmetric");
  EXPECT_EQ(plain.text.find("not the published plan"), std::string::npos) << plain.text;
  const auto k =
      nlohmann::json::parse(run_cli("run " + kSmall + " --symmetric --json - 2>/dev/null").text);
  EXPECT_TRUE(k["published"]["overrides"].empty());
}

// ------------------------------------------------------------------ one step count, labelled times

TEST(StepCounts, ValidateAndRunCountTheSameIntegerSteps) {
  // One function (sim::phase_step_count) counts a phase's steps for every command: the ramp is
  // rounded to dp × micro_batch × the schedule's micro-batch multiple, and the partial last step
  // counts as one step. small-moe: 1B tokens at 4K, 64 → 128 over 100M tokens, then 10 steps.
  const auto v =
      nlohmann::json::parse(run_cli("validate " + kSmall + " --json - 2>/dev/null").text);
  const auto r =
      nlohmann::json::parse(run_cli("run " + kSmall + " --symmetric --json - 2>/dev/null").text);
  ASSERT_EQ(v["phases"].size(), r["phases"].size());
  for (std::size_t i = 0; i < v["phases"].size(); ++i) {
    EXPECT_EQ(v["phases"][i]["steps"], r["phases"][i]["steps"]) << i;
    EXPECT_TRUE(r["phases"][i]["steps"].is_number_integer() ||
                r["phases"][i]["steps"].get<double>() ==
                    static_cast<double>(r["phases"][i]["steps"].get<long long>()))
        << r["phases"][i]["steps"];
  }
  // The text of validate prints the same count as run (here 1,982 and 10).
  const std::string steps = std::to_string(r["phases"][0]["steps"].get<long long>());
  const std::string with_comma =
      steps.size() > 3 ? steps.substr(0, steps.size() - 3) + "," + steps.substr(steps.size() - 3)
                       : steps;
  expect_contains(run_cli("validate " + kSmall), with_comma);
  expect_contains(run_cli("run " + kSmall + " --symmetric"), with_comma);
}

TEST(StepTimes, EveryStepTimeSaysWhatItIs) {
  // run: the mean over the phase's steps (its ramp included); step: one step at a batch.
  const Output run = run_cli("run " + kSmall + " --symmetric");
  expect_contains(run, "mean step");
  expect_contains(run, "mean step: a phase's wall-clock / its steps, over its batch ramp");
  const Output step = run_cli("step " + kSmall + " --symmetric --batch 64");
  expect_contains(step, "s, one step at batch 64 (sequences of 4096 tokens;");
  const auto j =
      nlohmann::json::parse(run_cli("run " + kSmall + " --symmetric --json - 2>/dev/null").text);
  const auto& p = j["phases"][0];
  EXPECT_TRUE(p.contains("mean_step_time_s"));
  EXPECT_FALSE(p.contains("step_time_s")) << "the phase's mean is not one step's time";
  EXPECT_TRUE(p["step"].contains("step_time_s"));  // one step, at p.step.global_batch
  EXPECT_TRUE(p["step"].contains("global_batch"));
}

// ------------------------------------------------------------------ CSV precision and units

TEST(CsvOutputs, FullPrecisionIntegerStepsAndUnitsInHeaders) {
  const std::string dir = temp_path("csv-out");
  ASSERT_EQ(run_cli("run " + kSmall + " --symmetric --out " + dir).status, 0);
  const std::string phases = read_text(dir + "/phases.csv");
  EXPECT_EQ(phases.substr(0, phases.find('\n')),
            "phase,group,gpus,seq_len_tokens,tokens,steps,mean_step_time_s,wall_days,gpu_hours,"
            "cost_usd,mfu,tokens_per_gpu_s,feasible,reason");
  const std::string batches = read_text(dir + "/batches.csv");
  EXPECT_EQ(batches.substr(0, batches.find('\n')),
            "phase,batch_sequences,steps,step_time_s,simulated,extrapolated");
  // Every number reads back as the double the JSON holds: the CSV's gpu_hours is the JSON's
  // exactly (both shortest round-trip text), and no 6-digit exponent form appears.
  const auto j = nlohmann::json::parse(read_text(dir + "/result.json"));
  const std::string row = phases.substr(phases.find('\n') + 1);
  std::vector<std::string> cells;
  std::size_t start = 0;
  for (std::size_t c = row.find(','); c != std::string::npos && cells.size() < 10;
       c = row.find(',', start)) {
    cells.push_back(row.substr(start, c - start));
    start = c + 1;
  }
  ASSERT_GE(cells.size(), 9u);
  EXPECT_EQ(std::stod(cells[8]), j["phases"][0]["gpu_hours"].get<double>());
  EXPECT_EQ(std::stod(cells[6]), j["phases"][0]["mean_step_time_s"].get<double>());
  EXPECT_EQ(cells[5].find('.'), std::string::npos) << "steps are a count: " << cells[5];
  EXPECT_FALSE(std::regex_search(phases, std::regex("[0-9]\\.[0-9]{5}e\\+0[0-9]"))) << phases;
}

// ------------------------------------------------------------------ --help

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  if (start < text.size()) out.push_back(text.substr(start));
  return out;
}

/// Terminal columns of a line: UTF-8 code points.
std::size_t columns_of(const std::string& line) {
  std::size_t n = 0;
  for (char c : line) n += (static_cast<unsigned char>(c) & 0xC0u) != 0x80u ? 1 : 0;
  return n;
}

/// The command names `trainsim --help` lists.
std::vector<std::string> command_names() {
  std::vector<std::string> out;
  bool in_commands = false;
  for (const auto& l : lines_of(run_cli("--help").text)) {
    if (l == "commands:") {
      in_commands = true;
    } else if (in_commands && l.size() > 2 && l[0] == ' ') {
      out.push_back(l.substr(2, l.find(' ', 2) - 2));
    }
  }
  return out;
}

/// The example lines that end a command's --help.
std::vector<std::string> examples_of(const std::string& help) {
  std::vector<std::string> out;
  const auto at = help.rfind("\nexamples:\n");
  if (at == std::string::npos) return out;
  for (const auto& l : lines_of(help.substr(at + 11))) out.push_back(l);
  return out;
}

TEST(Help, EveryCommandEndsWithTwoOrThreeExamples) {
  const auto names = command_names();
  ASSERT_GE(names.size(), 12u);
  for (const auto& c : names) {
    const Output o = run_cli(c + " --help");
    EXPECT_EQ(o.status, 0) << c;
    const auto ex = examples_of(o.text);
    EXPECT_GE(ex.size(), c == "report" || c == "claims" || c == "validation" || c == "compare" ||
                                 c == "validate" || c == "estimate" || c == "sweep" ||
                                 c == "calibrate" || c == "collective" || c == "plan"
                             ? 1u
                             : 2u)
        << c << ":\n"
        << o.text;
    EXPECT_LE(ex.size(), 3u) << c;
    for (const auto& e : ex) EXPECT_EQ(e.rfind("  trainsim ", 0), 0u) << c << ": " << e;
    // Defaults print as written: 0.4, not 0.40000000000000002.
    EXPECT_FALSE(
        std::regex_search(o.text, std::regex("[0-9]\\.[0-9]*0000000|[0-9]\\.[0-9]*9999999")))
        << c << ":\n"
        << o.text;
  }
  expect_contains(run_cli("estimate --help"), "--mfu arg (=0.4)");
}

TEST(Help, TheQuickExamplesRunAsPrinted) {
  // The examples of the commands that answer in well under a second, run exactly as printed.
  for (const std::string c : {"validate", "list", "inspect", "estimate", "collective"}) {
    for (const auto& e : examples_of(run_cli(c + " --help").text)) {
      const Output o = run_cli(e.substr(std::string("  trainsim ").size()) + " > /dev/null");
      EXPECT_EQ(o.status, 0) << e << "\n" << o.text;
    }
  }
}

TEST(Help, OptionsThatDoNotApplyAreNotListed) {
  // One step has no threads (--jobs), no batch ramp (--points) and no run to lose to failures
  // (--goodput); claims simulates one replica by default (--explicit) and excludes goodput.
  const Output step = run_cli("step --help");
  // An option is listed as a line "  --name" (other help text may mention it).
  const auto lists = [](const Output& help, const std::string& opt) {
    return help.text.find("\n  " + opt + " ") != std::string::npos ||
           help.text.find("\n  -j [ " + opt + " ]") != std::string::npos;
  };
  for (const char* opt : {"--jobs", "--points", "--goodput"})
    EXPECT_FALSE(lists(step, opt)) << opt << "\n" << step.text;
  EXPECT_TRUE(lists(step, "--symmetric")) << step.text;
  const Output claims = run_cli("claims --help");
  for (const char* opt : {"--symmetric", "--goodput"}) EXPECT_FALSE(lists(claims, opt)) << opt;
  EXPECT_TRUE(lists(run_cli("run --help"), "--goodput"));
  EXPECT_TRUE(lists(run_cli("run --help"), "--jobs"));
  const Output bad = run_cli("step " + kSmall + " --goodput");
  EXPECT_EQ(bad.status, 2);
  expect_contains(bad, "unrecognised option '--goodput'");
}

// ------------------------------------------------------------------ tables that fit

TEST(Tables, FitTheWidthColumnsSaysAndFullWidthWithWide) {
  // COLUMNS=80: every line of claims and of list schedules fits in 80 columns (text columns
  // wrap; claims' source and reasons move under the table); --wide, or output to a pipe without
  // COLUMNS, keeps each row on one line (the full ~300-column claims table).
  for (const std::string cmd : {"claims", "list schedules", "validate deepseek-v3"}) {
    const Output narrow = run_shell("COLUMNS=80 " + std::string(TRAINSIM_CLI) + " " + cmd);
    ASSERT_EQ(narrow.status, 0) << narrow.text;
    // validate's prose lines above its phase table are not a table: from the table on.
    const auto all = lines_of(narrow.text);
    auto first = all.begin();
    if (cmd.rfind("validate", 0) == 0) {
      first = std::find_if(all.begin(), all.end(),
                           [](const std::string& l) { return l.rfind("phase ", 0) == 0; });
      ASSERT_NE(first, all.end()) << narrow.text;
    }
    for (auto l = first; l != all.end() && l->rfind("note (", 0) != 0; ++l)
      EXPECT_LE(columns_of(*l), 80u) << cmd << ": " << *l;
    if (cmd == "claims") {  // source and reasons under the table, one note per claim
      expect_contains(narrow, "  - pre-training: 2,664K GPU-hours — source: DeepSeek-V3 report");
    }
    const Output wide =
        run_shell("COLUMNS=80 " + std::string(TRAINSIM_CLI) + " " + cmd + " --wide");
    std::size_t widest = 0;
    for (const auto& l : lines_of(wide.text)) widest = std::max(widest, columns_of(l));
    EXPECT_GT(widest, 120u) << cmd;
  }
  expect_contains(run_shell("COLUMNS=80 " + std::string(TRAINSIM_CLI) + " list schedules"),
                  "Narayanan et al. 2021,");  // a wrapped citation
  const Output piped = run_shell("env -u COLUMNS " + std::string(TRAINSIM_CLI) + " claims");
  const auto header = lines_of(piped.text)[2];
  EXPECT_NE(header.find("source"), std::string::npos) << header;
  EXPECT_NE(header.find("why"), std::string::npos) << header;
}

// ------------------------------------------------------------------ progress on terminals only

TEST(Progress, ALineOnATerminalNothingInAPipe) {
  // DeepSeek-V3 with --symmetric simulates 12 steps in well under a second, so the line is asked
  // for at once (TRAINSIM_PROGRESS_AFTER_MS=0 instead of the one second after which it appears).
  // Through a pipe standard error stays free of it.
  const std::string cmd =
      "TRAINSIM_PROGRESS_AFTER_MS=0 " + std::string(TRAINSIM_CLI) + " run " + kV3 + " --symmetric";
  const Output piped = run_shell(cmd + " 2>&1 >/dev/null");
  EXPECT_EQ(piped.status, 0);
  EXPECT_EQ(piped.text.find("steps simulated"), std::string::npos) << piped.text;
  EXPECT_EQ(piped.text.find('\r'), std::string::npos);
  if (run_shell("command -v script").status != 0) GTEST_SKIP() << "no script(1) for a terminal";
  // script(1) runs the command on a pseudo-terminal: standard error is a terminal there.
  const Output tty = run_shell("script -qfec '" + cmd + " > /dev/null' /dev/null");
  EXPECT_EQ(tty.status, 0) << tty.text;
  EXPECT_TRUE(
      std::regex_search(tty.text, std::regex("run deepseek-v3: [0-9]+ of 12 steps simulated")))
      << tty.text;
  expect_contains(tty, "\r\033[K");  // redrawn in place and erased at the end
  // A value that is not a whole number of milliseconds in range is said, not silently dropped.
  const Output bad =
      run_shell("script -qfec 'TRAINSIM_PROGRESS_AFTER_MS=soon " + std::string(TRAINSIM_CLI) +
                " run " + kV3 + " --symmetric > /dev/null' /dev/null");
  EXPECT_EQ(bad.status, 0) << bad.text;
  expect_contains(bad,
                  "warning: TRAINSIM_PROGRESS_AFTER_MS='soon' is not a whole number of "
                  "milliseconds from 0 to 3600000; the progress line appears after 1000 ms");
}

}  // namespace
