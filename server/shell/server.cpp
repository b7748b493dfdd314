#include "mockloop/shell/server.h"

#include <malloc.h>

#include <atomic>
#include <map>
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
#include "scheduling.h"
#include "room_directory.h"
#include "room_host.h"
#include "scenario_files.h"
#include "store.h"
#include "store_writer.h"
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
    hub_->schedule = std::make_shared<scheduling>(net::make_strand(ioc_), hub_);
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
    hub_->writer =
        std::make_shared<store_writer>(hub_->db, std::chrono::milliseconds(hub_->config().store_commit_interval_ms));
    room_settings rs;
    rs.briefing_seconds = hub_->config().briefing_seconds;
    rs.max_participants = hub_->config().max_room_participants;
    rs.reconnect_grace_ms = int64_t{hub_->config().reconnect_grace_seconds} * 1000;
    const auto& c = hub_->config();
    rs.board.max_objects = c.max_board_objects;
    rs.board.max_ops = c.max_board_ops;
    rs.call.max_speakers = c.max_call_speakers;
    rs.call.max_members = c.max_call_members;
    rs.ice = ice_config{split_urls(c.ice_servers), c.turn_secret, c.turn_ttl_seconds, c.ice_relay_only};
    hub_->rooms = std::make_shared<room_directory>(ioc_.get_executor(), rs, hub_->db, hub_->writer,
                                                   hub_->config().max_rooms_per_user);
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
      // A session resumed since its last use of a token has two: the one
      // it resumed with and the one its Welcome carried. They are siblings.
      std::map<std::string, std::vector<std::string>> tokens;  // by session id
      for (auto& [hash, session_id] : db.resume_tokens(row.room_id)) tokens[session_id].push_back(std::move(hash));
      for (auto& [session_id, hashes] : tokens)
        for (size_t i = 0; i < hashes.size(); i += 2)
          hub_->register_resume(
              hashes[i],
              hub::resume_entry{
                  session_id, {}, host, now + grace_ms, i + 1 < hashes.size() ? hashes[i + 1] : std::string()});
      host->start_recovered(row.down_since_ms);  // the room also counts up to its last event
      ++recovered;
    }
    if (recovered) spdlog::info("recovered {} rooms", recovered);
  }

  // The last sign of life, for the next start after a crash: the time the
  // server was down is not counted on the rooms' clocks. Once a second,
  // off the rooms' strands.
  void heartbeat() {
    // Through the writer, like every other write: an I/O thread never waits for the disk.
    hub_->writer->submit([at = monotonic_unix_ms()](store& db, std::string* e) { return db.set_heartbeat(at, e); },
                         [](bool ok, const std::string& e) {
                           if (!ok) spdlog::warn("heartbeat not stored: {}", e);
                         });
    release_memory_when_idle();
    heartbeat_timer_.expires_after(std::chrono::seconds(1));
    heartbeat_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec && !hub_->shutting_down()) heartbeat();
    });
  }

  // Once nobody is connected and no room is open, the memory a busy spell
  // left in malloc's free lists and SQLite's page cache goes back to the
  // system: a server that has emptied should look like one that just started
  // (the soak test holds it to 10%). Once per idle spell, on the heartbeat.
  void release_memory_when_idle() {
    const bool idle = hub_->session_count() == 0 && hub_->rooms && hub_->rooms->size() == 0;
    if (!idle) {
      released_while_idle_ = false;
      return;
    }
    if (released_while_idle_) return;
    released_while_idle_ = true;
    hub_->db->release_memory();
    ::malloc_trim(0);
    spdlog::debug("idle: SQLite's cache released, the heap trimmed");
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
    // What the rooms and sessions still had on its way to the disk goes
    // first; completions it posts to ioc_ die with it, unrun.
    if (hub_->writer) hub_->writer->stop();
    if (hub_->rooms) hub_->rooms->clear();
    hub_->matching.reset();
    hub_->schedule.reset();
  }

  void begin_shutdown() {
    net::post(ioc_, [this] {
      if (!hub_->begin_shutdown()) return;  // already under way
      spdlog::info("shutting down: closing {} sessions", hub_->session_count());
      if (listener_) listener_->stop();
      signals_.cancel();
      reload_signal_.cancel();
      net::post(heartbeat_timer_.get_executor(), [this] { heartbeat_timer_.cancel(); });
      // Rooms stay open in the store: the next start rebuilds them and their
      // clients resume, so a restart for an upgrade ends no interview
      // (docs/rooms.md). Each room first finishes what its strand holds (a
      // submission being made durable, a debrief being written).
      if (hub_->rooms)
        for (auto& r : hub_->rooms->rooms()) {
          rooms_draining_.fetch_add(1);
          r->shutdown([this] { rooms_draining_.fetch_sub(1); });
        }
      drain_deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(hub_->config().shutdown_grace_ms);
      hub_->schedule->stop();
      hub_->matching->stop([this] {
        // Fan out outside the registry's lock.
        for (auto& s : hub_->sessions()) s->close_going_away();
        net::post(ioc_, [this] { wait_for_drain(); });
      });
    });
  }

  void wait_for_drain() {
    const bool drained = hub_->session_count() == 0 && rooms_draining_.load() == 0;
    if (drained || std::chrono::steady_clock::now() >= drain_deadline_) {
      // The downtime the rooms will not count starts here.
      std::string err;
      if (!hub_->db->set_heartbeat(monotonic_unix_ms(), &err)) spdlog::warn("last heartbeat not stored: {}", err);
      spdlog::info("stopped ({} sessions left unclosed, {} rooms still busy)", hub_->session_count(),
                   rooms_draining_.load());
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
  std::atomic<size_t> rooms_draining_{0};  // rooms still finishing what they hold
  bool released_while_idle_ = false;       // on the heartbeat's strand
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
  impl_->hub_->schedule->start();
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
