// etcd_http_bench: closed-loop puts against etcd v3's JSON gateway (POST /v3/kv/put), the
// baseline of scripts/bench_files.sh. Not a test.
//
//   etcd_http_bench --endpoint 127.0.0.1:2379 [--clients 1] [--seconds 10]
//                   [--value-bytes 4096]
//
// Each client is a thread with one keep-alive HTTP/1.1 connection of its own and one put in
// flight; every put writes a new key (bench/<run>/c<i>/<n>, like `cairn bench`'s new file
// per put). Prints one JSON object with the same fields as `cairn bench --json`: ops_per_s,
// p50_ms, p90_ms, p99_ms, max_ms, failed. The gateway is etcd's own HTTP front (grpc-gateway
// in the etcd process, which calls its gRPC server over loopback), so each put costs etcd a
// little more than through gRPC: as a baseline it errs in Cairn's favour.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace {

using Clock = std::chrono::steady_clock;

int connect_to(const std::string& host, int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, host.c_str(), &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool send_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Reads one response; true if its status is 200. `buf` keeps bytes past it.
bool read_response(int fd, std::string& buf) {
  size_t head_end;
  while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
    char tmp[16384];
    const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
  }
  const std::string head = buf.substr(0, head_end);
  size_t length = 0;
  std::string lower = head;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  const size_t cl = lower.find("content-length:");
  if (cl != std::string::npos) {
    const size_t eol = lower.find("\r\n", cl);
    std::string v = lower.substr(cl + 15, eol - cl - 15);
    v.erase(0, v.find_first_not_of(' '));
    if (!absl::SimpleAtoi(v, &length)) return false;
  }
  while (buf.size() < head_end + 4 + length) {
    char tmp[16384];
    const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
  }
  const bool ok = head.rfind("HTTP/1.1 200", 0) == 0;
  buf.erase(0, head_end + 4 + length);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"etcd_http_bench: closed-loop puts through etcd v3's JSON gateway"};
  std::string endpoint = "127.0.0.1:2379";
  unsigned clients = 1, value_bytes = 4096;
  double seconds = 10;
  app.add_option("--endpoint", endpoint, "HOST:PORT of an etcd client URL");
  app.add_option("--clients", clients, "concurrent clients, one connection each");
  app.add_option("--seconds", seconds, "how long to run");
  app.add_option("--value-bytes", value_bytes, "bytes per value");
  CLI11_PARSE(app, argc, argv);
  const size_t colon = endpoint.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(endpoint.substr(colon + 1), &port)) {
    std::fprintf(stderr, "etcd_http_bench: --endpoint must be HOST:PORT\n");
    return 2;
  }
  const std::string host = endpoint.substr(0, colon);
  const std::string value64 = absl::Base64Escape(std::string(value_bytes, 'v'));
  const auto run = std::chrono::system_clock::now().time_since_epoch().count();

  std::vector<std::vector<double>> lat(clients);
  std::vector<uint64_t> failed(clients, 0);
  const Clock::time_point start = Clock::now();
  const Clock::time_point until =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      int fd = connect_to(host, port);
      std::string buf;
      for (uint64_t n = 0; Clock::now() < until; ++n) {
        if (fd < 0 && (fd = connect_to(host, port)) < 0) {
          ++failed[i];
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          continue;
        }
        const std::string body = absl::StrCat(
            "{\"key\":\"", absl::Base64Escape(absl::StrCat("bench/", run, "/c", i, "/", n)),
            "\",\"value\":\"", value64, "\"}");
        const std::string req =
            absl::StrCat("POST /v3/kv/put HTTP/1.1\r\nHost: ", endpoint,
                         "\r\nContent-Type: application/json\r\nContent-Length: ", body.size(),
                         "\r\n\r\n", body);
        const Clock::time_point sent = Clock::now();
        if (send_all(fd, req) && read_response(fd, buf)) {
          lat[i].push_back(std::chrono::duration<double, std::micro>(Clock::now() - sent).count());
        } else {
          ++failed[i];
          ::close(fd);
          fd = -1;
          buf.clear();
        }
      }
      if (fd >= 0) ::close(fd);
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  uint64_t fails = 0;
  for (unsigned i = 0; i < clients; ++i) {
    all.insert(all.end(), lat[i].begin(), lat[i].end());
    fails += failed[i];
  }
  std::sort(all.begin(), all.end());
  auto pct = [&all](double q) {
    return all.empty() ? 0.0
                       : all[std::min(all.size() - 1, static_cast<size_t>(q * all.size()))] / 1000;
  };
  std::printf(
      "{\"system\":\"etcd\",\"clients\":%u,\"value_bytes\":%u,\"seconds\":%.3f,\"ops\":%zu,"
      "\"failed\":%llu,\"ops_per_s\":%.2f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,"
      "\"max_ms\":%.3f}\n",
      clients, value_bytes, elapsed, all.size(), static_cast<unsigned long long>(fails),
      all.size() / elapsed, pct(0.5), pct(0.9), pct(0.99), all.empty() ? 0.0 : all.back() / 1000);
  return fails == 0 ? 0 : 1;
}
