// The bare baseline for mockloop-load (docs/load.md): a minimal Beast
// WebSocket broadcast server with no application logic, so that the cost of
// mockloop's own logic is a ratio measured on one machine in one sitting.
//
// It speaks just enough of mockloop.v1.proto for the load generator's ticks
// and idle modes: Hello -> Welcome, CreateRoom -> RoomCreated (one join
// code per role, all the room's id), JoinRoom -> Joined, anything else ->
// Ack. A room ticks once a second from its creation to every member, with a
// Tick shaped like mockloop's (same fields, same sizes) stamped with
// sent_at_us at serialisation. The structure is mockloop's own, the Beast
// chat-multi example: a strand per connection, a strand and a timer per
// room, each tick serialised once and shared by every member's queue, the
// same WebSocket timeouts and no permessage-deflate. Nothing else: no
// validation, rate limits, registry or room state.
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "mockloop/codec.h"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace mockloop;

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t unix_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string random_hex(size_t bytes) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < bytes; ++i) {
    const auto b = rng() & 0xff;
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

class session;

class room : public std::enable_shared_from_this<room> {
 public:
  room(net::io_context& ioc, std::string id) : strand_(net::make_strand(ioc)), timer_(strand_), id_(std::move(id)) {}

  const std::string& id() const { return id_; }

  void start() {
    net::post(strand_, [self = shared_from_this()] {
      self->created_ms_ = unix_ms();
      self->next_ = std::chrono::steady_clock::now();
      self->schedule();
    });
  }
  void join(std::shared_ptr<session> s);
  void leave(const session* s);

 private:
  void schedule() {
    next_ += std::chrono::seconds(1);
    timer_.expires_at(next_);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->on_tick();
    });
  }
  void on_tick();

  net::strand<net::io_context::executor_type> strand_;
  net::steady_timer timer_;
  std::string id_;
  std::vector<std::weak_ptr<session>> members_;
  std::chrono::steady_clock::time_point next_;
  int64_t created_ms_ = 0;
  bool ended_ = false;
};

// Rooms by join code (the room id); the one piece of shared state.
class directory {
 public:
  std::shared_ptr<room> create(net::io_context& ioc) {
    auto r = std::make_shared<room>(ioc, random_hex(8));
    std::lock_guard lock(mutex_);
    rooms_[r->id()] = r;
    return r;
  }
  std::shared_ptr<room> find(const std::string& code) {
    std::lock_guard lock(mutex_);
    const auto it = rooms_.find(code);
    return it == rooms_.end() ? nullptr : it->second;
  }
  void remove(const std::string& id) {
    std::lock_guard lock(mutex_);
    rooms_.erase(id);
  }
  void clear() {
    std::lock_guard lock(mutex_);
    rooms_.clear();
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<room>> rooms_;
};

directory rooms_by_code;

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket&& socket, net::io_context& ioc) : ws_(std::move(socket)), ioc_(ioc), id_(random_hex(8)) {}

  ~session() {
    if (room_) room_->leave(this);
  }

  void run() {
    // The same options as mockloop's sessions.
    websocket::stream_base::timeout t;
    t.handshake_timeout = std::chrono::seconds(10);
    t.idle_timeout = std::chrono::seconds(60);
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.read_message_max(64 * 1024);
    ws_.binary(true);
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(http::field::server, "bare-broadcast");
      res.set(http::field::sec_websocket_protocol, subprotocol_binary);
    }));
    ws_.async_accept(beast::bind_front_handler(&session::on_accept, shared_from_this()));
  }

  // Thread-safe: queue a frame shared by many receivers.
  void send(std::shared_ptr<const std::string> frame) {
    net::post(ws_.get_executor(),
              [self = shared_from_this(), f = std::move(frame)]() mutable { self->enqueue(std::move(f)); });
  }

 private:
  void on_accept(beast::error_code ec) {
    if (ec) return;
    do_read();
  }

  void do_read() { ws_.async_read(buf_, beast::bind_front_handler(&session::on_read, shared_from_this())); }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return;
    const auto data = buf_.cdata();
    v1::ClientMessage m;
    const bool ok = !decode({static_cast<const char*>(data.data()), data.size()}, encoding::binary, m);
    buf_.consume(buf_.size());
    if (ok) handle(m);
    do_read();
  }

  void handle(const v1::ClientMessage& m) {
    v1::ServerMessage out;
    out.set_request_id(m.request_id());
    switch (m.body_case()) {
      case v1::ClientMessage::kHello: {
        auto* w = out.mutable_welcome();
        w->set_session_id(id_);
        w->set_resume_token(random_hex(16));
        w->set_server_version("0.1.0");
        w->set_server_time_ms(unix_ms());
        w->set_max_frame_bytes(64 * 1024);
        w->set_max_messages_per_second(20);
        break;
      }
      case v1::ClientMessage::kCreateRoom: {
        room_ = rooms_by_code.create(ioc_);
        room_->start();
        room_->join(shared_from_this());
        auto* rc = out.mutable_room_created();
        rc->set_room_id(room_->id());
        for (auto role : {v1::ROLE_CANDIDATE, v1::ROLE_INTERVIEWER, v1::ROLE_OBSERVER}) {
          auto* c = rc->add_codes();
          c->set_role(role);
          c->set_code(room_->id());
        }
        break;
      }
      case v1::ClientMessage::kJoinRoom: {
        room_ = rooms_by_code.find(m.join_room().code());
        if (!room_) {
          out.mutable_error()->set_code(v1::ERROR_CODE_NOT_FOUND);
          break;
        }
        room_->join(shared_from_this());
        auto* j = out.mutable_joined();
        j->set_room_id(room_->id());
        j->set_role(v1::ROLE_OBSERVER);
        j->set_participant_id(id_);
        break;
      }
      default:
        out.mutable_ack();
    }
    enqueue(std::make_shared<const std::string>(encode(out, encoding::binary)));
  }

  void enqueue(std::shared_ptr<const std::string> frame) {
    queue_.push_back(std::move(frame));
    if (queue_.size() == 1) do_write();
  }

  void do_write() {
    ws_.async_write(net::buffer(*queue_.front()), beast::bind_front_handler(&session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    queue_.pop_front();
    if (ec) return queue_.clear();
    if (!queue_.empty()) do_write();
  }

  websocket::stream<beast::tcp_stream> ws_;
  net::io_context& ioc_;
  std::string id_;
  beast::flat_buffer buf_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::shared_ptr<room> room_;
};

void room::join(std::shared_ptr<session> s) {
  net::post(strand_, [self = shared_from_this(), s = std::move(s)] { self->members_.push_back(s); });
}

void room::leave(const session* s) {
  net::post(strand_, [self = shared_from_this(), s] {
    std::erase_if(self->members_, [&](const auto& w) {
      const auto p = w.lock();
      return !p || p.get() == s;
    });
    if (self->members_.empty() && !self->ended_) {
      self->ended_ = true;
      self->timer_.cancel();
      rooms_by_code.remove(self->id_);
    }
  });
}

void room::on_tick() {
  if (ended_) return;
  const int64_t now = unix_ms();
  v1::ServerMessage m;
  auto* t = m.mutable_tick();
  t->set_room_id(id_);
  auto* c = t->mutable_clock();
  c->set_stage(v1::ROOM_STAGE_INTERVIEW);
  c->set_phase_id("clarify");  // 20 characters with the name: the library's mean for a first phase
  c->set_phase_name("Clarify scope");
  c->set_phase_index(0);
  c->set_deadline_ms(created_ms_ + 300'000);
  c->set_remaining_ms(std::max<int64_t>(0, created_ms_ + 300'000 - now));
  c->set_server_time_ms(now);
  c->set_interview_elapsed_ms(now - created_ms_);
  t->set_sent_at_us(unix_us());
  const auto frame = std::make_shared<const std::string>(encode(m, encoding::binary));
  for (const auto& w : members_)
    if (auto s = w.lock()) s->send(frame);
  schedule();
}

class listener : public std::enable_shared_from_this<listener> {
 public:
  listener(net::io_context& ioc, const tcp::endpoint& ep) : ioc_(ioc), acceptor_(net::make_strand(ioc)) {
    acceptor_.open(ep.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void do_accept() {
    acceptor_.async_accept(net::make_strand(ioc_), [self = shared_from_this()](beast::error_code ec, tcp::socket s) {
      if (!ec) {
        s.set_option(tcp::no_delay(true), ec);
        std::make_shared<session>(std::move(s), self->ioc_)->run();
      }
      self->do_accept();
    });
  }

 private:
  net::io_context& ioc_;
  tcp::acceptor acceptor_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  unsigned port = 0, threads = std::max(1u, std::thread::hardware_concurrency());
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--host")
      host = v;
    else if (a == "--port")
      port = static_cast<unsigned>(std::stoul(v));
    else if (a == "--threads")
      threads = std::max(1u, static_cast<unsigned>(std::stoul(v)));
    else {
      std::fprintf(stderr, "usage: %s [--host H] [--port P] [--threads N]\n", argv[0]);
      return 2;
    }
  }
  net::io_context ioc(static_cast<int>(threads));
  beast::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec) {
    std::fprintf(stderr, "bad --host %s\n", host.c_str());
    return 2;
  }
  std::shared_ptr<listener> l;
  try {
    l = std::make_shared<listener>(ioc, tcp::endpoint{address, static_cast<uint16_t>(port)});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "listen: %s\n", e.what());
    return 1;
  }
  l->do_accept();
  std::printf("listening on http://%s:%u (%u threads)\n", host.c_str(), l->port(), threads);
  std::fflush(stdout);
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) { ioc.stop(); });
  std::vector<std::thread> extra;
  for (unsigned i = 1; i < threads; ++i) extra.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : extra) t.join();
  rooms_by_code.clear();  // rooms own timers of ioc: gone before it is
  return 0;
}
