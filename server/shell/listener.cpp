#include "listener.h"

#include <stdexcept>

#include <spdlog/spdlog.h>

#include "http_session.h"

namespace mockloop {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

listener::listener(net::io_context& ioc, const tcp::endpoint& endpoint, std::shared_ptr<hub> h)
    : ioc_(ioc), acceptor_(net::make_strand(ioc)), backoff_(acceptor_.get_executor()), hub_(std::move(h)) {
  beast::error_code ec;
  auto check = [&](const char* what) {
    if (ec)
      throw std::runtime_error(std::string(what) + " " + endpoint.address().to_string() + ":" +
                               std::to_string(endpoint.port()) + ": " + ec.message());
  };
  acceptor_.open(endpoint.protocol(), ec);
  check("open");
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  check("set reuse_address on");
  acceptor_.bind(endpoint, ec);
  check("bind");
  acceptor_.listen(net::socket_base::max_listen_connections, ec);
  check("listen on");
  port_ = acceptor_.local_endpoint().port();
}

void listener::run() { do_accept(); }

void listener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor_.close(ec);
    self->backoff_.cancel();
  });
}

void listener::do_accept() {
  // Each connection gets its own strand: its handlers never run at once.
  acceptor_.async_accept(net::make_strand(ioc_), beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Out of file descriptors and the like: back off briefly rather than
    // spin, and keep serving the connections we have.
    spdlog::warn("accept: {}", ec.message());
    backoff_.expires_after(std::chrono::milliseconds(50));
    backoff_.async_wait([self = shared_from_this()](beast::error_code e) {
      if (!e) self->do_accept();
    });
    return;
  }
  socket.set_option(tcp::no_delay(true), ec);  // ticks are small and latency-bound
  std::make_shared<http_session>(std::move(socket), hub_)->run();
  do_accept();
}

}  // namespace mockloop
