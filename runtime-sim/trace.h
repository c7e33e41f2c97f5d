// The event trace of a run: one JSON object per line, simulated time and node first,
// hashed as it is written (SHA-256 of the exact bytes of events.jsonl, followed by those of
// history.jsonl in a run with Raft clients = the trace_hash).
// Same scenario and seed must give the same bytes, so nothing here may depend on wall
// time, addresses or hash-map order.
#pragma once

#include <openssl/evp.h>

#include <cstdio>
#include <string>

#include "core/runtime/log.h"
#include "core/runtime/time.h"

namespace cairn::sim {

// JSON text helpers shared by the trace and the summary.
std::string json_string(std::string_view s);
std::string json_number(double v);
// Simulated time as fixed-point seconds with nanosecond digits, e.g. "12.000250000".
std::string format_time(Time t);
// One event for people, e.g. "[  20.000s] sim  fault partition targets=n1 n2 | n3 line=23"
// (what --verbose prints as the run goes).
std::string describe_event(Time at, std::string_view node, const Event& event);

class Trace {
 public:
  // `path` empty: hash only, write nothing.
  explicit Trace(const std::string& path);
  ~Trace();
  Trace(const Trace&) = delete;
  Trace& operator=(const Trace&) = delete;

  void record(Time at, std::string_view node, const Event& event);
  // Adds bytes written beside the trace (history.jsonl) to the hash. REQUIRES: no
  // record() after it.
  void hash_also(std::string_view bytes);
  // Finishes the hash; call once at the end.
  std::string finish();
  uint64_t events() const { return events_; }

 private:
  std::FILE* file_ = nullptr;
  EVP_MD_CTX* sha_ = nullptr;
  uint64_t events_ = 0;
  std::string line_;
};

}  // namespace cairn::sim
