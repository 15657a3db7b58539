// Host-side behaviour of the device harness: option errors, the JSON it writes, and the exit
// status when no CUDA device is present (what CI sees).
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "calibration/kernels/harness.hpp"
#include "calibration/kernels/sustained_gemm.hpp"
#include "core/error.hpp"

namespace trainsim::calibration::kernels {
namespace {

bool have_device() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

struct RunResult {
  int status = -1;
  std::string output;
};

RunResult run(const std::string& args) {
  RunResult r;
  const std::string cmd = std::string(TRAINSIM_CALIBRATE_DEVICE_EXE) + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 512> buf{};
  while (fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr) r.output += buf.data();
  const int st = pclose(pipe);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

TEST(CalibrateDevice, NoDeviceExitsWithStatus3AndSaysWhy) {
  if (have_device()) GTEST_SKIP() << "a CUDA device is present";
  const RunResult r = run("--ops copy --reps 1");
  EXPECT_EQ(r.status, 3);
  EXPECT_NE(r.output.find("no CUDA device found (cudaGetDeviceCount: "), std::string::npos)
      << r.output;
}

TEST(CalibrateDevice, BadCommandLineExitsWithStatus2) {
  const RunResult unknown_op = run("--ops gemm_fp8,flash");
  EXPECT_EQ(unknown_op.status, 2);
  EXPECT_NE(unknown_op.output.find("unknown op 'flash' in --ops; valid: copy, gemm_fp8"),
            std::string::npos)
      << unknown_op.output;
  const RunResult bad_reps = run("--reps ten");
  EXPECT_EQ(bad_reps.status, 2);
  EXPECT_NE(bad_reps.output.find("--reps expects an integer, got 'ten'"), std::string::npos)
      << bad_reps.output;
  const RunResult bad_flag = run("--fast");
  EXPECT_EQ(bad_flag.status, 2);
  EXPECT_NE(bad_flag.output.find("unknown option '--fast'"), std::string::npos) << bad_flag.output;
}

TEST(CalibrateDevice, BadGemmShapesExitWithStatus2BeforeAnyDeviceWork) {
  const RunResult r = run("--ops gemm_fp8 --gemm-shapes 4096x6144x4096,4096x6144x100");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("--gemm-shapes: '4096x6144x100' is not MxNxK with m >= 1, n >= 8, "
                          "k >= 128"),
            std::string::npos)
      << r.output;
}

TEST(CalibrateDevice, BadSustainValuesExitWithStatus2BeforeAnyDeviceWork) {
  const RunResult word = run("--sustain long");
  EXPECT_EQ(word.status, 2);
  EXPECT_NE(word.output.find("--sustain expects a number of seconds, got 'long'"),
            std::string::npos)
      << word.output;
  for (const char* bad : {"0", "-3", "601", "nan"}) {
    const RunResult r = run(std::string("--sustain ") + bad);
    EXPECT_EQ(r.status, 2) << bad;
    EXPECT_NE(r.output.find("--sustain expects seconds in (0, 600]"), std::string::npos)
        << bad << ": " << r.output;
  }
}

TEST(CalibrateDevice, SustainWithoutADeviceExitsWithStatus3) {
  if (have_device()) GTEST_SKIP() << "a CUDA device is present";
  const RunResult r = run("--sustain 1 --gemm-shapes 1024x1024x1024");
  EXPECT_EQ(r.status, 3);
  EXPECT_NE(r.output.find("no CUDA device found"), std::string::npos) << r.output;
}

TEST(ValidateSustainOptions, NamesTheBadValue) {
  auto message = [](const SustainOptions& o) {
    try {
      validate_sustain_options(o);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("<no error>");
  };
  SustainOptions ok;
  ok.seconds = 20;
  EXPECT_EQ(message(ok), "<no error>");
  SustainOptions window = ok;
  window.window_s = 30;  // longer than the run
  EXPECT_NE(message(window).find("window must be 0.01 s to --sustain long"), std::string::npos);
  SustainOptions shape = ok;
  shape.n = 100;  // cuBLASLt FP8 needs n % 8 == 0
  EXPECT_EQ(message(shape),
            "the sustained GEMM needs m >= 1, n a multiple of 8 and k of 16, got 8192x100x8192");
}

TEST(ParseGemmShapes, ReadsMxNxKListsAndNamesTheBadItem) {
  const auto s = parse_gemm_shapes("4096x6144x4096,4096x28672x4096");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0][0], 4096);
  EXPECT_EQ(s[0][1], 6144);
  EXPECT_EQ(s[0][2], 4096);
  EXPECT_EQ(s[1][1], 28672);
  auto message = [](const std::string& text) {
    try {
      (void)parse_gemm_shapes(text);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("<no error>");
  };
  EXPECT_EQ(message("4096x6144"),
            "--gemm-shapes: '4096x6144' is not MxNxK with m >= 1, n >= 8, "
            "k >= 128");
  EXPECT_EQ(message("4096x6148x4096"),
            "--gemm-shapes: '4096x6148x4096': the kernels need n a multiple of 8 and k a "
            "multiple of 128");
  EXPECT_EQ(message("64x2112x7168junk"),
            "--gemm-shapes: '64x2112x7168junk' is not MxNxK with m >= 1, n >= 8, k >= 128");
  EXPECT_EQ(message(""), "--gemm-shapes needs at least one MxNxK");
}

TEST(CalibrateDevice, ListPrintsEveryOp) {
  const RunResult r = run("--list");
  EXPECT_EQ(r.status, 0);
  for (const std::string& op : harness_op_names())
    EXPECT_NE(r.output.find(op + "\n"), std::string::npos) << op;
}

TEST(ValidateOptions, RejectsUnknownOpsAndBadCounts) {
  HarnessOptions o;
  o.ops = {"attention_fwd", "softmax"};
  try {
    validate_options(o);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown op 'softmax' in --ops; valid: copy,"),
              std::string::npos)
        << e.what();
  }
  HarnessOptions reps;
  reps.reps = 0;
  EXPECT_THROW(validate_options(reps), Error);
  try {
    validate_options(reps);
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "--reps must be >= 1, got 0");
  }
  HarnessOptions warm;
  warm.warmup = -1;
  try {
    validate_options(warm);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "--warmup must be >= 0, got -1");
  }
  HarnessOptions both;
  both.small = true;
  both.gemm_shapes = {{4096, 4096, 4096}};
  try {
    validate_options(both);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "--small and --gemm-shapes exclude each other: --small replaces every "
                 "shape");
  }
  EXPECT_NO_THROW(validate_options(HarnessOptions{}));
}

TEST(ToJson, WritesDeviceShapeTimesAndCheck) {
  DeviceInfo dev;
  dev.name = "Test \"GPU\"";
  dev.sm_count = 132;
  dev.driver = "13.0";
  dev.cuda = "13.0";
  Point p;
  p.op = "gemm_fp8";
  p.kind = "gemm";
  p.dtype = "fp8_e4m3";
  p.shape.m = 4096;
  p.shape.n = 7168;
  p.shape.k = 2048;
  p.shape.groups = 1;
  p.times_ms = {1.5, 2.0};
  p.median_ms = 1.75;
  p.flops = 2.0 * 4096 * 7168 * 2048;
  p.check.rel_l2_err = 2e-3;
  p.check.passed = true;
  p.vendor_name = "cuBLASLt";
  p.vendor_median_ms = 0;  // not measured: written as null
  Point att;
  att.op = "attention_fwd";
  att.kind = "attention";
  att.shape.heads = 128;
  att.shape.seq_q = 4096;
  att.shape.causal = true;
  const std::string j = to_json(dev, HarnessOptions{}, {p, att});
  EXPECT_NE(j.find("\"name\": \"Test \\\"GPU\\\"\""), std::string::npos) << j;
  EXPECT_NE(j.find("\"sm_count\": 132"), std::string::npos);
  EXPECT_NE(j.find("\"shape\": {\"m\": 4096, \"n\": 7168, \"k\": 2048, \"groups\": 1}"),
            std::string::npos);
  EXPECT_NE(j.find("\"times_ms\": [1.5, 2]"), std::string::npos);
  EXPECT_NE(j.find("\"median_ms\": 1.75"), std::string::npos);
  EXPECT_NE(j.find("\"passed\": true"), std::string::npos);
  EXPECT_NE(j.find("\"vendor\": {\"name\": \"cuBLASLt\", \"median_ms\": null"), std::string::npos);
  EXPECT_NE(j.find("\"heads\": 128, \"seq_q\": 4096"), std::string::npos);
  EXPECT_NE(j.find("\"causal\": true"), std::string::npos);
  EXPECT_NE(j.find("\"vendor\": null"), std::string::npos);
}

}  // namespace
}  // namespace trainsim::calibration::kernels
