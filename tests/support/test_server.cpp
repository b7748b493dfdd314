#include "test_server.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

namespace mockloop::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

test_server::test_server(const std::function<void(server_config&)>& tweak) {
  config_.port = 0;
  config_.threads = 2;
  config_.web_root = std::string(MOCKLOOP_SOURCE_DIR) + "/client/web";
  // A store of its own: rooms left open by one test's server (a clean stop
  // keeps them for the next start) must not come back in the next test's.
  static std::atomic<int> instances{0};
  own_data_dir_ = ::testing::TempDir() + "mockloop-test-data-" + std::to_string(::getpid()) + "-" +
                  std::to_string(instances.fetch_add(1));
  std::filesystem::remove_all(own_data_dir_);
  config_.data_dir = own_data_dir_;
  // Every test client comes from 127.0.0.1: per-address message limits are
  // off unless a test is about them.
  config_.messages_per_second_per_ip = 0;
  if (tweak) tweak(config_);
  server_ = std::make_unique<server>(config_);
  server_->start();
  thread_ = std::thread([this] { server_->run(false); });
}

test_server::~test_server() {
  if (thread_.joinable()) {
    server_->shutdown();
    thread_.join();
  }
  server_.reset();
  std::error_code ec;
  if (config_.data_dir == own_data_dir_) std::filesystem::remove_all(own_data_dir_, ec);
}

void test_server::join() {
  if (thread_.joinable()) thread_.join();
}

client_options test_server::options(encoding wire) const {
  client_options o;
  o.port = port();
  o.wire = wire;
  o.timeout = std::chrono::seconds(5);
  return o;
}

std::unique_ptr<client> test_server::connect(encoding wire, bool hello, const std::string& name) {
  auto c = std::make_unique<client>(options(wire));
  auto connected = c->connect();
  if (!connected) {
    ADD_FAILURE() << "connect: " << connected.error().message;
    return nullptr;
  }
  if (hello) {
    auto w = c->hello(name);
    if (!w) {
      ADD_FAILURE() << "hello: " << w.error().message;
      return nullptr;
    }
  }
  return c;
}

namespace {

http_reply http_once(uint16_t port, const std::string& target, const std::string& method, const std::string& body,
                     beast::error_code& ec) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(5));
  stream.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return {};
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req, ec);
  if (ec) return {};
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(16 * 1024 * 1024);
  if (method == "HEAD") parser.skip(true);
  http::read(stream, buffer, parser, ec);
  if (ec) return {};
  beast::error_code ignored;
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  const auto& res = parser.get();
  return {res.result_int(), std::string(res[http::field::content_type]), res.body()};
}

}  // namespace

http_reply http_get(uint16_t port, const std::string& target, const std::string& method, const std::string& body) {
  // A GET or HEAD whose fresh connection was reset before any response is
  // tried again, as HTTP clients do for idempotent requests (RFC 9110
  // 9.2.2): a CI host under load has been seen to reset one loopback
  // connection in thousands. A server that is gone stays gone: three
  // failures in a row are reported, never hidden.
  const bool idempotent = method == "GET" || method == "HEAD";
  beast::error_code ec;
  for (int attempt = 1;; ++attempt) {
    ec = {};
    auto reply = http_once(port, target, method, body, ec);
    if (!ec) return reply;
    const bool reset = ec == net::error::connection_reset || ec == http::error::end_of_stream;
    if (!idempotent || !reset || attempt == 3) break;
    std::cerr << "[ http_get ] " << method << " " << target << ": " << ec.message() << ", trying again" << std::endl;
  }
  return {0, "", "no response: " + ec.message()};
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace mockloop::testing
