// PosixFiles: the kept-open append descriptor always writes to the file the name holds now.
#include "runtime-real/host/posix_files.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"

namespace cairn::real {
namespace {

std::string temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "cairn-posix-XXXXXX").string();
  const char* made = ::mkdtemp(tmpl.data());
  EXPECT_NE(made, nullptr);
  return tmpl;
}

TEST(PosixFiles, AppendSyncAfterRenameGoesToTheNewFile) {
  const std::string dir = temp_dir();
  PosixFiles files(dir);
  ASSERT_TRUE(files.append_sync("raft/log", "one").ok());
  EXPECT_EQ(files.open_files(), 1u);
  ASSERT_TRUE(files.rename("raft/log", "raft/old").ok());
  ASSERT_TRUE(files.append_sync("raft/log", "two").ok());
  EXPECT_EQ(*files.read("raft/old"), "one");
  EXPECT_EQ(*files.read("raft/log"), "two");
  // A rename over a name whose descriptor is kept: later appends reach the new inode.
  ASSERT_TRUE(files.write("raft/log.tmp", "new").ok());
  ASSERT_TRUE(files.rename("raft/log.tmp", "raft/log").ok());
  ASSERT_TRUE(files.append_sync("raft/log", "+3").ok());
  EXPECT_EQ(*files.read("raft/log"), "new+3");
  ASSERT_TRUE(files.sync_dir().ok());
  std::filesystem::remove_all(dir);
}

TEST(PosixFiles, AppendAfterRemoveOrRewriteGoesToTheFileTheNameHoldsNow) {
  const std::string dir = temp_dir();
  PosixFiles files(dir);
  ASSERT_TRUE(files.append("f", "gone").ok());
  ASSERT_TRUE(files.remove("f").ok());
  EXPECT_EQ(files.open_files(), 0u);
  ASSERT_TRUE(files.append_sync("f", "fresh").ok());
  EXPECT_EQ(*files.read("f"), "fresh");
  ASSERT_TRUE(files.write("f", "w").ok());
  ASSERT_TRUE(files.append("f", "a").ok());
  ASSERT_TRUE(files.sync("f").ok());
  EXPECT_EQ(*files.read("f"), "wa");
  EXPECT_EQ(files.append_sync("../f", "x").code(), absl::StatusCode::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

TEST(PosixFiles, KeptDescriptorsAreBounded) {
  const std::string dir = temp_dir();
  PosixFiles files(dir);
  for (size_t i = 0; i < 3 * PosixFiles::kMaxOpenFiles; ++i) {
    ASSERT_TRUE(files.append_sync(absl::StrCat("d/", i), "x").ok());
    ASSERT_LE(files.open_files(), PosixFiles::kMaxOpenFiles);
  }
  ASSERT_TRUE(files.append_sync("d/0", "y").ok());
  EXPECT_EQ(*files.read("d/0"), "xy");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cairn::real
