#include "worker.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <memory>
#include <random>
#include <set>

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "mockloop/codec.h"

namespace mockloop::load {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

void worker_results::merge(const worker_results& o) {
  attempted += o.attempted;
  opened += o.opened;
  welcomed += o.welcomed;
  connect_failures += o.connect_failures;
  unexpected_closes += o.unexpected_closes;
  decode_failures += o.decode_failures;
  open_at_window_start += o.open_at_window_start;
  open_at_window_end += o.open_at_window_end;
  dropped_in_window += o.dropped_in_window;
  msgs_in += o.msgs_in;
  msgs_out += o.msgs_out;
  bytes_in += o.bytes_in;
  bytes_out += o.bytes_out;
  win_msgs_in += o.win_msgs_in;
  win_msgs_out += o.win_msgs_out;
  win_bytes_in += o.win_bytes_in;
  win_bytes_out += o.win_bytes_out;
  ticks += o.ticks;
  tick_bytes += o.tick_bytes;
  win_ticks += o.win_ticks;
  for (size_t i = 0; i < max_body_field; ++i) {
    win_type_msgs[i] += o.win_type_msgs[i];
    win_type_bytes[i] += o.win_type_bytes[i];
  }
  rooms += o.rooms;
  rooms_running += o.rooms_running;
  rooms_debriefed += o.rooms_debriefed;
  rooms_completed += o.rooms_completed;
  rooms_failed += o.rooms_failed;
  rooms_unfinished += o.rooms_unfinished;
  follow_ups += o.follow_ups;
  notes += o.notes;
  drafts += o.drafts;
  markers += o.markers;
  submissions += o.submissions;
  reveals += o.reveals;
  flow_errors += o.flow_errors;
  for (size_t i = 0; i < std::size(error_replies); ++i) error_replies[i] += o.error_replies[i];
  tick_window.merge(o.tick_window);
  tick_all.merge(o.tick_all);
  follow_up_rtt.merge(o.follow_up_rtt);
  submit_rtt.merge(o.submit_rtt);
  connect.merge(o.connect);
  tick_gap_excess.merge(o.tick_gap_excess);
  for (size_t i = 0; i < max_seconds; ++i) worst_tick_us[i] = std::max(worst_tick_us[i], o.worst_tick_us[i]);
}

namespace {

steady::time_point at_ns(int64_t ns) { return steady::time_point(std::chrono::nanoseconds(ns)); }

int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t micros(steady::duration d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); }

// What a request was for, so its reply goes to the right step.
enum class purpose : uint8_t {
  hello,
  create,
  join,
  start,
  skip,
  follow_up,
  note,
  draft,
  marker,
  submit,
  reveal,
  close
};

class worker;
class conn;

// Whoever drives a set of connections: a simulated room, or idle sessions.
class conn_owner {
 public:
  virtual ~conn_owner() = default;
  virtual void on_ready(conn& c) = 0;  // Welcome received
  virtual void on_reply(conn& c, purpose p, const v1::ServerMessage& m) = 0;
  virtual void on_push(conn& c, const v1::ServerMessage& m) = 0;
  virtual void on_gone(conn& c, bool expected) = 0;
};

class worker {
 public:
  worker(const run_plan& plan, uint32_t index, uint32_t workers);
  worker_results run();

  net::io_context& ioc() { return ioc_; }
  const run_plan& plan() const { return plan_; }
  const tcp::endpoint& endpoint() const { return endpoint_; }
  worker_results& results() { return res_; }
  std::mt19937& rng() { return rng_; }
  bool stopping() const { return stopping_; }

  void conn_born() { ++live_; }
  void conn_opened() { ++open_; }
  void conn_gone(bool was_open, bool expected) {
    if (was_open) --open_;
    if (was_open && !expected && in_window()) ++res_.dropped_in_window;
    --live_;
    maybe_finish();
  }
  void room_done() {
    ++rooms_done_;
    maybe_finish();
  }
  bool in_window(steady::time_point t = steady::now()) const {
    return t >= at_ns(plan_.window_start_ns) && t < at_ns(plan_.window_end_ns);
  }
  void record_tick(int64_t latency_us, int64_t gap_us, size_t bytes, steady::time_point at) {
    ++res_.ticks;
    res_.tick_bytes += bytes;
    res_.tick_all.record(latency_us);
    const auto second =
        static_cast<size_t>(std::max<int64_t>(0, (at.time_since_epoch().count() - plan_.t0_ns) / 1'000'000'000));
    if (second < worker_results::max_seconds)
      res_.worst_tick_us[second] = std::max(res_.worst_tick_us[second], latency_us);
    if (in_window(at)) {
      ++res_.win_ticks;
      res_.tick_window.record(latency_us);
      if (gap_us > 0) res_.tick_gap_excess.record(std::max<int64_t>(0, gap_us - 1'000'000));
    }
  }
  void record_type(int field, size_t bytes, steady::time_point at) {
    const auto i = static_cast<size_t>(field);
    if (i >= worker_results::max_body_field || !in_window(at)) return;
    ++res_.win_type_msgs[i];
    res_.win_type_bytes[i] += bytes;
  }
  // Logs the first few problems of this worker, counts all of them.
  template <class... Args>
  void complain(fmt::format_string<Args...> f, Args&&... args) {
    if (logged_++ < plan_.max_logged_errors)
      spdlog::warn("worker {}: {}", index_, fmt::format(f, std::forward<Args>(args)...));
  }

 private:
  void on_window_start();
  void on_window_end();
  void on_stop();
  void on_deadline();
  void maybe_finish();
  void close_all(bool abort);

  run_plan plan_;
  uint32_t index_, workers_;
  net::io_context ioc_{1};
  tcp::endpoint endpoint_;
  worker_results res_;
  std::mt19937 rng_;
  net::steady_timer window_start_timer_, window_end_timer_, stop_timer_, deadline_timer_, cut_timer_;
  std::vector<std::unique_ptr<conn_owner>> owners_;
  uint64_t live_ = 0, open_ = 0, rooms_done_ = 0;
  bool stopping_ = false;
  uint32_t logged_ = 0;
  worker_results at_window_start_;  // counters only
};

// ---------------------------------------------------------------- conn

// One WebSocket client connection: connect, upgrade, Hello, then one read
// always pending and a queue of writes, one in flight.
class conn : public std::enable_shared_from_this<conn> {
 public:
  conn(worker& w, conn_owner& owner, v1::Role role, std::string name)
      : w_(w), owner_(owner), role_(role), name_(std::move(name)), ws_(w.ioc()) {}

  v1::Role role() const { return role_; }
  bool open() const { return open_ && !closing_; }

  void start() {
    w_.conn_born();
    ++w_.results().attempted;
    started_ = steady::now();
    auto& tcp_layer = beast::get_lowest_layer(ws_);
    tcp_layer.expires_after(10s);
    tcp_layer.async_connect(w_.endpoint(), beast::bind_front_handler(&conn::on_connect, shared_from_this()));
  }

  // Queues m with the next request id; returns it, or 0 if not open.
  uint32_t send(v1::ClientMessage m, purpose p) {
    if (!open_ || closing_) return 0;
    const uint32_t id = next_id_++;
    m.set_request_id(id);
    pending_.push_back({id, p, steady::now()});
    out_.push_back(encode(m, w_.plan().json ? encoding::json : encoding::binary));
    auto& r = w_.results();
    ++r.msgs_out;
    r.bytes_out += out_.back().size();
    if (!writing_) do_write();
    return id;
  }

  // Polite close (1000) once the queued writes are out.
  void close() {
    if (gone_ || closing_) return;
    closing_ = true;
    if (!open_) return abort();
    if (!writing_) do_close();
  }

  // Cuts the TCP connection; pending operations end with an error.
  void abort() {
    closing_ = true;
    beast::get_lowest_layer(ws_).cancel();
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
  }

 private:
  struct pending_request {
    uint32_t id;
    purpose what;
    steady::time_point sent;
  };

  void on_connect(beast::error_code ec) {
    if (ec) return gone(ec, "connect");
    auto& tcp_layer = beast::get_lowest_layer(ws_);
    tcp_layer.expires_never();
    tcp_layer.socket().set_option(tcp::no_delay(true), ec);
    auto t = websocket::stream_base::timeout::suggested(beast::role_type::client);
    t.handshake_timeout = 10s;
    ws_.set_option(t);
    const std::string proto(subprotocol_name(w_.plan().json ? encoding::json : encoding::binary));
    ws_.set_option(websocket::stream_base::decorator([proto](websocket::request_type& req) {
      req.set(http::field::user_agent, "mockloop-load");
      req.set(http::field::sec_websocket_protocol, proto);
    }));
    ws_.async_handshake(w_.plan().host, "/ws", beast::bind_front_handler(&conn::on_handshake, shared_from_this()));
  }

  void on_handshake(beast::error_code ec) {
    if (ec) return gone(ec, "upgrade");
    if (closing_) return gone(ec, "upgrade");
    open_ = true;
    w_.conn_opened();
    ++w_.results().opened;
    ws_.binary(!w_.plan().json);
    v1::ClientMessage m;
    auto* h = m.mutable_hello();
    h->set_client_name("mockloop-load");
    h->set_client_version("0.1.0");
    h->set_display_name(name_);
    send(std::move(m), purpose::hello);
    do_read();
  }

  void do_read() { ws_.async_read(buf_, beast::bind_front_handler(&conn::on_read, shared_from_this())); }

  void on_read(beast::error_code ec, std::size_t bytes) {
    // Stamped first: the tick latency is up to the moment we see the frame.
    const int64_t now_us = wall_us();
    const auto now = steady::now();
    if (ec) return gone(ec, "read");
    auto& r = w_.results();
    ++r.msgs_in;
    r.bytes_in += bytes;
    const auto data = buf_.cdata();
    const std::string_view payload(static_cast<const char*>(data.data()), data.size());
    v1::ServerMessage m;
    const auto err = decode(payload, w_.plan().json ? encoding::json : encoding::binary, m);
    buf_.consume(buf_.size());
    if (err) {
      ++r.decode_failures;
      w_.complain("undecodable server message: {}", err->message);
      return do_read();
    }
    w_.record_type(m.body_case(), bytes, now);
    if (m.has_tick()) {
      const int64_t sent = m.tick().sent_at_us();
      w_.record_tick(now_us - sent, last_tick_us_ ? sent - last_tick_us_ : 0, bytes, now);
      last_tick_us_ = sent;
    }
    if (m.has_error()) {
      const auto code = static_cast<size_t>(m.error().code());
      ++r.error_replies[code < std::size(r.error_replies) ? code : 0];
      w_.complain("{} got Error {} (request {}): {}", name_, v1::ErrorCode_Name(m.error().code()), m.request_id(),
                  m.error().message());
    }
    if (m.request_id() == 0) {
      owner_.on_push(*this, m);
    } else {
      const auto it =
          std::find_if(pending_.begin(), pending_.end(), [&](const auto& p) { return p.id == m.request_id(); });
      if (it == pending_.end()) {
        ++r.flow_errors;
        w_.complain("{} got a reply to unknown request {}", name_, m.request_id());
      } else {
        const auto what = it->what;
        const auto rtt = micros(now - it->sent);
        pending_.erase(it);
        if (what == purpose::follow_up) r.follow_up_rtt.record(rtt);
        if (what == purpose::submit) r.submit_rtt.record(rtt);
        if (what == purpose::hello) {
          if (m.has_welcome()) {
            ++r.welcomed;
            r.connect.record(micros(now - started_));
            owner_.on_ready(*this);
          } else {
            ++r.flow_errors;
            close();
          }
        } else {
          // A change answers the request that made it: it is the change too.
          if (m.has_staff_room_change() || m.has_room_change()) owner_.on_push(*this, m);
          owner_.on_reply(*this, what, m);
        }
      }
    }
    do_read();
  }

  void do_write() {
    writing_ = true;
    ws_.async_write(net::buffer(out_.front()), beast::bind_front_handler(&conn::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    out_.pop_front();
    if (ec) {
      if (!closing_) broken(ec, "write");
      return abort();
    }
    if (!out_.empty()) return do_write();
    if (closing_ && open_) do_close();
  }

  void do_close() {
    ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](beast::error_code ec) {
      if (ec) self->abort();  // the read ends too; it reports
    });
  }

  // A failure outside the read loop: counted here, then the connection is
  // cut and the read loop's end reports it to the owner as unexpected.
  void broken(beast::error_code ec, const char* what) {
    broken_ = true;
    ++w_.results().unexpected_closes;
    w_.complain("{} {}: {}", name_, what, ec.message());
  }

  void gone(beast::error_code ec, const char* what) {
    if (gone_) return;
    gone_ = true;
    auto& r = w_.results();
    const bool expected = closing_ && !broken_;
    if (broken_) {
      // counted already
    } else if (!open_ && !closing_) {
      ++r.connect_failures;
      w_.complain("{} {}: {}", name_, what, ec.message());
    } else if (!closing_) {
      ++r.unexpected_closes;
      if (ec == websocket::error::closed)
        w_.complain("{} closed by the server: {} {}", name_, static_cast<int>(ws_.reason().code),
                    std::string(ws_.reason().reason.c_str()));
      else
        w_.complain("{} {}: {}", name_, what, ec.message());
    }
    const bool was_open = open_;
    open_ = false;
    w_.conn_gone(was_open, expected);
    owner_.on_gone(*this, expected);
  }

  worker& w_;
  conn_owner& owner_;
  v1::Role role_;
  std::string name_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buf_;
  std::deque<std::string> out_;
  std::vector<pending_request> pending_;
  steady::time_point started_;
  int64_t last_tick_us_ = 0;  // sent_at_us of the previous tick
  uint32_t next_id_ = 1;
  bool open_ = false, writing_ = false, closing_ = false, gone_ = false, broken_ = false;
};

// ---------------------------------------------------------------- idle

// Connections that say Hello and sit: what a quiet browser tab costs.
class idle_group final : public conn_owner {
 public:
  explicit idle_group(worker& w) : w_(w) {}
  void add(steady::time_point at, std::string name) {
    auto timer = std::make_shared<net::steady_timer>(w_.ioc(), at);
    auto c = std::make_shared<conn>(w_, *this, v1::ROLE_UNSPECIFIED, std::move(name));
    conns_.push_back(c);
    timer->async_wait([this, timer, c](beast::error_code ec) {
      if (!ec && !w_.stopping()) c->start();
    });
  }
  void close_all(bool abort) {
    for (auto& c : conns_) abort ? c->abort() : c->close();
  }

  void on_ready(conn&) override {}
  void on_reply(conn&, purpose, const v1::ServerMessage&) override {}
  void on_push(conn&, const v1::ServerMessage&) override {}
  void on_gone(conn&, bool) override {}

 private:
  worker& w_;
  std::vector<std::shared_ptr<conn>> conns_;
};

// ---------------------------------------------------------------- rooms

// One simulated interview: an interviewer creates the room, a candidate and
// K observers join with its codes; the interviewer starts the clock, skips
// the briefing and moves through the scenario's phases on a shortened
// schedule (one scripted follow-up asked per phase), everyone on staff
// keeps notes and draft scorecards, the interviewer ticks markers; then the
// raters submit, the scorecards are revealed (by the last submission, or in
// every other room by the interviewer's REVEAL with one observer not
// submitting) and the candidate gets the debrief; the interviewer closes
// the room and everyone hangs up. In ticks mode the room only starts its
// clock and sits in the first phase, receiving ticks.
class sim_room final : public conn_owner {
 public:
  sim_room(worker& w, uint32_t index, steady::time_point start_at, std::string scenario_id)
      : w_(w),
        index_(index),
        start_at_(start_at),
        interview_end_(start_at + std::chrono::nanoseconds(w.plan().interview_ns)),
        scenario_id_(std::move(scenario_id)),
        reveal_by_control_(index % 2 == 1 && w.plan().observers > 0),
        timer_(w.ioc()) {}

  void arm() {
    ++w_.results().rooms;
    timer_.expires_at(start_at_);
    timer_.async_wait([this](beast::error_code ec) {
      if (ec || w_.stopping()) return finish(false);
      step_ = step::creating;
      interviewer_ = add_conn(v1::ROLE_INTERVIEWER, "interviewer");
      interviewer_->start();
    });
  }

  // The run is over (ticks mode) or out of time: hang up.
  void stop(bool abort) {
    if (step_ == step::done) return;
    if (w_.plan().mode == run_mode::interview && !abort) return;  // interviews end by themselves
    if (abort && w_.plan().mode == run_mode::interview && !failed_) {
      ++w_.results().rooms_unfinished;
      w_.complain("room {} unfinished at the deadline (step {})", index_, static_cast<int>(step_));
      failed_ = true;
    }
    timer_.cancel();
    if (conns_.empty()) return finish(false);
    for (auto& c : conns_) abort ? c->abort() : c->close();
  }

  void on_ready(conn& c) override {
    if (&c == interviewer_.get()) {
      v1::ClientMessage m;
      m.mutable_create_room()->set_scenario_id(scenario_id_);
      m.mutable_create_room()->set_creator_role(v1::ROLE_INTERVIEWER);
      c.send(std::move(m), purpose::create);
      return;
    }
    const auto it = std::find_if(codes_.begin(), codes_.end(), [&](const auto& jc) { return jc.role() == c.role(); });
    if (it == codes_.end()) return fail("no join code for role {}", v1::Role_Name(c.role()));
    v1::ClientMessage m;
    m.mutable_join_room()->set_code(it->code());
    c.send(std::move(m), purpose::join);
  }

  void on_reply(conn& c, purpose p, const v1::ServerMessage& m) override {
    if (m.has_error()) {
      // Errors are counted where they arrive; a refused step of the script
      // ends the room, a refused note or draft does not.
      if (p == purpose::note || p == purpose::draft || p == purpose::marker || p == purpose::follow_up) return;
      return fail("step {} refused", static_cast<int>(p));
    }
    switch (p) {
      case purpose::create:
        if (!m.has_room_created()) return fail("CreateRoom answered without RoomCreated");
        codes_.assign(m.room_created().codes().begin(), m.room_created().codes().end());
        step_ = step::joining;
        candidate_ = add_conn(v1::ROLE_CANDIDATE, "candidate");
        candidate_->start();
        for (uint32_t i = 0; i < w_.plan().observers; ++i) {
          observers_.push_back(add_conn(v1::ROLE_OBSERVER, "observer" + std::to_string(i)));
          observers_.back()->start();
        }
        return;
      case purpose::join:
        if (!m.has_joined()) return fail("JoinRoom answered without Joined");
        if (++joined_ == 1 + w_.plan().observers) control(v1::RoomControl::ACTION_START, purpose::start);
        return;
      case purpose::start:
        step_ = step::briefing;
        return control(v1::RoomControl::ACTION_SKIP, purpose::skip);
      case purpose::skip:
        return on_skipped();
      case purpose::follow_up:
        ++w_.results().follow_ups;
        return;
      case purpose::note:
        ++w_.results().notes;
        return;
      case purpose::draft:
        ++w_.results().drafts;
        return;
      case purpose::marker:
        ++w_.results().markers;
        return;
      case purpose::submit:
        ++w_.results().submissions;
        if (&c == interviewer_.get()) interviewer_submitted_ = true;
        return maybe_reveal();
      case purpose::reveal:
        ++w_.results().reveals;
        return;
      case purpose::close:
        step_ = step::hanging_up;
        for (auto& x : conns_) x->close();
        return;
      case purpose::hello:
        return;
    }
  }

  void on_push(conn& c, const v1::ServerMessage& m) override {
    if (&c == interviewer_.get()) {
      if (m.has_staff_briefing()) return learn(m.staff_briefing().scenario());
      if (m.has_staff_room_state()) {
        const auto& s = m.staff_room_state();
        for (const auto& a : s.room().asked())
          if (!a.follow_up_id().empty()) asked_.insert(a.follow_up_id());
        submitted_ = static_cast<uint32_t>(s.submitted_by_size());
        return maybe_reveal();
      }
      if (m.has_room_change()) {
        for (const auto& a : m.room_change().asked_added())
          if (!a.follow_up_id().empty()) asked_.insert(a.follow_up_id());
        return;
      }
      if (m.has_staff_room_change()) {
        // Each rater submits once, so every id a change names is new.
        submitted_ += static_cast<uint32_t>(m.staff_room_change().submitted_by_size());
        return maybe_reveal();
      }
    }
    if (&c == candidate_.get() && m.has_candidate_debrief() && !debriefed_) {
      debriefed_ = true;
      ++w_.results().rooms_debriefed;
      step_ = step::closing;
      control(v1::RoomControl::ACTION_CLOSE, purpose::close);
    }
  }

  void on_gone(conn& c, bool expected) override {
    if (!expected && step_ != step::done) fail("{} lost", v1::Role_Name(c.role()));
    // Complete: an interview that reached the debrief, or a ticks room that
    // ran its clock, and every connection closed by us.
    const bool ok = w_.plan().mode == run_mode::interview ? debriefed_ : running_;
    if (++gone_ == conns_.size()) finish(ok && !failed_);
  }

 private:
  enum class step { waiting, creating, joining, briefing, interview, scoring, closing, hanging_up, sitting, done };

  std::shared_ptr<conn> add_conn(v1::Role role, const std::string& who) {
    auto c = std::make_shared<conn>(w_, *this, role, "r" + std::to_string(index_) + "-" + who);
    conns_.push_back(c);
    return c;
  }

  template <class... Args>
  void fail(fmt::format_string<Args...> f, Args&&... args) {
    if (failed_ || step_ == step::done) return;
    failed_ = true;
    ++w_.results().rooms_failed;
    w_.complain("room {}: {}", index_, fmt::format(f, std::forward<Args>(args)...));
    timer_.cancel();
    for (auto& c : conns_) c->close();
  }

  void finish(bool ok) {
    if (step_ == step::done) return;
    step_ = step::done;
    timer_.cancel();
    if (ok) ++w_.results().rooms_completed;
    w_.room_done();
  }

  void control(v1::RoomControl::Action a, purpose p) {
    v1::ClientMessage m;
    m.mutable_room_control()->set_action(a);
    interviewer_->send(std::move(m), p);
  }

  // What the interviewer's briefing says about the scenario.
  void learn(const v1::Scenario& s) {
    phases_ = s.phases_size();
    for (const auto& d : s.rubric()) dimensions_.push_back(d.id());
    for (const auto& mk : s.markers()) markers_.push_back(mk.id());
    // Only follow-ups without a trigger: a scripted one could fire between
    // our choice and the server's reading of it.
    for (const auto& f : s.follow_ups())
      if (f.trigger_case() == v1::FollowUp::TRIGGER_NOT_SET) script_.push_back(f.id());
  }

  void on_skipped() {
    const auto now = steady::now();
    if (step_ == step::briefing) {
      ++w_.results().rooms_running;
      running_ = true;
      if (w_.plan().mode == run_mode::ticks) {
        step_ = step::sitting;
        return;
      }
      if (phases_ == 0) return fail("no staff briefing before the interview");
      step_ = step::interview;
      phase_ = 0;
      interview_start_ = now;
      phase_len_ = std::max<steady::duration>(100ms, (interview_end_ - now) / phases_);
      const auto period = std::chrono::milliseconds(w_.plan().action_ms);
      std::uniform_int_distribution<int64_t> offset(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(std::min<steady::duration>(period, phase_len_))
                 .count());
      next_action_.assign(1 + observers_.size(), now);
      for (auto& t : next_action_) t += std::chrono::milliseconds(offset(w_.rng()));
      action_count_.assign(next_action_.size(), 0);
      ask_follow_up();
      return schedule();
    }
    if (step_ != step::interview) return;
    skip_in_flight_ = false;
    if (++phase_ < phases_) {
      ask_follow_up();
      // Everyone on staff has a draft before the interview ends.
      if (phase_ == phases_ - 1)
        for (size_t i = 0; i < next_action_.size(); ++i) save_card(i, false);
      return schedule();
    }
    step_ = step::scoring;
    timer_.cancel();
    // The interviewer and the observers submit; in reveal-by-control rooms
    // the last observer does not, and the interviewer reveals without them.
    for (size_t i = 0; i < next_action_.size(); ++i) {
      if (reveal_by_control_ && i == observers_.size()) continue;
      save_card(i, true);
    }
  }

  void maybe_reveal() {
    if (!reveal_by_control_ || reveal_sent_ || step_ != step::scoring || !interviewer_submitted_) return;
    if (submitted_ < w_.plan().observers) return;  // the interviewer and all but one observer
    reveal_sent_ = true;
    control(v1::RoomControl::ACTION_REVEAL, purpose::reveal);
  }

  conn& staff(size_t i) { return i == 0 ? *interviewer_ : *observers_[i - 1]; }

  void schedule() {
    if (step_ != step::interview) return;
    if (skip_in_flight_ && phase_ == phases_ - 1) return;  // scoring comes next, with its Ack
    auto next = *std::min_element(next_action_.begin(), next_action_.end());
    if (!skip_in_flight_) next = std::min(next, phase_end());
    timer_.expires_at(next);
    timer_.async_wait([this](beast::error_code ec) {
      if (!ec) on_timer();
    });
  }

  steady::time_point phase_end() const { return interview_start_ + phase_len_ * (phase_ + 1); }

  void on_timer() {
    if (step_ != step::interview) return;
    const auto now = steady::now();
    const auto period = std::chrono::milliseconds(w_.plan().action_ms);
    // While the last phase's SKIP is on its way the room is about to score:
    // a marker sent now would arrive after the interview.
    const bool ending = skip_in_flight_ && phase_ == phases_ - 1;
    for (size_t i = 0; i < next_action_.size() && !ending; ++i) {
      if (next_action_[i] > now) continue;
      act(i, action_count_[i]++);
      next_action_[i] += period;
      if (next_action_[i] <= now) next_action_[i] = now + period;
    }
    if (!skip_in_flight_ && now >= phase_end()) {
      skip_in_flight_ = true;
      control(v1::RoomControl::ACTION_SKIP, purpose::skip);
    }
    schedule();
  }

  // Rater i's periodic action: the interviewer notes, drafts and ticks
  // markers in turn, an observer notes and drafts.
  void act(size_t i, uint32_t n) {
    const uint32_t kinds = (i == 0 && !markers_.empty()) ? 3 : 2;
    switch (n % kinds) {
      case 0: {
        v1::ClientMessage m;
        m.mutable_add_note()->set_text(fmt::format(
            "{:02}:{:02} Candidate named a success metric (p99 under 5 ms) and asked who owns the partner quotas.",
            n / 60, n % 60));
        staff(i).send(std::move(m), purpose::note);
        return;
      }
      case 1:
        return save_card(i, false);
      default: {
        v1::ClientMessage m;
        m.mutable_tick_marker()->set_marker_id(markers_[n / kinds % markers_.size()]);
        staff(i).send(std::move(m), purpose::marker);
        return;
      }
    }
  }

  void save_card(size_t i, bool submit) {
    v1::ClientMessage m;
    auto* s = m.mutable_save_scorecard();
    s->set_submit(submit);
    auto* card = s->mutable_scorecard();
    std::uniform_int_distribution<uint32_t> rating(1, 4);
    for (const auto& d : dimensions_) {
      auto* score = card->add_scores();
      score->set_dimension_id(d);
      score->set_rating(rating(w_.rng()));
      score->set_evidence("Asked which clients need protecting before choosing an algorithm; named the error bound.");
    }
    card->set_recommendation(v1::RECOMMENDATION_YES);
    card->set_summary("Structured and calm; the rollout plan was the strongest part.");
    staff(i).send(std::move(m), submit ? purpose::submit : purpose::draft);
  }

  void ask_follow_up() {
    v1::ClientMessage m;
    auto* a = m.mutable_ask_follow_up();
    const auto it = std::find_if(script_.begin(), script_.end(), [&](const auto& id) { return !asked_.count(id); });
    if (it != script_.end()) {
      a->set_follow_up_id(*it);
      asked_.insert(*it);
    } else {
      a->set_free_text(fmt::format("Phase {}: what would you cut if the deadline moved up by two weeks?", phase_ + 1));
    }
    interviewer_->send(std::move(m), purpose::follow_up);
  }

  worker& w_;
  uint32_t index_;
  steady::time_point start_at_, interview_end_;
  std::string scenario_id_;
  bool reveal_by_control_;
  net::steady_timer timer_;
  step step_ = step::waiting;

  std::vector<std::shared_ptr<conn>> conns_;
  std::shared_ptr<conn> interviewer_, candidate_;
  std::vector<std::shared_ptr<conn>> observers_;
  std::vector<v1::JoinCode> codes_;
  uint32_t joined_ = 0;
  size_t gone_ = 0;

  int phases_ = 0;
  std::vector<std::string> dimensions_, markers_, script_;
  std::set<std::string> asked_;
  int phase_ = 0;
  steady::time_point interview_start_;
  steady::duration phase_len_{};
  std::vector<steady::time_point> next_action_;
  std::vector<uint32_t> action_count_;
  bool skip_in_flight_ = false;
  uint32_t submitted_ = 0;
  bool interviewer_submitted_ = false, reveal_sent_ = false, debriefed_ = false, failed_ = false, running_ = false;
};

// ---------------------------------------------------------------- worker

worker::worker(const run_plan& plan, uint32_t index, uint32_t workers)
    : plan_(plan),
      index_(index),
      workers_(workers),
      endpoint_(net::ip::make_address(plan.host), plan.port),
      rng_(plan.seed * 7919u + index),
      window_start_timer_(ioc_),
      window_end_timer_(ioc_),
      stop_timer_(ioc_),
      deadline_timer_(ioc_),
      cut_timer_(ioc_) {}

worker_results worker::run() {
  const auto t0 = at_ns(plan_.t0_ns);
  const auto ramp = std::chrono::nanoseconds(plan_.ramp_ns);
  if (plan_.mode == run_mode::idle) {
    auto group = std::make_unique<idle_group>(*this);
    for (uint32_t i = index_; i < plan_.connections; i += workers_)
      group->add(t0 + ramp * i / std::max(1u, plan_.connections), "idle" + std::to_string(i));
    owners_.push_back(std::move(group));
  } else {
    for (uint32_t i = index_; i < plan_.rooms; i += workers_) {
      const auto& sc = plan_.scenarios.empty() ? std::string("bare") : plan_.scenarios[i % plan_.scenarios.size()];
      auto room = std::make_unique<sim_room>(*this, i, t0 + ramp * i / std::max(1u, plan_.rooms), sc);
      room->arm();
      owners_.push_back(std::move(room));
    }
  }
  window_start_timer_.expires_at(at_ns(plan_.window_start_ns));
  window_start_timer_.async_wait([this](beast::error_code ec) {
    if (!ec) on_window_start();
  });
  window_end_timer_.expires_at(at_ns(plan_.window_end_ns));
  window_end_timer_.async_wait([this](beast::error_code ec) {
    if (!ec) on_window_end();
  });
  if (plan_.mode != run_mode::interview) {
    stop_timer_.expires_at(at_ns(plan_.stop_ns));
    stop_timer_.async_wait([this](beast::error_code ec) {
      if (!ec) on_stop();
    });
  }
  deadline_timer_.expires_at(at_ns(plan_.deadline_ns));
  deadline_timer_.async_wait([this](beast::error_code ec) {
    if (!ec) on_deadline();
  });
  ioc_.run();
  owners_.clear();
  return res_;
}

void worker::on_window_start() {
  res_.open_at_window_start = open_;
  at_window_start_.msgs_in = res_.msgs_in;
  at_window_start_.msgs_out = res_.msgs_out;
  at_window_start_.bytes_in = res_.bytes_in;
  at_window_start_.bytes_out = res_.bytes_out;
}

void worker::on_window_end() {
  res_.open_at_window_end = open_;
  res_.win_msgs_in = res_.msgs_in - at_window_start_.msgs_in;
  res_.win_msgs_out = res_.msgs_out - at_window_start_.msgs_out;
  res_.win_bytes_in = res_.bytes_in - at_window_start_.bytes_in;
  res_.win_bytes_out = res_.bytes_out - at_window_start_.bytes_out;
}

void worker::on_stop() {
  stopping_ = true;
  close_all(false);
  // Whoever has not finished the closing handshake within 3 s is cut.
  cut_timer_.expires_after(3s);
  cut_timer_.async_wait([this](beast::error_code ec) {
    if (!ec) close_all(true);
  });
}

void worker::on_deadline() {
  stopping_ = true;
  close_all(true);
}

void worker::close_all(bool abort) {
  for (auto& o : owners_) {
    if (auto* r = dynamic_cast<sim_room*>(o.get())) r->stop(abort);
    if (auto* g = dynamic_cast<idle_group*>(o.get())) g->close_all(abort);
  }
}

void worker::maybe_finish() {
  const bool rooms_over = plan_.mode != run_mode::idle && rooms_done_ == owners_.size();
  const bool idle_over = plan_.mode == run_mode::idle && stopping_ && live_ == 0;
  if (!rooms_over && !idle_over) return;
  // Nothing left to wait for: let run() return.
  window_start_timer_.cancel();
  window_end_timer_.cancel();
  stop_timer_.cancel();
  deadline_timer_.cancel();
  cut_timer_.cancel();
}

}  // namespace

worker_results run_worker(const run_plan& plan, uint32_t index, uint32_t workers) {
  worker w(plan, index, workers);
  return w.run();
}

}  // namespace mockloop::load
