#include "core/raft/mux_state_machine.h"

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/raft/raft.pb.h"

namespace cairn::raft {
namespace {

constexpr char kEscape = 0x00;

}  // namespace

MuxStateMachine::MuxStateMachine(std::unique_ptr<StateMachine> default_machine)
    : default_(std::move(default_machine)) {
  CAIRN_ASSERT(default_ != nullptr);
}

void MuxStateMachine::add(uint8_t channel, std::unique_ptr<StateMachine> machine) {
  CAIRN_ASSERT(machine != nullptr);
  CAIRN_ASSERT(default_->applied_index() == 0);
  CAIRN_ASSERT(channels_.emplace(channel, std::move(machine)).second);
}

std::string MuxStateMachine::wrap(uint8_t channel, std::string_view command) {
  std::string out;
  out.reserve(command.size() + 2);
  out.push_back(kEscape);
  out.push_back(static_cast<char>(channel));
  out.append(command);
  return out;
}

StateMachine& MuxStateMachine::machine(uint8_t channel) {
  auto it = channels_.find(channel);
  CAIRN_ASSERT(it != channels_.end());
  return *it->second;
}

const StateMachine& MuxStateMachine::machine(uint8_t channel) const {
  auto it = channels_.find(channel);
  CAIRN_ASSERT(it != channels_.end());
  return *it->second;
}

absl::StatusOr<std::pair<StateMachine*, std::string_view>> MuxStateMachine::route(
    std::string_view bytes) const {
  if (bytes.empty() || bytes[0] != kEscape) return std::pair{default_.get(), bytes};
  if (bytes.size() < 2) return absl::InvalidArgumentError("mux: a command without its channel");
  const auto channel = static_cast<uint8_t>(bytes[1]);
  auto it = channels_.find(channel);
  if (it == channels_.end()) {
    return absl::InvalidArgumentError(absl::StrCat("mux: no machine on channel ", channel));
  }
  return std::pair{it->second.get(), bytes.substr(2)};
}

absl::StatusOr<std::string> MuxStateMachine::apply(const wire::Entry& e) {
  StateMachine* target = nullptr;
  absl::StatusOr<std::string> result = std::string();
  wire::Entry empty;
  empty.set_term(e.term());
  empty.set_index(e.index());
  if (e.type() == wire::ENTRY_NORMAL && !e.data().empty()) {
    auto routed = route(e.data());
    if (routed.ok()) {
      target = routed->first;
      wire::Entry own = empty;
      own.set_data(std::string(routed->second));
      result = target->apply(own);
    } else {
      result = routed.status();  // every replica skips it alike
    }
  } else if (e.type() != wire::ENTRY_NORMAL) {
    empty.set_type(e.type());
    empty.set_data(e.data());
  }
  if (target != default_.get()) default_->apply(empty).IgnoreError();
  for (auto& [channel, m] : channels_) {
    if (m.get() != target) m->apply(empty).IgnoreError();
  }
  return result;
}

absl::StatusOr<std::string> MuxStateMachine::query(std::string_view query) const {
  auto routed = route(query);
  if (!routed.ok()) return routed.status();
  return routed->first->query(routed->second);
}

std::string MuxStateMachine::snapshot() const {
  wire::MuxSnapshot s;
  s.set_default_machine(default_->snapshot());
  for (const auto& [channel, m] : channels_) {
    wire::MuxSnapshot::Part* p = s.add_parts();
    p->set_channel(channel);
    p->set_data(m->snapshot());
  }
  return s.SerializeAsString();
}

absl::Status MuxStateMachine::restore(const std::string& data) {
  wire::MuxSnapshot s;
  if (!s.ParseFromString(data) || static_cast<size_t>(s.parts_size()) != channels_.size()) {
    return absl::DataLossError("mux: not a snapshot of these machines");
  }
  for (const wire::MuxSnapshot::Part& p : s.parts()) {
    if (p.channel() > 255 || !channels_.contains(static_cast<uint8_t>(p.channel()))) {
      return absl::DataLossError(absl::StrCat("mux: snapshot of unknown channel ", p.channel()));
    }
  }
  if (absl::Status st = default_->restore(s.default_machine()); !st.ok()) return st;
  for (const wire::MuxSnapshot::Part& p : s.parts()) {
    if (absl::Status st = channels_[static_cast<uint8_t>(p.channel())]->restore(p.data());
        !st.ok()) {
      return st;
    }
  }
  return absl::OkStatus();
}

}  // namespace cairn::raft
