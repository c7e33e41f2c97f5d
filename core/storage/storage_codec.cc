#include "core/storage/storage_codec.h"

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/storage/status_wire.h"
#include "core/storage/storage.pb.h"
#include "core/wire/message_types.h"

namespace cairn::storage {
namespace {

namespace mt = cairn::wire;

absl::Status invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("storage message: ", what));
}

absl::Status check_header(const Message& m, const DecodeLimits& limits) {
  if (m.header.size() > limits.max_header_bytes) {
    return invalid(absl::StrCat("header of ", m.header.size(), " bytes over the limit of ",
                                limits.max_header_bytes));
  }
  return absl::OkStatus();
}

absl::StatusOr<Request> decode_request(const wire::ShardRequest& w, const Message& m,
                                       const DecodeLimits& limits) {
  if (!m.payload.empty()) return invalid("a request with a payload");
  Request r;
  r.id = w.request_id();
  auto one = [&r](const wire::Digest& d) -> absl::Status {
    absl::StatusOr<cas::Digest> got = digest_from(d);
    if (!got.ok()) return got.status();
    r.digest = *got;
    return absl::OkStatus();
  };
  absl::Status st;
  switch (w.body_case()) {
    case wire::ShardRequest::kFindMissing: {
      r.kind = RequestKind::kFindMissing;
      const auto& ds = w.find_missing().digests();
      if (static_cast<uint64_t>(ds.size()) > limits.max_find_missing) {
        return invalid(absl::StrCat("find_missing of ", ds.size(), " digests over the limit of ",
                                    limits.max_find_missing));
      }
      for (const wire::Digest& d : ds) {
        absl::StatusOr<cas::Digest> got = digest_from(d);
        if (!got.ok()) return got.status();
        r.digests.push_back(*got);
      }
      return r;
    }
    case wire::ShardRequest::kStat:
      r.kind = RequestKind::kStat;
      st = one(w.stat().digest());
      break;
    case wire::ShardRequest::kDelete:
      r.kind = RequestKind::kDelete;
      r.idle_for_ms = w.delete_().idle_for_ms();
      st = one(w.delete_().digest());
      break;
    case wire::ShardRequest::kList:
      r.kind = RequestKind::kList;
      r.max = w.list().max();
      if (r.max > limits.max_find_missing) {
        return invalid(absl::StrCat("a listing of ", r.max, " digests over the limit of ",
                                    limits.max_find_missing));
      }
      r.has_digest = w.list().has_after();
      if (r.has_digest) st = one(w.list().after());
      break;
    case wire::ShardRequest::kPut:
      r.kind = RequestKind::kPut;
      r.window_bytes = w.put().window_bytes();
      st = one(w.put().digest());
      break;
    case wire::ShardRequest::kGet:
      r.kind = RequestKind::kGet;
      r.offset = w.get().offset();
      r.length = w.get().length();
      r.window_bytes = w.get().window_bytes();
      if (r.offset + r.length < r.offset) return invalid("a get range that wraps around");
      st = one(w.get().digest());
      break;
    default:
      return invalid("a request without a body");
  }
  if (!st.ok()) return st;
  if ((r.kind == RequestKind::kPut || r.kind == RequestKind::kGet) && r.window_bytes == 0) {
    return invalid("a transfer with a window of 0 bytes");
  }
  return r;
}

absl::StatusOr<Frame> decode_frame(const Message& m, const DecodeLimits& limits) {
  wire::ShardFrame w;
  if (!w.ParseFromString(m.header)) return invalid("unreadable frame header");
  if (w.request_id() == 0) return invalid("a frame without a request id");
  if (m.payload.empty()) return invalid("an empty frame");
  if (m.payload.size() > limits.max_frame_bytes) {
    return invalid(absl::StrCat("frame of ", m.payload.size(), " bytes over the limit of ",
                                limits.max_frame_bytes));
  }
  if (w.offset() + m.payload.size() < w.offset()) return invalid("a frame that wraps around");
  return Frame{.id = w.request_id(), .offset = w.offset(), .bytes = m.payload};
}

absl::StatusOr<Control> decode_control(const Message& m) {
  wire::ShardControl w;
  if (!w.ParseFromString(m.header)) return invalid("unreadable control");
  if (w.request_id() == 0) return invalid("a control without a request id");
  if (!m.payload.empty()) return invalid("a control with a payload");
  return Control{.id = w.request_id(),
                 .acked_bytes = w.acked_bytes(),
                 .cancel = w.cancel(),
                 .window_bytes = w.window_bytes(),
                 .frame_bytes = w.frame_bytes()};
}

absl::StatusOr<Response> decode_response(const Message& m, const DecodeLimits& limits) {
  wire::ShardResponse w;
  if (!w.ParseFromString(m.header)) return invalid("unreadable response");
  if (w.request_id() == 0) return invalid("a response without a request id");
  if (!m.payload.empty()) return invalid("a response with a payload");
  Response r{.id = w.request_id(),
             .status = from_wire(w.status()),
             .size_bytes = w.size_bytes(),
             .deduplicated = w.deduplicated()};
  if (static_cast<uint64_t>(w.missing().size()) > limits.max_find_missing ||
      static_cast<uint64_t>(w.listed().size()) > limits.max_find_missing) {
    return invalid(
        absl::StrCat("a response naming more than ", limits.max_find_missing, " digests"));
  }
  r.more = w.more();
  for (auto [from, to] : {std::pair{&w.missing(), &r.missing}, std::pair{&w.listed(), &r.listed}}) {
    for (const wire::Digest& d : *from) {
      absl::StatusOr<cas::Digest> got = digest_from(d);
      if (!got.ok()) return got.status();
      to->push_back(*got);
    }
  }
  return r;
}

// The request id of a header, when it parses as a message with one in field 1.
template <typename W>
void peek_id(const Message& m, uint64_t* request_id) {
  W w;
  if (request_id != nullptr && w.ParseFromString(m.header)) *request_id = w.request_id();
}

// One decoded message, or its error, as a member of the direction's variant.
template <typename Variant, typename T>
absl::StatusOr<Variant> lift(absl::StatusOr<T> got) {
  if (!got.ok()) return got.status();
  return Variant(std::move(*got));
}

}  // namespace

absl::StatusOr<cas::Digest> digest_from(const wire::Digest& d) {
  if (d.sha256().size() != cas::Digest::kHashBytes) {
    return absl::InvalidArgumentError(absl::StrCat("storage message: ", "a digest of ",
                                                   d.sha256().size(), " hash bytes, not 32"));
  }
  cas::Digest::Hash hash;
  std::memcpy(hash.data(), d.sha256().data(), hash.size());
  return cas::Digest(hash, d.size_bytes());
}

void digest_to(const cas::Digest& d, wire::Digest* out) {
  out->set_sha256(std::string(reinterpret_cast<const char*>(d.hash().data()), d.hash().size()));
  out->set_size_bytes(d.size_bytes());
}

absl::StatusOr<NodeBound> decode_node_bound(const Message& m, const DecodeLimits& limits,
                                            uint64_t* request_id) {
  if (request_id != nullptr) *request_id = 0;
  if (absl::Status st = check_header(m, limits); !st.ok()) return st;
  switch (m.type) {
    case mt::kShardRequest: {
      wire::ShardRequest w;
      if (!w.ParseFromString(m.header)) return invalid("unreadable request");
      if (request_id != nullptr) *request_id = w.request_id();
      if (w.request_id() == 0) return invalid("a request without a request id");
      return lift<NodeBound>(decode_request(w, m, limits));
    }
    case mt::kShardPutFrame:
      peek_id<wire::ShardFrame>(m, request_id);
      return lift<NodeBound>(decode_frame(m, limits));
    case mt::kShardControl:
      peek_id<wire::ShardControl>(m, request_id);
      return lift<NodeBound>(decode_control(m));
    default:
      return invalid(absl::StrCat("type ", m.type, " is not a node-bound storage message"));
  }
}

absl::StatusOr<ClientBound> decode_client_bound(const Message& m, const DecodeLimits& limits,
                                                uint64_t* request_id) {
  if (request_id != nullptr) *request_id = 0;
  if (absl::Status st = check_header(m, limits); !st.ok()) return st;
  switch (m.type) {
    case mt::kShardResponse:
      peek_id<wire::ShardResponse>(m, request_id);
      return lift<ClientBound>(decode_response(m, limits));
    case mt::kShardGetFrame:
      peek_id<wire::ShardFrame>(m, request_id);
      return lift<ClientBound>(decode_frame(m, limits));
    case mt::kShardPutCredit: {
      peek_id<wire::ShardControl>(m, request_id);
      absl::StatusOr<Control> c = decode_control(m);
      if (c.ok() && c->cancel) return invalid("a cancel sent to a client");
      return lift<ClientBound>(std::move(c));
    }
    case mt::kShardWorking: {
      peek_id<wire::ShardControl>(m, request_id);
      absl::StatusOr<Control> c = decode_control(m);
      if (c.ok() &&
          (c->cancel || c->acked_bytes != 0 || c->window_bytes != 0 || c->frame_bytes != 0)) {
        return invalid("a working notice carrying credit or a cancel");
      }
      if (c.ok()) c->working = true;
      return lift<ClientBound>(std::move(c));
    }
    default:
      return invalid(absl::StrCat("type ", m.type, " is not a client-bound storage message"));
  }
}

Message encode(const Request& r) {
  wire::ShardRequest w;
  w.set_request_id(r.id);
  switch (r.kind) {
    case RequestKind::kFindMissing:
      for (const cas::Digest& d : r.digests) digest_to(d, w.mutable_find_missing()->add_digests());
      if (r.digests.empty()) w.mutable_find_missing();
      break;
    case RequestKind::kStat:
      digest_to(r.digest, w.mutable_stat()->mutable_digest());
      break;
    case RequestKind::kDelete:
      digest_to(r.digest, w.mutable_delete_()->mutable_digest());
      w.mutable_delete_()->set_idle_for_ms(r.idle_for_ms);
      break;
    case RequestKind::kList:
      w.mutable_list()->set_max(r.max);
      if (r.has_digest) digest_to(r.digest, w.mutable_list()->mutable_after());
      break;
    case RequestKind::kPut:
      digest_to(r.digest, w.mutable_put()->mutable_digest());
      w.mutable_put()->set_window_bytes(r.window_bytes);
      break;
    case RequestKind::kGet:
      digest_to(r.digest, w.mutable_get()->mutable_digest());
      w.mutable_get()->set_offset(r.offset);
      w.mutable_get()->set_length(r.length);
      w.mutable_get()->set_window_bytes(r.window_bytes);
      break;
  }
  return Message{.type = mt::kShardRequest, .header = w.SerializeAsString()};
}

namespace {
Message frame_message(MessageType type, const Frame& f) {
  wire::ShardFrame w;
  w.set_request_id(f.id);
  w.set_offset(f.offset);
  return Message{.type = type, .header = w.SerializeAsString(), .payload = f.bytes};
}
Message control_message(MessageType type, const Control& c) {
  wire::ShardControl w;
  w.set_request_id(c.id);
  w.set_acked_bytes(c.acked_bytes);
  w.set_cancel(c.cancel);
  w.set_window_bytes(c.window_bytes);
  w.set_frame_bytes(c.frame_bytes);
  return Message{.type = type, .header = w.SerializeAsString()};
}
}  // namespace

Message encode_put_frame(const Frame& f) { return frame_message(mt::kShardPutFrame, f); }
Message encode_get_frame(const Frame& f) { return frame_message(mt::kShardGetFrame, f); }
Message encode_control(const Control& c) { return control_message(mt::kShardControl, c); }
Message encode_put_credit(const Control& c) { return control_message(mt::kShardPutCredit, c); }
Message encode_working(uint64_t id) {
  return control_message(mt::kShardWorking, Control{.id = id});
}

Message encode(const Response& r) {
  wire::ShardResponse w;
  w.set_request_id(r.id);
  to_wire(r.status, w.mutable_status());
  for (const cas::Digest& d : r.missing) digest_to(d, w.add_missing());
  for (const cas::Digest& d : r.listed) digest_to(d, w.add_listed());
  w.set_more(r.more);
  w.set_size_bytes(r.size_bytes);
  w.set_deduplicated(r.deduplicated);
  return Message{.type = mt::kShardResponse, .header = w.SerializeAsString()};
}

}  // namespace cairn::storage
