#include "runtime-real/host/http_server.h"

#include <poll.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cairn::real {
namespace {

constexpr size_t kMaxRequestBytes = 8192;

std::string reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    default:
      return "Error";
  }
}

}  // namespace

class HttpServer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(HttpServer& server, tcp::socket socket)
      : server_(server), alive_(server.alive_), socket_(std::move(socket)), deadline_(server.io_) {}

  void start() {
    deadline_.expires_after(std::chrono::seconds(5));
    deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->socket_.close();
    });
    asio::async_read_until(socket_, asio::dynamic_buffer(request_, kMaxRequestBytes), "\r\n\r\n",
                           [self = shared_from_this()](const boost::system::error_code& ec,
                                                       size_t) { self->on_request(ec); });
  }

 private:
  void on_request(const boost::system::error_code& ec) {
    if (ec || !*alive_) {
      deadline_.cancel();
      return;
    }
    const std::string line = request_.substr(0, request_.find("\r\n"));
    const HttpResponse r = server_.handle(line);
    response_ = absl::StrCat(
        "HTTP/1.1 ", r.status, " ", reason(r.status), "\r\nContent-Type: ", r.content_type,
        "\r\nContent-Length: ", r.body.size(), "\r\nConnection: close\r\n\r\n", r.body);
    asio::async_write(socket_, asio::buffer(response_),
                      [self = shared_from_this()](const boost::system::error_code&, size_t) {
                        boost::system::error_code ignored;
                        self->socket_.shutdown(tcp::socket::shutdown_both, ignored);
                        self->socket_.close(ignored);
                        self->deadline_.cancel();
                      });
  }

  HttpServer& server_;
  std::shared_ptr<bool> alive_;
  tcp::socket socket_;
  asio::steady_timer deadline_;
  std::string request_;
  std::string response_;
};

HttpServer::~HttpServer() { close(); }

absl::StatusOr<uint16_t> HttpServer::listen(const tcp::endpoint& at) {
  boost::system::error_code ec;
  auto acceptor = std::make_unique<tcp::acceptor>(io_);
  acceptor->open(at.protocol(), ec);
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor->bind(at, ec);
  if (!ec) acceptor->listen(64, ec);
  if (ec) return to_status(ec, absl::StrCat("http listen on port ", at.port()));
  const uint16_t port = acceptor->local_endpoint().port();
  acceptor_ = std::move(acceptor);
  accept();
  return port;
}

void HttpServer::accept() {
  acceptor_->async_accept(
      [this, alive = alive_](const boost::system::error_code& ec, tcp::socket socket) {
        if (!*alive || !acceptor_ || !acceptor_->is_open()) return;
        if (!ec) std::make_shared<Session>(*this, std::move(socket))->start();
        accept();
      });
}

HttpResponse HttpServer::handle(const std::string& request_line) const {
  std::vector<std::string> parts = absl::StrSplit(request_line, ' ');
  if (parts.size() != 3 || !absl::StartsWith(parts[2], "HTTP/1.")) {
    return HttpResponse{400, "text/plain", "bad request\n"};
  }
  if (parts[0] != "GET") return HttpResponse{405, "text/plain", "only GET\n"};
  const std::string path = parts[1].substr(0, parts[1].find('?'));
  auto it = routes_.find(path);
  if (it == routes_.end()) return HttpResponse{404, "text/plain", "no such path\n"};
  return it->second();
}

void HttpServer::close() {
  *alive_ = false;
  boost::system::error_code ignored;
  if (acceptor_) acceptor_->close(ignored);
}

absl::StatusOr<std::string> http_get(const std::string& host, uint16_t port,
                                     const std::string& path, int timeout_ms) {
  asio::io_context io;
  tcp::socket socket(io);
  boost::system::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (!ec) asio::connect(socket, endpoints, ec);
  if (ec) return to_status(ec, absl::StrCat("connect to ", host, ":", port));
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: ", host, "\r\nConnection: close\r\n\r\n");
  asio::write(socket, asio::buffer(request), ec);
  std::string response;
  char buf[4096];
  while (!ec) {
    pollfd p{socket.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) {
      return absl::DeadlineExceededError(absl::StrCat("no answer from ", host, ":", port));
    }
    const size_t n = socket.read_some(asio::buffer(buf), ec);
    response.append(buf, n);
  }
  if (ec != asio::error::eof) return to_status(ec, "read http answer");
  const size_t body = response.find("\r\n\r\n");
  if (body == std::string::npos) return absl::InternalError("malformed http answer");
  if (!absl::StartsWith(response, "HTTP/1.1 200")) {
    return absl::InternalError(response.substr(0, response.find("\r\n")));
  }
  return response.substr(body + 4);
}

}  // namespace cairn::real
