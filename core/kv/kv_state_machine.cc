#include "core/kv/kv_state_machine.h"

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace cairn::kv {

absl::StatusOr<std::string> KvStateMachine::apply(const raft::wire::Entry& e) {
  CAIRN_ASSERT(e.index() == applied_index_ + 1);
  applied_index_ = e.index();
  if (e.type() != raft::wire::ENTRY_NORMAL || e.data().empty()) return std::string();
  wire::KvCommand c;
  if (!c.ParseFromString(e.data())) {
    return absl::InvalidArgumentError(absl::StrCat("kv: entry ", e.index(), " is no command"));
  }
  if (const wire::KvResult* recorded = sessions_.replay(c.client_id(), c.sequence(), e.index())) {
    // A retry of a command already applied: answer as the first time, change nothing.
    return recorded->SerializeAsString();
  }
  const wire::KvResult r = execute(c);
  sessions_.remember(c.client_id(), c.sequence(), r, e.index());
  CAIRN_ASSERT(applied_index_ == e.index());
  return r.SerializeAsString();
}

absl::StatusOr<std::string> KvStateMachine::query(std::string_view query) const {
  wire::KvCommand c;
  if (!c.ParseFromArray(query.data(), static_cast<int>(query.size())) || c.op() != wire::KV_GET) {
    return absl::InvalidArgumentError("kv: a query must be a KV_GET command");
  }
  wire::KvResult r;
  const std::optional<std::string> value = get(c.key());
  r.set_ok(value.has_value());
  r.set_found(value.has_value());
  if (value) r.set_value(*value);
  return r.SerializeAsString();
}

wire::KvResult KvStateMachine::execute(const wire::KvCommand& c) {
  wire::KvResult r;
  auto it = data_.find(c.key());
  r.set_found(it != data_.end());
  switch (c.op()) {
    case wire::KV_GET:
      r.set_ok(r.found());
      if (r.found()) r.set_value(it->second);
      break;
    case wire::KV_PUT:
      data_[c.key()] = c.value();
      r.set_ok(true);
      break;
    case wire::KV_CAS:
      if (r.found()) r.set_value(it->second);
      r.set_ok(r.found() && it->second == c.expected());
      if (r.ok()) it->second = c.value();
      break;
    case wire::KV_DELETE:
      r.set_ok(r.found());
      if (r.found()) data_.erase(it);
      break;
    default:
      break;
  }
  return r;
}

std::optional<std::string> KvStateMachine::get(const std::string& key) const {
  auto it = data_.find(key);
  if (it == data_.end()) return std::nullopt;
  return it->second;
}

std::string KvStateMachine::snapshot() const {
  wire::KvSnapshot snap;
  snap.set_applied_index(applied_index_);
  for (const auto& [key, value] : data_) {
    wire::KvPair* p = snap.add_pairs();
    p->set_key(key);
    p->set_value(value);
  }
  for (const auto& [id, session] : sessions_.all()) *snap.add_sessions() = session;
  return snap.SerializeAsString();
}

absl::Status KvStateMachine::restore(const std::string& data) {
  wire::KvSnapshot snap;
  if (!snap.ParseFromString(data)) return absl::DataLossError("kv: unreadable snapshot");
  data_.clear();
  sessions_.clear();
  for (const wire::KvPair& p : snap.pairs()) data_[p.key()] = p.value();
  for (const wire::KvSession& s : snap.sessions()) sessions_.insert(s);
  applied_index_ = snap.applied_index();
  return absl::OkStatus();
}

}  // namespace cairn::kv
