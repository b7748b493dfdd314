// Accepts TCP connections and gives each an http_session on a strand of
// its own.
#pragma once

#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>

#include "hub.h"

namespace mockloop {

class listener : public std::enable_shared_from_this<listener> {
 public:
  // Throws std::runtime_error if the endpoint cannot be bound (start-up).
  listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint, std::shared_ptr<hub> h);

  void run();
  void stop();  // thread-safe
  uint16_t port() const { return port_; }

 private:
  void do_accept();
  void on_accept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  std::shared_ptr<hub> hub_;
  uint16_t port_ = 0;
};

}  // namespace mockloop
