// Client sessions for a replicated state machine (dissertation §6.3), shared by every
// StateMachine that wants a retried command to apply once (core/kv, core/meta).
//
// A session remembers, per client id, the last sequence applied and the result it gave.
// A command whose (client id, sequence) is at or below the recorded sequence is a retry:
// the machine answers it with the recorded result and changes nothing. The table is
// bounded: recording a new client when full expires the least recently active session
// (smallest last_index; ties go to the smallest client id). Expiry depends only on the
// applied log, so every replica expires the same session.
//
// `Session` is a protobuf message with client_id, sequence, result and last_index fields
// (wire::KvSession, wire::NsSession), so a snapshot carries sessions unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <type_traits>
#include <utility>

#include "core/base/assert.h"

namespace cairn::raft {

template <typename Session>
class ClientSessions {
 public:
  using Result = std::decay_t<decltype(std::declval<Session>().result())>;

  explicit ClientSessions(size_t max_sessions) : max_sessions_(max_sessions) {
    CAIRN_ASSERT(max_sessions_ >= 1);
  }

  // The recorded result if (client_id, sequence) was already applied (and marks the
  // session active at `index`); null for a new command or for client id 0 (no session).
  const Result* replay(uint64_t client_id, uint64_t sequence, uint64_t index) {
    if (client_id == 0) return nullptr;
    auto it = sessions_.find(client_id);
    if (it == sessions_.end() || sequence > it->second.sequence()) return nullptr;
    it->second.set_last_index(index);
    return &it->second.result();
  }

  // Records that `client_id` applied `sequence` at `index` with `result`. Client id 0
  // records nothing.
  void remember(uint64_t client_id, uint64_t sequence, const Result& result, uint64_t index) {
    if (client_id == 0) return;
    if (sessions_.count(client_id) == 0 && sessions_.size() >= max_sessions_) expire_one();
    Session& s = sessions_[client_id];
    s.set_client_id(client_id);
    s.set_sequence(sequence);
    *s.mutable_result() = result;
    s.set_last_index(index);
    CAIRN_ASSERT(sessions_.size() <= max_sessions_);
  }

  size_t size() const { return sessions_.size(); }
  // In client id order (what a snapshot stores).
  const std::map<uint64_t, Session>& all() const { return sessions_; }
  void clear() { sessions_.clear(); }
  // Restores one session from a snapshot (a later one for the same client replaces it;
  // past the bound, the least recently active is expired as by remember()).
  void insert(const Session& s) {
    if (sessions_.count(s.client_id()) == 0 && sessions_.size() >= max_sessions_) expire_one();
    sessions_[s.client_id()] = s;
  }

 private:
  void expire_one() {
    CAIRN_ASSERT(!sessions_.empty());
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second.last_index() < oldest->second.last_index()) oldest = it;
    }
    sessions_.erase(oldest);
  }

  size_t max_sessions_;
  std::map<uint64_t, Session> sessions_;  // by client id
};

}  // namespace cairn::raft
