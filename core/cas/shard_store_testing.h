// Test harness for the shard store: one node of a ManualCluster, its store, and
// synchronous wrappers that issue an operation and run the cluster until it completes.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "core/cas/shard_store.h"
#include "core/runtime/manual_runtime.h"

namespace cairn::cas::testing {

inline Digest digest_of(const std::string& bytes) { return Digest::of(std::string_view(bytes)); }

// Deterministic bytes of length n that differ with `seed`.
inline std::string bytes_of(uint64_t n, uint64_t seed) {
  std::string out(n, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  return out;
}

class StoreHarness {
 public:
  explicit StoreHarness(ShardStoreOptions options = {}, uint64_t seed = 1)
      : cluster_(seed), rt_(cluster_.add_node(1)), options_(std::move(options)) {}

  // A fresh store recovered from the disk.
  absl::StatusOr<RecoveryReport> open() {
    store_ = std::make_unique<ShardStore>(rt_, options_);
    std::optional<absl::StatusOr<RecoveryReport>> out;
    store_->recover([&](absl::StatusOr<RecoveryReport> r) { out = std::move(r); });
    run();
    EXPECT_TRUE(out.has_value());
    return out.value_or(absl::InternalError("recover did not complete"));
  }
  // Crash the node (unsynced disk state is lost), restart it, recover a new store.
  absl::StatusOr<RecoveryReport> crash_and_open() {
    cluster_.crash(1);
    cluster_.restart(1);
    return open();
  }

  absl::StatusOr<PutResult> put(const std::string& bytes) {
    return put_as(digest_of(bytes), bytes);
  }
  absl::StatusOr<PutResult> put_as(const Digest& d, const std::string& bytes) {
    std::optional<absl::StatusOr<PutResult>> out;
    store_->put(d, Payload(bytes), [&](absl::StatusOr<PutResult> r) { out = std::move(r); });
    EXPECT_FALSE(out.has_value()) << "completed inline";
    run();
    return out.value_or(absl::InternalError("put did not complete"));
  }
  absl::StatusOr<std::string> get(const Digest& d) {
    std::optional<absl::StatusOr<std::string>> out;
    store_->get(d, [&](absl::StatusOr<std::string> r) { out = std::move(r); });
    EXPECT_FALSE(out.has_value()) << "completed inline";
    run();
    return out.value_or(absl::InternalError("get did not complete"));
  }
  absl::StatusOr<std::string> range(const Digest& d, uint64_t offset, uint64_t length) {
    std::optional<absl::StatusOr<std::string>> out;
    store_->read_range(d, offset, length,
                       [&](absl::StatusOr<std::string> r) { out = std::move(r); });
    run();
    return out.value_or(absl::InternalError("read_range did not complete"));
  }
  // A virtual blob (a length only) under digest `d` of d.size_bytes() bytes.
  absl::StatusOr<PutResult> put_virtual(const Digest& d) {
    Payload bytes;
    bytes.virtual_bytes = d.size_bytes();
    std::optional<absl::StatusOr<PutResult>> out;
    store_->put(d, bytes, [&](absl::StatusOr<PutResult> r) { out = std::move(r); });
    run();
    return out.value_or(absl::InternalError("put did not complete"));
  }
  absl::StatusOr<Payload> payload(const Digest& d, uint64_t offset, uint64_t length) {
    std::optional<absl::StatusOr<Payload>> out;
    store_->read_payload(d, offset, length, [&](absl::StatusOr<Payload> r) { out = std::move(r); });
    run();
    return out.value_or(absl::InternalError("read_payload did not complete"));
  }
  absl::Status remove_if_idle(const Digest& d, Duration idle_for) {
    std::optional<absl::Status> out;
    store_->remove_if_idle(d, idle_for, [&](absl::Status s) { out = s; });
    run();
    return out.value_or(absl::InternalError("remove_if_idle did not complete"));
  }
  absl::Status remove(const Digest& d) {
    std::optional<absl::Status> out;
    store_->remove(d, [&](absl::Status s) { out = s; });
    run();
    return out.value_or(absl::InternalError("remove did not complete"));
  }
  absl::Status append(ShardStore::PutId id, const std::string& piece) {
    std::optional<absl::Status> out;
    store_->append(id, Payload(piece), [&](absl::Status s) { out = s; });
    run();
    return out.value_or(absl::InternalError("append did not complete"));
  }
  absl::StatusOr<PutResult> commit(ShardStore::PutId id) {
    std::optional<absl::StatusOr<PutResult>> out;
    store_->commit(id, [&](absl::StatusOr<PutResult> r) { out = std::move(r); });
    run();
    return out.value_or(absl::InternalError("commit did not complete"));
  }
  absl::Status abort(ShardStore::PutId id) {
    std::optional<absl::Status> out;
    store_->abort(id, [&](absl::Status s) { out = s; });
    run();
    return out.value_or(absl::InternalError("abort did not complete"));
  }

  // Runs every event due now (zero-delay chains included).
  void run() { cluster_.advance(Duration(0)); }

  ManualCluster& cluster() { return cluster_; }
  ManualRuntime& rt() { return rt_; }
  MemDisk& mem_disk() { return rt_.mem_disk(); }
  ShardStore& store() { return *store_; }
  // Names on the disk under the store's root.
  std::vector<std::string> files() { return mem_disk().list(options_.root + "/"); }

 private:
  ManualCluster cluster_;
  ManualRuntime& rt_;
  ShardStoreOptions options_;
  std::unique_ptr<ShardStore> store_;
};

}  // namespace cairn::cas::testing
