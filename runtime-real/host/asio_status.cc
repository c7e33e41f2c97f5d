#include "absl/strings/str_cat.h"
#include "runtime-real/host/asio.h"

namespace cairn::real {

absl::Status to_status(const boost::system::error_code& ec, std::string_view what) {
  if (!ec) return absl::OkStatus();
  const std::string text =
      absl::StrCat(absl::string_view(what.data(), what.size()), ": ", ec.message());
  namespace e = asio::error;
  if (ec == e::connection_refused || ec == e::connection_reset || ec == e::connection_aborted ||
      ec == e::timed_out || ec == e::eof || ec == e::operation_aborted ||
      ec == e::host_unreachable || ec == e::network_unreachable || ec == e::broken_pipe) {
    return absl::UnavailableError(text);
  }
  return absl::InternalError(text);
}

}  // namespace cairn::real
