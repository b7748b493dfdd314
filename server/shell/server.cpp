#include "mockloop/shell/server.h"

#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <spdlog/spdlog.h>

#include "clock.h"
#include "hub.h"
#include "listener.h"
#include "matchmaking.h"
#include "room_directory.h"
#include "room_host.h"
#include "scenario_files.h"
#include "store.h"
#include "websocket_session.h"

namespace mockloop {

namespace net = boost::asio;

struct server::impl {
  explicit impl(server_config cfg)
      : hub_(std::make_shared<hub>(std::move(cfg))),
        threads_(hub_->config().threads ? hub_->config().threads : std::max(1u, std::thread::hardware_concurrency())),
        ioc_(static_cast<int>(threads_)),
        signals_(ioc_),
        reload_signal_(ioc_),
        drain_timer_(ioc_),
        // A strand of its own: the heartbeat re-arms its timer on whichever
        // I/O thread runs it, and shutdown cancels it from another.
        heartbeat_timer_(net::make_strand(ioc_)) {
    hub_->matching = std::make_shared<matchmaking>(net::make_strand(ioc_), hub_);
  }

  // Loads the scenario directory; the good files replace the library, bad
  // ones are logged and skipped. Running rooms keep their own scenario.
  void load_scenarios() {
    const auto& dir = hub_->config().scenarios_dir;
    auto result = load_scenario_dir(dir);
    for (const auto& d : result.diagnostics) spdlog::warn("scenario: {}", d.to_string());
    spdlog::info("loaded {} scenarios from {} ({} files, {} problems)", result.library->scenarios.size(), dir,
                 result.files, result.diagnostics.size());
    hub_->set_scenarios(std::move(result.library));
  }

  // The store is opened at start-up, before anything is accepted: a server
  // that cannot make scorecards durable must not take them.
  void open_store() {
    std::string err;
    auto db = store::open(hub_->config().data_dir, &err);
    if (!db || !db->start_instance(&err))
      throw std::runtime_error("cannot open the store in '" + hub_->config().data_dir + "': " + err);
    hub_->db = std::move(db);
    room_settings rs;
    rs.briefing_seconds = hub_->config().briefing_seconds;
    rs.max_participants = hub_->config().max_room_participants;
    rs.reconnect_grace_ms = int64_t{hub_->config().reconnect_grace_seconds} * 1000;
    hub_->rooms = std::make_shared<room_directory>(ioc_.get_executor(), rs, hub_->db, hub_->config().max_rooms_per_user);
    spdlog::info("store: {}/mockloop.db", hub_->config().data_dir);
  }

  // Rooms that were in progress when the server last stopped without
  // closing them (a crash, SIGKILL, power loss) are rebuilt from their
  // logs before anything is accepted; their sessions' resume tokens are
  // held for the grace window like any dropped connection's.
  void recover_rooms() {
    auto& db = *hub_->db;
    const auto now = monotonic_unix_ms();
    const auto grace_ms = int64_t{hub_->config().reconnect_grace_seconds} * 1000;
    size_t recovered = 0;
    for (const auto& row : db.claim_orphaned_rooms()) {
      room_history h;
      h.events = db.events(row.room_id);
      for (auto& [round, sc] : db.round_scenarios(row.room_id))
        h.scenarios[round] = std::make_shared<const v1::Scenario>(std::move(sc));
      for (auto& [round, card] : db.room_scorecards(row.room_id))
        if (card.submitted()) h.cards[{round, card.rater_id()}] = std::move(card);
      auto host = hub_->rooms->adopt(row.room_id, row.type, h, db.room_codes(row.room_id));
      if (!host) {
        spdlog::warn("[room {}] its log does not replay ({} events); closed", row.room_id, h.events.size());
        std::string err;
        if (!db.close_room(row.room_id, &err)) spdlog::error("[room {}] {}", row.room_id, err);
        continue;
      }
      for (const auto& [hash, session_id] : db.resume_tokens(row.room_id))
        hub_->register_resume(hash, hub::resume_entry{session_id, {}, host, now + grace_ms});
      host->start_recovered(row.down_since_ms);  // the room also counts up to its last event
      ++recovered;
    }
    if (recovered) spdlog::info("recovered {} rooms", recovered);
  }

  // The last sign of life, for the next start after a crash: the time the
  // server was down is not counted on the rooms' clocks. Once a second,
  // off the rooms' strands.
  void heartbeat() {
    std::string err;
    if (!hub_->db->set_heartbeat(monotonic_unix_ms(), &err)) spdlog::warn("heartbeat not stored: {}", err);
    heartbeat_timer_.expires_after(std::chrono::seconds(1));
    heartbeat_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec && !hub_->shutting_down()) heartbeat();
    });
  }

  void wait_for_reload() {
    reload_signal_.async_wait([this](boost::system::error_code ec, int) {
      if (ec) return;
      spdlog::info("SIGHUP: reloading scenarios");
      load_scenarios();
      wait_for_reload();
    });
  }

  // Rooms and the queue own timers and strands of ioc_: let them go while
  // it still exists. Those still held by pending handlers die with ioc_.
  ~impl() {
    if (hub_->rooms) hub_->rooms->clear();
    hub_->matching.reset();
  }

  void begin_shutdown() {
    net::post(ioc_, [this] {
      if (!hub_->begin_shutdown()) return;  // already under way
      spdlog::info("shutting down: closing {} sessions", hub_->session_count());
      if (listener_) listener_->stop();
      signals_.cancel();
      reload_signal_.cancel();
      net::post(heartbeat_timer_.get_executor(), [this] { heartbeat_timer_.cancel(); });
      // A clean stop ends the rooms, as it always has: they are not rebuilt
      // at the next start (recovery is for crashes; docs/rooms.md).
      if (hub_->rooms)
        for (auto& r : hub_->rooms->rooms()) {
          std::string err;
          if (!hub_->db->close_room(r->id(), &err)) spdlog::warn("[room {}] {}", r->id(), err);
          r->shutdown();
        }
      hub_->matching->stop();
      // Fan out outside the registry's lock.
      for (auto& s : hub_->sessions()) s->close_going_away();
      drain_deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(hub_->config().shutdown_grace_ms);
      wait_for_drain();
    });
  }

  void wait_for_drain() {
    if (hub_->session_count() == 0 || std::chrono::steady_clock::now() >= drain_deadline_) {
      spdlog::info("stopped ({} sessions left unclosed)", hub_->session_count());
      ioc_.stop();
      return;
    }
    drain_timer_.expires_after(std::chrono::milliseconds(20));
    drain_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) wait_for_drain();
    });
  }

  std::shared_ptr<hub> hub_;
  unsigned threads_;
  net::io_context ioc_;  // declared after hub_: destroyed first, so sessions see a live hub
  net::signal_set signals_;
  net::signal_set reload_signal_;
  net::steady_timer drain_timer_;
  net::steady_timer heartbeat_timer_;
  std::chrono::steady_clock::time_point drain_deadline_;
  std::shared_ptr<listener> listener_;
};

server::server(server_config cfg) : impl_(std::make_unique<impl>(std::move(cfg))) {}

server::~server() = default;

void server::start() {
  const auto& cfg = impl_->hub_->config();
  boost::system::error_code ec;
  const auto address = net::ip::make_address(cfg.host, ec);
  if (ec) throw std::runtime_error("--host '" + cfg.host + "' is not an IP address");
  impl_->open_store();
  impl_->load_scenarios();
  impl_->recover_rooms();
  impl_->heartbeat();
  impl_->listener_ = std::make_shared<listener>(impl_->ioc_, net::ip::tcp::endpoint{address, cfg.port}, impl_->hub_);
  impl_->listener_->run();
  impl_->hub_->matching->start();
  spdlog::info("listening on http://{}:{} (WebSocket at /ws, {} threads)", cfg.host, port(), impl_->threads_);
}

uint16_t server::port() const { return impl_->listener_ ? impl_->listener_->port() : 0; }

void server::run(bool handle_signals) {
  if (handle_signals) {
    impl_->signals_.add(SIGINT);
    impl_->signals_.add(SIGTERM);
    impl_->signals_.async_wait([this](boost::system::error_code ec, int signo) {
      if (ec) return;
      spdlog::info("signal {} received", signo);
      shutdown();
    });
    impl_->reload_signal_.add(SIGHUP);
    impl_->wait_for_reload();
  }
  std::vector<std::thread> extra;
  for (unsigned i = 1; i < impl_->threads_; ++i) extra.emplace_back([this] { impl_->ioc_.run(); });
  impl_->ioc_.run();
  for (auto& t : extra) t.join();
}

void server::shutdown() { impl_->begin_shutdown(); }

const metrics& server::stats() const { return impl_->hub_->metrics(); }

}  // namespace mockloop
