#include "runtime-real/host/spd_log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <variant>

namespace cairn::real {
namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

std::string field_text(const EventField& f) {
  struct Visit {
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return fmt::format("{}", v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::string& v) const {
      return v.find_first_of(" \"=") == std::string::npos ? v : fmt::format("\"{}\"", v);
    }
  };
  return std::visit(Visit{}, f.value);
}

}  // namespace

SpdLog::SpdLog(NodeId node, std::shared_ptr<spdlog::logger> logger)
    : node_(node), logger_(std::move(logger)) {}

void SpdLog::write(LogLevel level, std::string_view text) {
  logger_->log(to_spdlog(level), "n{} {}", node_, text);
}

void SpdLog::event(Event event) {
  std::string line = fmt::format("event kind={} node=n{}", event.kind, node_);
  for (const auto& f : event.fields) line += fmt::format(" {}={}", f.key, field_text(f));
  logger_->info("{}", line);
}

bool SpdLog::enabled(LogLevel level) const { return logger_->should_log(to_spdlog(level)); }

bool parse_log_level(std::string_view text, LogLevel* level) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (log_level_name(l) == text) {
      *level = l;
      return true;
    }
  }
  return false;
}

std::shared_ptr<spdlog::logger> make_process_logger(LogLevel level) {
  auto logger =
      std::make_shared<spdlog::logger>("cairnd", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->set_level(to_spdlog(level));
  logger->flush_on(spdlog::level::info);
  return logger;
}

}  // namespace cairn::real
