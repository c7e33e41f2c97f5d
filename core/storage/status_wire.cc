#include "core/storage/status_wire.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace cairn::storage {

void to_wire(const absl::Status& status, wire::Status* out) {
  out->set_code(static_cast<int32_t>(status.code()));
  absl::string_view msg = status.message();
  out->set_message(std::string(msg.substr(0, kMaxStatusMessageBytes)));
}

wire::Status to_wire(const absl::Status& status) {
  wire::Status out;
  to_wire(status, &out);
  return out;
}

absl::Status from_wire(const wire::Status& status) {
  const int32_t code = status.code();
  if (code == 0) return absl::OkStatus();
  const auto max = static_cast<int32_t>(absl::StatusCode::kUnauthenticated);  // 16
  if (code < 0 || code > max) {
    return absl::UnknownError(
        absl::StrCat("unrecognized status code ", code, ": ", status.message()));
  }
  return absl::Status(static_cast<absl::StatusCode>(code), status.message());
}

}  // namespace cairn::storage
