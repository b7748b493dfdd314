// One HTTP connection (Beast's chat-multi http_session): serves /healthz,
// /metrics and the web client's files, and hands a WebSocket upgrade at /ws
// to a websocket_session once the subprotocol and capacity check out.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "hub.h"

namespace mockloop {

class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<hub> h);
  void run();

 private:
  void fail(boost::beast::error_code ec, const char* what);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void upgrade();
  void calendar(std::string rest);
  void debrief(std::string id);
  void do_write(boost::beast::http::message_generator msg);
  void on_write(bool keep_alive, boost::beast::error_code ec, std::size_t bytes);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::shared_ptr<hub> hub_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
};

}  // namespace mockloop
