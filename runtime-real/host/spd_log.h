// The real runtime's Log: lines and events go to spdlog, one logger per process.
//
// Lines carry the node ("n3") and the level; events are written as one logfmt line,
// `event kind=member_state node=n3 subject=2 state=dead ...`, so they can be grepped and
// parsed by tests and operators alike. Thread-safe as spdlog's loggers are.
#pragma once

#include <memory>
#include <string>

#include "core/runtime/log.h"
#include "core/runtime/message.h"

namespace spdlog {
class logger;
}

namespace cairn::real {

class SpdLog final : public Log {
 public:
  SpdLog(NodeId node, std::shared_ptr<spdlog::logger> logger);
  void write(LogLevel level, std::string_view text) override;
  void event(Event event) override;
  bool enabled(LogLevel level) const override;

 private:
  NodeId node_;
  std::shared_ptr<spdlog::logger> logger_;
};

// "debug" | "info" | "warn" | "error" -> level; false if unknown.
bool parse_log_level(std::string_view text, LogLevel* level);
// The spdlog logger cairnd uses: stderr, "[time] [level] text", at `level`.
std::shared_ptr<spdlog::logger> make_process_logger(LogLevel level);

}  // namespace cairn::real
