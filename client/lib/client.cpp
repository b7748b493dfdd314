#include "mockloop/client.h"

#include <deque>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace mockloop {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

struct client::impl {
  explicit impl(client_options o) : opts(std::move(o)), ws(ioc), resolver(ioc) {}

  client_options opts;
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws;
  tcp::resolver resolver;
  beast::flat_buffer read_buffer;
  std::deque<v1::ServerMessage> inbox;
  std::optional<client_error> ended;  // why the read loop stopped
  int in_flight = 0;                  // our operations not yet completed
  bool reading = false;
  bool writing = false;
  bool open = false;
  bool paused = false;
  bool finished = false;  // the connection is over (close frame or error)
  uint32_t next_request_id = 1;

  milliseconds pick(std::optional<milliseconds> t) const { return t.value_or(opts.timeout); }

  // Runs our I/O until done() holds or the deadline passes. False on
  // timeout, or when nothing we wait on can happen any more.
  template <class Done>
  bool run_until(Done done, milliseconds timeout) {
    const auto deadline = steady_clock::now() + timeout;
    while (!done()) {
      if (in_flight == 0) return false;
      const auto now = steady_clock::now();
      if (now >= deadline) return false;
      if (ioc.stopped()) ioc.restart();
      ioc.run_one_for(deadline - now);
    }
    return true;
  }

  void do_read() {
    reading = true;
    ++in_flight;
    ws.async_read(read_buffer, [this](beast::error_code ec, std::size_t) {
      --in_flight;
      reading = false;
      if (ec) {
        open = false;
        finished = true;
        if (ec == websocket::error::closed) {
          const auto& r = ws.reason();
          ended = client_error{client_error::closed, "closed by server: " + std::string(r.reason.c_str()),
                               close_info{static_cast<uint16_t>(r.code), std::string(r.reason.c_str())}};
        } else {
          ended = client_error{client_error::io, ec.message()};
        }
        return;
      }
      const auto data = read_buffer.cdata();
      const std::string_view payload(static_cast<const char*>(data.data()), data.size());
      if (opts.frame_observer) opts.frame_observer(payload);
      v1::ServerMessage m;
      const bool want_binary = opts.wire == encoding::binary;
      if (ws.got_binary() != want_binary) {
        ended = client_error{client_error::protocol, "server sent the wrong frame type"};
      } else if (auto err = decode(payload, opts.wire, m)) {
        ended = client_error{client_error::protocol, "undecodable server message: " + err->message};
      } else {
        inbox.push_back(std::move(m));
      }
      read_buffer.consume(read_buffer.size());
      if (!paused) do_read();
    });
  }

  result<ok_t> write(std::shared_ptr<const std::string> bytes, bool binary) {
    if (!open) return client_error{client_error::closed, "not connected"};
    if (writing) return client_error{client_error::io, "a previous write has not finished"};
    ws.binary(binary);
    writing = true;
    ++in_flight;
    // Shared with the handler: it may outlive this call after a timeout.
    auto done = std::make_shared<std::optional<beast::error_code>>();
    ws.async_write(net::buffer(*bytes), [this, bytes, done](beast::error_code ec, std::size_t) {
      --in_flight;
      writing = false;
      *done = ec;
    });
    if (!run_until([&] { return done->has_value(); }, opts.timeout)) {
      // A peer that stopped reading; a half-written frame cannot be taken
      // back, so the connection is done for.
      beast::get_lowest_layer(ws).close();
      open = false;
      return client_error{client_error::timeout, "write timed out"};
    }
    if (**done) return client_error{client_error::io, (*done)->message()};
    return ok_t{};
  }
};

client::client(client_options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}

client::~client() = default;

void client::pause_reading() { impl_->paused = true; }

void client::resume_reading() {
  auto& d = *impl_;
  d.paused = false;
  if (d.open && !d.reading) d.do_read();
}

bool client::is_open() const { return impl_->open; }
size_t client::pending() const { return impl_->inbox.size(); }

result<ok_t> client::connect() {
  auto& d = *impl_;
  // Shared with the handlers, which may outlive this call after a timeout.
  auto step_ptr = std::make_shared<std::optional<beast::error_code>>();
  auto& step = *step_ptr;
  d.ws.read_message_max(d.opts.max_message_bytes);

  auto endpoints = std::make_shared<tcp::resolver::results_type>();
  ++d.in_flight;
  d.resolver.async_resolve(d.opts.host, std::to_string(d.opts.port),
                           [&d, step_ptr, endpoints](beast::error_code ec, tcp::resolver::results_type r) {
                             --d.in_flight;
                             *endpoints = std::move(r);
                             *step_ptr = ec;
                           });
  if (!d.run_until([&] { return step.has_value(); }, d.opts.timeout))
    return client_error{client_error::timeout, "resolve timed out"};
  if (*step) return client_error{client_error::io, "resolve: " + step->message()};

  step.reset();
  auto& tcp_layer = beast::get_lowest_layer(d.ws);
  tcp_layer.expires_after(d.opts.timeout);
  ++d.in_flight;
  tcp_layer.async_connect(*endpoints, [&d, step_ptr](beast::error_code ec, const tcp::endpoint&) {
    --d.in_flight;
    *step_ptr = ec;
  });
  if (!d.run_until([&] { return step.has_value(); }, d.opts.timeout + milliseconds(100)))
    return client_error{client_error::timeout, "connect timed out"};
  if (*step) return client_error{client_error::io, "connect: " + step->message()};
  tcp_layer.socket().set_option(tcp::no_delay(true));
  tcp_layer.expires_never();

  websocket::stream_base::timeout t = websocket::stream_base::timeout::suggested(beast::role_type::client);
  t.handshake_timeout = d.opts.timeout;
  d.ws.set_option(t);
  const std::string protocol = d.opts.subprotocol_override.value_or(std::string(subprotocol_name(d.opts.wire)));
  const std::string origin = d.opts.origin;
  d.ws.set_option(websocket::stream_base::decorator([protocol, origin](websocket::request_type& req) {
    req.set(http::field::user_agent, "mockloop-client");
    if (!protocol.empty()) req.set(http::field::sec_websocket_protocol, protocol);
    if (!origin.empty()) req.set(http::field::origin, origin);
  }));

  step.reset();
  auto res_ptr = std::make_shared<websocket::response_type>();
  auto& res = *res_ptr;
  ++d.in_flight;
  d.ws.async_handshake(res, d.opts.host + ":" + std::to_string(d.opts.port), d.opts.target,
                       [&d, step_ptr, res_ptr](beast::error_code ec) {
                         --d.in_flight;
                         *step_ptr = ec;
                       });
  if (!d.run_until([&] { return step.has_value(); }, d.opts.timeout + milliseconds(100)))
    return client_error{client_error::timeout, "WebSocket handshake timed out"};
  if (*step) {
    client_error e{client_error::refused, "upgrade refused: " + step->message()};
    e.http_status = res.result_int();
    e.http_body = res.body();
    return e;
  }
  if (res[http::field::sec_websocket_protocol] != protocol)
    return client_error{client_error::protocol, "server chose subprotocol '" +
                                                    std::string(res[http::field::sec_websocket_protocol]) + "'"};
  d.open = true;
  d.ws.binary(d.opts.wire == encoding::binary);
  d.do_read();
  return ok_t{};
}

result<v1::Welcome> client::hello(const std::string& display_name, const std::string& user_key,
                                  const std::string& resume_token) {
  v1::ClientMessage m;
  auto* h = m.mutable_hello();
  h->set_client_name("mockloop-client");
  h->set_client_version("0.1.0");
  h->set_display_name(display_name);
  h->set_user_key(user_key);
  h->set_resume_token(resume_token);
  auto reply = request(std::move(m));
  if (!reply) return reply.error();
  if (reply->has_error())
    return client_error{client_error::protocol, v1::ErrorCode_Name(reply->error().code()) + ": " + reply->error().message()};
  if (!reply->has_welcome()) return client_error{client_error::protocol, "expected Welcome"};
  return reply->welcome();
}

result<uint32_t> client::send(v1::ClientMessage m) {
  if (m.request_id() == 0) m.set_request_id(impl_->next_request_id++);
  const auto id = m.request_id();
  auto sent = impl_->write(std::make_shared<const std::string>(encode(m, impl_->opts.wire)),
                           impl_->opts.wire == encoding::binary);
  if (!sent) return sent.error();
  return id;
}

result<ok_t> client::send_raw(const std::string& bytes, bool binary) {
  return impl_->write(std::make_shared<const std::string>(bytes), binary);
}

result<v1::ServerMessage> client::receive(std::optional<milliseconds> timeout) {
  auto& d = *impl_;
  d.run_until([&] { return !d.inbox.empty(); }, d.pick(timeout));
  if (!d.inbox.empty()) {
    auto m = std::move(d.inbox.front());
    d.inbox.pop_front();
    return m;
  }
  if (d.ended) return *d.ended;
  return client_error{client_error::timeout, "no message within the timeout"};
}

result<v1::ServerMessage> client::request(v1::ClientMessage m, std::optional<milliseconds> timeout) {
  auto& d = *impl_;
  auto id = send(std::move(m));
  if (!id) return id.error();
  auto find = [&]() -> std::optional<v1::ServerMessage> {
    for (auto it = d.inbox.begin(); it != d.inbox.end(); ++it) {
      if (it->request_id() == id.value()) {
        auto found = std::move(*it);
        d.inbox.erase(it);
        return found;
      }
    }
    return std::nullopt;
  };
  std::optional<v1::ServerMessage> reply;
  d.run_until([&] { return (reply = find()).has_value(); }, d.pick(timeout));
  if (reply) return std::move(*reply);
  if (d.ended) return *d.ended;
  return client_error{client_error::timeout, "no reply within the timeout"};
}

result<v1::ServerMessage> client::wait_for(const std::function<bool(const v1::ServerMessage&)>& pred,
                                           std::optional<milliseconds> timeout) {
  auto& d = *impl_;
  std::optional<v1::ServerMessage> hit;
  auto scan = [&] {
    while (!d.inbox.empty()) {
      auto m = std::move(d.inbox.front());
      d.inbox.pop_front();
      if (pred(m)) {
        hit = std::move(m);
        return true;
      }
    }
    return false;
  };
  d.run_until(scan, d.pick(timeout));
  if (hit) return std::move(*hit);
  if (d.ended) return *d.ended;
  return client_error{client_error::timeout, "no matching message within the timeout"};
}

result<close_info> client::wait_closed(std::optional<milliseconds> timeout) {
  auto& d = *impl_;
  d.run_until([&] { return d.finished; }, d.pick(timeout));
  if (!d.finished) return client_error{client_error::timeout, "server did not close within the timeout"};
  if (d.ended && d.ended->close) return *d.ended->close;
  return client_error{client_error::io, d.ended ? d.ended->message : "closed without a close frame"};
}

void client::close() {
  auto& d = *impl_;
  if (!d.open) return;
  auto done = std::make_shared<bool>(false);
  ++d.in_flight;
  d.ws.async_close(websocket::close_code::normal, [&d, done](beast::error_code) {
    --d.in_flight;
    *done = true;
  });
  if (!d.run_until([&] { return *done && !d.reading; }, d.opts.timeout)) beast::get_lowest_layer(d.ws).close();
  d.open = false;
}

}  // namespace mockloop
