// Helpers for unit tests that drive single Raft nodes by hand (test tool).
#pragma once

#include <memory>
#include <vector>

#include "core/base/assert.h"
#include "core/raft/raft.h"

namespace cairn::raft::testing {

inline Config test_config(NodeId id, std::vector<NodeId> peers) {
  Config c;
  c.id = id;
  c.peers = std::move(peers);
  c.pre_vote = false;
  c.check_quorum = false;
  c.random_seed = id;
  return c;
}

inline wire::Entry entry(uint64_t index, uint64_t term, std::string data = "x") {
  wire::Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_data(std::move(data));
  return e;
}

// One node with its disk. Its log may be preloaded as if persisted before a restart.
struct TestNode {
  explicit TestNode(const Config& c, uint64_t term = 0, std::vector<wire::Entry> log = {},
                    uint64_t commit = 0)
      : config(c) {
    Ready rd;
    rd.entries = std::move(log);
    wire::HardState hs;
    hs.set_term(term);
    hs.set_commit(commit);
    rd.hard_state = hs;
    disk.persist(rd);
    restart();
  }
  void restart() {
    auto r = Raft::create(config, disk);
    CAIRN_ASSERT(r.ok());
    raft = std::move(*r);
  }
  // Persists and applies every pending Ready; returns the messages to send.
  std::vector<wire::Message> drain() {
    std::vector<wire::Message> out;
    while (raft->has_ready()) {
      Ready rd = raft->ready();
      disk.persist(rd);
      out.insert(out.end(), rd.messages.begin(), rd.messages.end());
      for (const auto& e : rd.committed_entries) applied.push_back(e);
      raft->advance(rd);
      raft->check_invariants();
    }
    return out;
  }
  Raft* operator->() { return raft.get(); }

  Config config;
  MemoryStorage disk;
  std::unique_ptr<Raft> raft;
  std::vector<wire::Entry> applied;
};

inline wire::Message message(wire::MessageType type, NodeId from, NodeId to, uint64_t term) {
  wire::Message m;
  m.set_type(type);
  m.set_from(from);
  m.set_to(to);
  m.set_term(term);
  return m;
}

inline std::vector<wire::Message> of_type(const std::vector<wire::Message>& msgs,
                                          wire::MessageType type) {
  std::vector<wire::Message> out;
  for (const auto& m : msgs) {
    if (m.type() == type) out.push_back(m);
  }
  return out;
}

}  // namespace cairn::raft::testing
