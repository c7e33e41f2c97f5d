#include "tests/real/process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "runtime-real/host/http_server.h"

namespace cairn::real::testing {

pid_t spawn(const std::vector<std::string>& argv, const std::string& log_path) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  ::dup2(fd, 1);
  ::dup2(fd, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

bool exited(pid_t pid, int* code) {
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) != pid) return false;
  *code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return true;
}

int wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  int code = -1;
  wait_until(timeout, [&] { return exited(pid, &code); });
  return code;
}

std::vector<uint16_t> free_ports(int n) {
  std::vector<int> fds;
  std::vector<uint16_t> ports;
  for (int i = 0; i < n; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ports.push_back(ntohs(a.sin_port));
    fds.push_back(fd);  // held open until all are picked, so the ports are distinct
  }
  for (int fd : fds) ::close(fd);
  return ports;
}

bool port_is_free(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

bool wait_until(std::chrono::milliseconds timeout, const std::function<bool()>& done) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= end) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling pace, not a timing
  }
}

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string run_capture(const std::vector<std::string>& argv, int* code) {
  std::string cmd;
  for (const auto& a : argv) cmd += "'" + a + "' ";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = ::pclose(p);
  *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string membership_node_config(int node, const std::map<int, uint16_t>& frame_ports,
                                   const std::map<int, uint16_t>& http_ports,
                                   const std::string& data_dir, const std::string& log_level,
                                   const std::string& membership) {
  std::string out =
      absl::StrCat("node: ", node, "\nlisten: 127.0.0.1:", frame_ports.at(node),
                   "\nhttp: 127.0.0.1:", http_ports.at(node), "\ndata_dir: ", data_dir, "/n", node,
                   "\nroles: [membership]\nlog_level: ", log_level, "\npeers:\n");
  for (const auto& [peer, port] : frame_ports) {
    if (peer != node)
      absl::StrAppend(&out, "  - {node: ", peer, ", address: 127.0.0.1:", port, "}\n");
  }
  absl::StrAppend(&out, "membership: ", membership, "\n");
  return out;
}

std::string member_state(uint16_t http_port, int subject) {
  auto body = http_get("127.0.0.1", http_port, "/membership", 500);
  if (!body.ok()) return "";
  const std::string key = absl::StrCat("\nn", subject, " ");
  const size_t at = body->find(key);
  if (at == std::string::npos) return "";
  const size_t from = at + key.size();
  return body->substr(from, body->find(' ', from) - from);
}

}  // namespace cairn::real::testing
