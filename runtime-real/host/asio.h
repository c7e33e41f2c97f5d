// The one way runtime-real includes Boost.Asio (C++20 on gcc 12 needs <utility> first,
// see TOOLCHAIN.md), plus the adapter that turns Asio error codes into absl::Status and
// the completion condition every bulk write uses.
#pragma once

// clang-format off
#include <utility>
#include <boost/asio.hpp>
// clang-format on

#include <string_view>

#include "absl/status/status.h"

namespace cairn::real {

namespace asio = boost::asio;
using boost::asio::ip::tcp;

// Unavailable for the transient network errors (refused, reset, aborted, timed out, eof),
// Internal for anything else; `what` says which operation failed.
absl::Status to_status(const boost::system::error_code& ec, std::string_view what);

// For asio::async_write: everything, as transfer_all, but without its 64 KiB cap on each
// write call (default_max_transfer_size), which turns a gathered 4 MiB of frames into 64
// sendmsg calls and as many wake-ups; the kernel takes what the socket buffer holds.
struct TransferAllUncapped {
  size_t operator()(const boost::system::error_code& ec, size_t) const {
    return ec ? 0 : size_t{1} << 30;
  }
};

}  // namespace cairn::real
