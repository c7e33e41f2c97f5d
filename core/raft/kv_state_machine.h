// A replicated key-value store (core/raft): the state machine that tests and teaching
// scenarios put on top of Raft, until the namespace (core/meta) replaces it.
//
// Commands are wire::KvCommand (get, put, compare-and-set, delete). Client sessions
// (dissertation §6.3) make a retried command apply once: a command whose (client id,
// sequence) was already applied returns the recorded result instead of running again.
// Sessions are bounded; the least recently active one is expired first, the same way on
// every replica because expiry depends only on the applied log.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "core/raft/kv.pb.h"
#include "core/raft/raft.pb.h"

namespace cairn::raft {

class KvStateMachine {
 public:
  explicit KvStateMachine(size_t max_sessions = 1024) : max_sessions_(max_sessions) {}

  // Applies one committed entry; returns the command's result (nullopt for entries that
  // carry no command: no-ops and configuration changes). REQUIRES: e.index() ==
  // applied_index() + 1. InvalidArgument if the data is not a KvCommand.
  absl::StatusOr<std::optional<wire::KvResult>> apply(const wire::Entry& e);
  // A local read, for ReadIndex and lease reads.
  std::optional<std::string> get(const std::string& key) const;
  uint64_t applied_index() const { return applied_index_; }
  size_t session_count() const { return sessions_.size(); }

  std::string snapshot() const;
  // DataLoss if `data` is not a snapshot of this state machine.
  absl::Status restore(const std::string& data);

 private:
  wire::KvResult execute(const wire::KvCommand& c);
  void remember(const wire::KvCommand& c, const wire::KvResult& r);

  size_t max_sessions_;
  uint64_t applied_index_ = 0;
  std::map<std::string, std::string> data_;
  std::map<uint64_t, wire::KvSession> sessions_;  // by client id
};

}  // namespace cairn::raft
