// The one way runtime-real includes Boost.Asio (C++20 on gcc 12 needs <utility> first,
// see TOOLCHAIN.md), plus the adapter that turns Asio error codes into absl::Status.
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

}  // namespace cairn::real
