#include "core/atomic_file.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"

namespace trainsim {
namespace {

namespace fs = std::filesystem;

TEST(AtomicFile, WritesAndReplacesWithoutLeavingTemporaries) {
  const fs::path dir = fs::temp_directory_path() / "trainsim_atomic_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "out.json").string();
  write_file_atomically(path, "first");
  write_file_atomically(path, "second");
  EXPECT_EQ(read_file(path), "second");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++entries;
  EXPECT_EQ(entries, 1);
  fs::remove_all(dir);
}

TEST(AtomicFile, MissingDirectoryIsAClearError) {
  try {
    write_file_atomically("/nonexistent-trainsim-dir/out.json", "x");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
}

/// The names in `dir` (no temporaries expected).
std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(AtomicFile, FifoTargetIsWrittenDirectlyNotReplaced) {
  // A FIFO (like /dev/stdout on a pipe) stays a FIFO: the text goes through it.
  const fs::path dir = fresh_dir("trainsim_atomic_fifo");
  const std::string fifo = (dir / "pipe").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::FILE* reader = nullptr;
  std::thread t([&] { reader = std::fopen(fifo.c_str(), "rb"); });
  write_file_atomically(fifo, "");  // opens for writing, unblocking the reader's open
  t.join();
  ASSERT_NE(reader, nullptr);
  std::fclose(reader);
  struct stat st {};
  ASSERT_EQ(::stat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(names_in(dir), std::vector<std::string>{"pipe"});
  fs::remove_all(dir);
}

TEST(AtomicFile, FullDeviceReportsNoSpaceWithThePath) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  try {
    write_file_atomically("/dev/full", "x");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_STREQ(e.what(), "/dev/full: write failed: No space left on device");
  }
  EXPECT_TRUE(fs::is_character_file("/dev/full"));
}

TEST(AtomicFile, DashIsStandardOutput) {
  testing::internal::CaptureStdout();
  write_file_atomically("-", "to stdout\n");
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "to stdout\n");
  EXPECT_FALSE(fs::exists("-"));
}

TEST(AtomicFile, FailedSetLeavesNoneOfItsFiles) {
  // The second target's directory is missing: the first must not be written either.
  const fs::path dir = fresh_dir("trainsim_atomic_set");
  EXPECT_THROW(write_files_atomically({{(dir / "a.json").string(), "a"},
                                       {(dir / "missing" / "b.json").string(), "b"}}),
               IoError);
  EXPECT_TRUE(names_in(dir).empty());
  write_files_atomically({{(dir / "a.json").string(), "a"}, {(dir / "b.json").string(), "b"}});
  EXPECT_EQ(names_in(dir), (std::vector<std::string>{"a.json", "b.json"}));
  fs::remove_all(dir);
}

void raise_sigterm() {
  std::raise(SIGTERM);
}

TEST(AtomicFileDeathTest, SignalInTheWriteWindowLeavesNoTemporary) {
  // SIGTERM after the temporaries are written and before the rename: the process dies of the
  // signal, and neither the target nor a .NAME.tmp-PID file is left.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const fs::path dir = fresh_dir("trainsim_atomic_signal");
  const std::string path = (dir / "w.json").string();
  EXPECT_EXIT(
      {
        detail::g_before_rename_hook = raise_sigterm;
        write_files_atomically({{path, "x"}, {(dir / "v.json").string(), "y"}});
      },
      testing::KilledBySignal(SIGTERM), "");
  EXPECT_TRUE(names_in(dir).empty());
  fs::remove_all(dir);
}

TEST(AtomicFile, ReadingADirectoryNamesIt) {
  try {
    read_file(fs::temp_directory_path().string());
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read: it is a directory, not a file"),
              std::string::npos)
        << e.what();
  }
}

TEST(AtomicFile, ReadingAnEndlessDeviceStopsAtTheLimit) {
  if (!fs::exists("/dev/zero")) GTEST_SKIP() << "no /dev/zero";
  try {
    read_file("/dev/zero", 1 << 20);
    FAIL();
  } catch (const IoError& e) {
    EXPECT_STREQ(e.what(),
                 "/dev/zero: it is a character device and holds more than the limit of 1048576 "
                 "bytes (it was read only that far)");
  }
}

}  // namespace
}  // namespace trainsim
