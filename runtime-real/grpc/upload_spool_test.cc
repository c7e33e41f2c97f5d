// UploadSpool: resumption, the offset and size rules, the digest check, the bound on uploads
// kept and one writer per upload.
#include "runtime-real/grpc/upload_spool.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace cairn::real::reapi {
namespace {

class Spool : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cairn-spool-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static std::string read(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  size_t files() const {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_ + "/spool"))
      n += e.is_regular_file();
    return n;
  }
  std::string dir_;
};

TEST_F(Spool, AnUploadCutOffIsResumedWhereItStopped) {
  UploadSpool spool(dir_ + "/spool", 4);
  const std::string bytes = "hello, resumable world";
  const cas::Digest d = cas::Digest::of(bytes);
  {
    auto h = spool.open("r1", d);
    ASSERT_TRUE(h.ok());
    ASSERT_TRUE((*h)->append(0, bytes.substr(0, 7)).ok());
  }  // the stream ends without finishing
  EXPECT_EQ(*spool.committed("r1"), 7u);
  auto h = spool.open("r1", d);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ((*h)->committed(), 7u);
  ASSERT_TRUE((*h)->append(7, bytes.substr(7)).ok());
  auto path = (*h)->finish();
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(read(*path), bytes);
  (*h)->done();
  EXPECT_TRUE(absl::IsNotFound(spool.committed("r1").status()));
  EXPECT_EQ(files(), 0u);
}

TEST_F(Spool, BytesNotMatchingTheDigestAreDroppedWhole) {
  UploadSpool spool(dir_ + "/spool", 4);
  const cas::Digest d = cas::Digest::of(std::string("expected bytes"));
  auto h = spool.open("r", d);
  ASSERT_TRUE((*h)->append(0, "unexpected byt").ok());  // same size, other bytes
  auto path = (*h)->finish();
  EXPECT_EQ(path.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::IsNotFound(spool.committed("r").status()));
  EXPECT_EQ(files(), 0u);
}

TEST_F(Spool, OffsetsOtherThanTheCommittedSizeAndExtraBytesAreRefused) {
  UploadSpool spool(dir_ + "/spool", 4);
  const cas::Digest d = cas::Digest::of(std::string("abc"));
  auto h = spool.open("gap", d);
  EXPECT_EQ((*h)->append(1, "bc").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::IsNotFound(spool.committed("gap").status()));
  auto g = spool.open("long", d);
  EXPECT_EQ((*g)->append(0, "abcd").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::IsNotFound(spool.committed("long").status()));
}

TEST_F(Spool, OneWriterPerUploadAndABoundOnUploadsKept) {
  UploadSpool spool(dir_ + "/spool", 2);
  const cas::Digest d = cas::Digest::of(std::string("xyz"));
  auto a = spool.open("a", d);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(spool.open("a", d).status().code(), absl::StatusCode::kAborted);
  auto b = spool.open("b", d);
  ASSERT_TRUE(b.ok());
  // Both busy: a third is refused rather than taking a busy one's place.
  EXPECT_EQ(spool.open("c", d).status().code(), absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE((*a)->append(0, "x").ok());
  a->reset();  // "a" idle now, and the least recently opened
  auto c = spool.open("c", d);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(absl::IsNotFound(spool.committed("a").status()));  // evicted
  EXPECT_TRUE(spool.committed("b").ok());
}

}  // namespace
}  // namespace cairn::real::reapi
