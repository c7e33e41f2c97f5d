#include "runtime-real/grpc/resource_name.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cairn::real::reapi {
namespace {

const std::string kHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(ReapiNames, ReadNamesWithAndWithoutInstance) {
  auto plain = parse_read_name("blobs/" + kHash + "/0");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->instance, "");
  EXPECT_EQ(hex_hash(plain->digest), kHash);
  auto named = parse_read_name("main/ci/blobs/" + kHash + "/12/extra/metadata");
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_EQ(named->instance, "main/ci");
  EXPECT_EQ(named->digest.size_bytes(), 12u);
}

TEST(ReapiNames, WriteNames) {
  auto w = parse_write_name("inst/uploads/5f1c-9a/blobs/" + kHash + "/7");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->instance, "inst");
  EXPECT_EQ(w->uuid, "5f1c-9a");
  EXPECT_EQ(w->digest.size_bytes(), 7u);
}

TEST(ReapiNames, MalformedNamesAreRefused) {
  for (const std::string& bad : std::vector<std::string>{
           "blobs/" + kHash, "blobs/" + kHash + "/-1", "blobs/" + kHash + "/x",
           "blobs/" + kHash.substr(1) + "/1", "blobs/ABC/1", "nothing/here", "",
           "a//b/blobs/" + kHash + "/1", ".hidden/blobs/" + kHash + "/1",
           "compressed-blobs/zstd/" + kHash + "/1", "in stance/blobs/" + kHash + "/1"}) {
    auto r = parse_read_name(bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  for (const std::string& bad :
       std::vector<std::string>{"uploads/blobs/" + kHash + "/1", "uploads/u/" + kHash + "/1",
                                "blobs/" + kHash + "/1", "uploads//blobs/" + kHash + "/1"}) {
    auto w = parse_write_name(bad);
    EXPECT_EQ(w.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ReapiNames, InstancesMapToDistinctDirectories) {
  EXPECT_EQ(*instance_dir(""), "/.reapi");
  EXPECT_EQ(*instance_dir("a/b"), "/.reapi/a/b");
  EXPECT_FALSE(instance_dir("a/.cas").ok());  // cannot reach another instance's blobs
  EXPECT_FALSE(instance_dir("uploads").ok());
  EXPECT_NE(blob_path(*instance_dir("a"), *to_digest(kHash, 0)),
            action_path(*instance_dir("a"), *to_digest(kHash, 0)));
}

}  // namespace
}  // namespace cairn::real::reapi
