// Helpers for real-cluster tests: child processes, free loopback ports, bounded waits.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace cairn::real::testing {

// fork + exec `argv`, stdout and stderr appended to `log_path`. Returns the pid.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log_path);
// Waits up to `timeout` for `pid` to exit; its exit code, 128+signal, or -1 on timeout.
int wait_exit(pid_t pid, std::chrono::milliseconds timeout);
// True if `pid` has exited (reaps it).
bool exited(pid_t pid, int* code);
// `n` distinct ports that were free on 127.0.0.1 a moment ago (the kernel picked them).
std::vector<uint16_t> free_ports(int n);
bool port_is_free(uint16_t port);
// Polls `done` every 20 ms until it is true or `timeout` passes; returns its last value.
bool wait_until(std::chrono::milliseconds timeout, const std::function<bool()>& done);
// Every byte of the file at `path` ("" if it cannot be read).
std::string read_whole_file(const std::string& path);
// Output of `argv` (stdout), and its exit code in *code.
std::string run_capture(const std::vector<std::string>& argv, int* code);

// The config of node `node` of a membership-only loopback cluster: frames on
// frame_ports[id], HTTP on http_ports[id] (ids 1..n), data in data_dir/n<node>, every other
// node a peer; `membership` is the section's flow mapping, e.g. "{heartbeat: 200ms}".
std::string membership_node_config(int node, const std::map<int, uint16_t>& frame_ports,
                                   const std::map<int, uint16_t>& http_ports,
                                   const std::string& data_dir, const std::string& log_level,
                                   const std::string& membership);

// "alive" / "suspect" / "dead" as the node serving HTTP on `http_port` sees node n<subject>
// (from its /membership page), or "" if the node does not answer or does not list it.
std::string member_state(uint16_t http_port, int subject);

}  // namespace cairn::real::testing
