// A tiny HTTP/1.1 server on the node's loop, for /metrics, /healthz and /membership.
//
// GET only; one request per connection (the response says Connection: close); requests
// larger than 8 KiB or slower than 5 s are dropped. Handlers run on the node's loop
// thread, so they may read core state directly. Not for untrusted networks.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runtime-real/host/asio.h"

namespace cairn::real {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse()>;

  explicit HttpServer(asio::io_context& io) : io_(io) {}
  ~HttpServer();

  void route(const std::string& path, Handler handler) { routes_[path] = std::move(handler); }
  // Binds and starts serving; returns the bound port.
  absl::StatusOr<uint16_t> listen(const tcp::endpoint& at);
  void close();

 private:
  class Session;
  void accept();
  HttpResponse handle(const std::string& request_line) const;

  asio::io_context& io_;
  std::map<std::string, Handler> routes_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Blocking GET for tools and tests: the body of http://host:port/path, or an error
// (Unavailable when the node cannot be reached, Internal for a non-200 answer).
absl::StatusOr<std::string> http_get(const std::string& host, uint16_t port,
                                     const std::string& path, int timeout_ms = 2000);

}  // namespace cairn::real
