// Test helpers for core/meta: valid chunk layouts, and a driver that applies NsCommands to
// a NamespaceStateMachine at consecutive indexes and asks it NsQueries. Tests only.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/meta/namespace_state_machine.h"
#include "core/storage/chunk_wire.h"
#include "core/storage/status_wire.h"
#include "core/storage/storage_codec.h"

namespace cairn::meta::testing {

// The digest of test chunk `i`: a chunk of i + 1 bytes (so sizes differ).
inline cas::Digest chunk_digest(int i) { return cas::Digest::of(std::string(i + 1, 'a' + i % 26)); }

// A valid replicated layout (two replicas, on nodes 1 and 2, or on `node` and node + 1).
inline storage::wire::Layout chunk_layout(int i, NodeId node = 1) {
  storage::ChunkLayout l;
  l.chunk = chunk_digest(i);
  l.mode = storage::StorageMode::kReplicated;
  l.data_shards = 1;
  l.parity_shards = 1;
  l.shard_bytes = l.chunk.size_bytes();
  l.shards = {{l.chunk, node}, {l.chunk, node + 1}};
  return storage::to_wire(l);
}

// A manifest of test chunks `chunks`, with the right size.
inline wire::Manifest manifest(const std::vector<int>& chunks) {
  wire::Manifest m;
  uint64_t size = 0;
  for (int i : chunks) {
    *m.add_chunks() = chunk_layout(i);
    size += chunk_digest(i).size_bytes();
  }
  m.set_size_bytes(size);
  return m;
}

inline absl::StatusCode code(const wire::NsResult& r) {
  return storage::from_wire(r.status()).code();
}

class NsDriver {
 public:
  explicit NsDriver(NamespaceOptions options = {}) : sm(options) {}

  wire::NsResult apply(wire::NsCommand c, uint64_t client = 0, uint64_t sequence = 0) {
    c.set_client_id(client);
    c.set_sequence(sequence);
    if (c.now_ms() == 0) c.set_now_ms(now_ms);
    raft::wire::Entry e;
    e.set_index(sm.applied_index() + 1);
    e.set_term(1);
    e.set_data(c.SerializeAsString());
    auto out = sm.apply(e);
    wire::NsResult r;
    EXPECT_TRUE(out.ok()) << out.status();
    if (out.ok()) {
      EXPECT_TRUE(r.ParseFromString(*out));
    }
    return r;
  }
  wire::NsResult ask(const wire::NsQuery& q) const {
    auto out = sm.query(q.SerializeAsString());
    wire::NsResult r;
    EXPECT_TRUE(out.ok()) << out.status();
    if (out.ok()) {
      EXPECT_TRUE(r.ParseFromString(*out));
    }
    return r;
  }

  // --- commands ---
  wire::NsResult mkdir(const std::string& path, bool parents = false) {
    wire::NsCommand c;
    c.mutable_mkdir()->set_path(path);
    c.mutable_mkdir()->set_parents(parents);
    return apply(c);
  }
  wire::NsResult rmdir(const std::string& path) {
    wire::NsCommand c;
    c.mutable_rmdir()->set_path(path);
    return apply(c);
  }
  wire::NsResult put_manifest(const std::string& path, const wire::Manifest& m,
                              wire::Condition condition = wire::ANY, uint64_t if_version = 0) {
    wire::NsCommand c;
    c.mutable_put_file()->set_path(path);
    *c.mutable_put_file()->mutable_manifest() = m;
    c.mutable_put_file()->set_condition(condition);
    c.mutable_put_file()->set_if_version(if_version);
    return apply(c);
  }
  wire::NsResult put(const std::string& path, const std::vector<int>& chunks = {},
                     wire::Condition condition = wire::ANY, uint64_t if_version = 0) {
    return put_manifest(path, manifest(chunks), condition, if_version);
  }
  wire::NsResult rm(const std::string& path, wire::Condition condition = wire::ANY,
                    uint64_t if_version = 0) {
    wire::NsCommand c;
    c.mutable_remove()->set_path(path);
    c.mutable_remove()->set_condition(condition);
    c.mutable_remove()->set_if_version(if_version);
    return apply(c);
  }
  wire::NsResult move_shard(int chunk, uint32_t shard, NodeId from, NodeId to) {
    wire::NsCommand c;
    storage::digest_to(chunk_digest(chunk), c.mutable_move_shard()->mutable_chunk());
    c.mutable_move_shard()->set_shard(shard);
    c.mutable_move_shard()->set_from(from);
    c.mutable_move_shard()->set_to(to);
    return apply(c);
  }
  wire::NsResult mv(const std::string& from, const std::string& to) {
    wire::NsCommand c;
    c.mutable_move()->set_from(from);
    c.mutable_move()->set_to(to);
    return apply(c);
  }

  // --- queries ---
  wire::NsResult stat(const std::string& path) const {
    wire::NsQuery q;
    q.mutable_stat()->set_path(path);
    return ask(q);
  }
  wire::NsResult list(const std::string& path, const std::string& start_after = "",
                      uint32_t limit = 0) const {
    wire::NsQuery q;
    q.mutable_list()->set_path(path);
    q.mutable_list()->set_start_after(start_after);
    q.mutable_list()->set_limit(limit);
    return ask(q);
  }
  wire::NsResult get(const std::string& path, uint64_t version = 0) const {
    wire::NsQuery q;
    q.mutable_get_file()->set_path(path);
    q.mutable_get_file()->set_version(version);
    return ask(q);
  }
  wire::NsResult versions(const std::string& path) const {
    wire::NsQuery q;
    q.mutable_versions()->set_path(path);
    return ask(q);
  }

  NamespaceStateMachine sm;
  int64_t now_ms = 1000;
};

inline std::string message(const wire::NsResult& r) { return r.status().message(); }

class NamespaceTest : public ::testing::Test {
 protected:
  NsDriver ns_;
};

}  // namespace cairn::meta::testing
