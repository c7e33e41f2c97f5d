#include "core/runtime/service.h"

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace cairn {

Node::~Node() {
  routes_.clear();
  while (!services_.empty()) services_.pop_back();
}

absl::Status Node::add(std::unique_ptr<Service> service) {
  CAIRN_ASSERT(service != nullptr);
  for (MessageType type : service->message_types()) {
    if (routes_.contains(type)) {
      return absl::InvalidArgumentError(
          absl::StrCat("message type ", type, " is handled by two services"));
    }
  }
  for (MessageType type : service->message_types()) routes_[type] = service.get();
  services_.push_back(std::move(service));
  return absl::OkStatus();
}

void Node::start() {
  unrouted_ = &runtime_.metrics().counter("messages_unrouted");
  for (auto& s : services_) s->start();
}

void Node::deliver(NodeId from, const Message& message) {
  auto it = routes_.find(message.type);
  if (it == routes_.end()) {
    if (unrouted_ != nullptr) unrouted_->add();
    return;
  }
  it->second->on_message(from, message);
}

void Node::check_invariants() const {
  for (const auto& s : services_) s->check_invariants();
}

}  // namespace cairn
