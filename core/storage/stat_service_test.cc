// The node-stat answer's space (core/storage/stat_service.h): the least of the store's and
// the disk's limits, and never more free than capacity.
#include "core/storage/stat_service.h"

#include <gtest/gtest.h>

namespace cairn::storage {
namespace {

constexpr uint64_t kUnlimited = UINT64_MAX;

wire::NodeStatResponse space(uint64_t store_capacity, uint64_t store_used, uint64_t disk_capacity,
                             uint64_t disk_free) {
  cas::StoreStats store{.used_bytes = store_used, .capacity_bytes = store_capacity};
  DiskSpace disk{.capacity_bytes = disk_capacity,
                 .free_bytes = disk_free,
                 .used_bytes = disk_capacity == kUnlimited ? 0 : disk_capacity - disk_free};
  wire::NodeStatResponse r;
  fill_space(store, disk, &r);
  return r;
}

TEST(StatSpace, NeitherLimitedIsUnknown) {
  const auto r = space(kUnlimited, 500, kUnlimited, kUnlimited);
  EXPECT_EQ(r.capacity_bytes(), 0u);
  EXPECT_EQ(r.free_bytes(), 0u);
  EXPECT_EQ(r.used_bytes(), 500u);
}

TEST(StatSpace, TheStoresLimitUnderABigDisk) {
  const auto r = space(1000, 400, 1'000'000, 900'000);
  EXPECT_EQ(r.capacity_bytes(), 1000u);
  EXPECT_EQ(r.free_bytes(), 600u);
}

TEST(StatSpace, AFullerDiskThanTheStoreKnows) {
  // Other files fill the disk: the store may take only what the disk still has.
  const auto r = space(1000, 100, 2000, 50);
  EXPECT_EQ(r.capacity_bytes(), 1000u);
  EXPECT_EQ(r.free_bytes(), 50u);
  const auto over = space(kUnlimited, 0, 2000, 1500);
  EXPECT_EQ(over.capacity_bytes(), 2000u);
  EXPECT_EQ(over.free_bytes(), 1500u);
  const auto full = space(1000, 1200, kUnlimited, kUnlimited);  // used past the limit
  EXPECT_EQ(full.free_bytes(), 0u);
}

}  // namespace
}  // namespace cairn::storage
