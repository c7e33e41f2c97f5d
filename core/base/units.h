// Quantities with units, as users write them in scenario and config files.
//
// Durations: "250us", "1.5ms", "20s", "2m", "1h" (also "ns"). Bandwidths: "1Gbps",
// "100Mbps" (bits per second) or "300MBps", "1GiBps" (bytes per second). Sizes: "4KiB",
// "1MB", "512B". Every parser returns InvalidArgument with a message that names the
// accepted units; nothing is ever guessed (a bare number without a unit is an error).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cairn {

absl::StatusOr<std::chrono::nanoseconds> parse_duration(std::string_view text);
// Bytes per second.
absl::StatusOr<double> parse_bandwidth(std::string_view text);
absl::StatusOr<uint64_t> parse_size(std::string_view text);

// "1.5s", "250us", "0s": the shortest exact-enough form, for messages and summaries.
std::string format_duration(std::chrono::nanoseconds d);

}  // namespace cairn
