#include "http_get.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace mockloop::cli {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

http_answer http_get(const std::string& host, uint16_t port, const std::string& target,
                     std::chrono::milliseconds timeout) {
  http_answer out;
  net::io_context ioc;
  net::ip::tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) {
    out.error = "resolve " + host + ": " + ec.message();
    return out;
  }
  // The stream's own deadline bounds each step; the whole exchange is a
  // few steps of one small request.
  stream.expires_after(timeout);
  stream.connect(endpoints, ec);
  if (ec) {
    out.error = "connect: " + ec.message();
    return out;
  }
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, host + ":" + std::to_string(port));
  req.set(http::field::user_agent, "mockloop-cli");
  stream.expires_after(timeout);
  http::write(stream, req, ec);
  if (ec) {
    out.error = "send: " + ec.message();
    return out;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(4 * 1024 * 1024);
  stream.expires_after(timeout);
  http::read(stream, buffer, parser, ec);
  if (ec) {
    out.error = "read: " + ec.message();
    return out;
  }
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  out.status = parser.get().result_int();
  out.body = parser.get().body();
  return out;
}

}  // namespace mockloop::cli
