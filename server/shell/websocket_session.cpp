#include "websocket_session.h"

#include <optional>

#include <spdlog/spdlog.h>

#include "clock.h"
#include "committee_host.h"
#include "matchmaking.h"
#include "scheduling.h"
#include "mockloop/core/debrief_markdown.h"
#include "mockloop/core/dispatch.h"
#include "random.h"
#include "room_directory.h"
#include "progress_requests.h"
#include "room_host.h"
#include "sha256.h"
#include "store.h"
#include "store_writer.h"

namespace mockloop {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using namespace std::chrono_literals;

namespace {

// Welcome and Pong carry the same clock the rooms run on.
int64_t system_time_ms() { return monotonic_unix_ms(); }

}  // namespace

websocket_session::websocket_session(net::ip::tcp::socket&& socket, std::shared_ptr<hub> h, encoding enc,
                                     std::string ip)
    : ws_(std::move(socket)),
      hub_(std::move(h)),
      id_(random_hex(8)),
      ip_(std::move(ip)),
      serial_(hub_->next_serial()),
      // The resume token is drawn at Welcome (on_welcome), where it is also
      // registered; the session id is no secret.
      core_(enc, session_identity{id_, {}}, hub_->config(), std::chrono::steady_clock::now()),
      hello_timer_(ws_.get_executor()),
      close_timer_(ws_.get_executor()) {}

websocket_session::~websocket_session() {
  if (!superseded_) {
    // A dropped connection keeps its seat for the grace window; its resume
    // token, presented by a new connection, takes the session over.
    if (auto r = room_.lock()) {
      r->detach(id_, serial_);
      const auto now = monotonic_unix_ms();
      if (!token_hash_.empty())
        hub_->hold_resume(token_hash_, r, now + int64_t{hub_->config().reconnect_grace_seconds} * 1000, now);
    } else if (!token_hash_.empty()) {
      hub_->drop_resume(token_hash_);
    }
  }
  if (auto c = committee_.lock()) c->leave(id_);
  if (core_.handshaken() && hub_->matching) hub_->matching->session_gone(user_id(), id_);
  if (accepted_) {
    hub_->leave(id_);
    hub_->metrics().connections.fetch_sub(1, std::memory_order_relaxed);
  }
  hub_->metrics().queued_bytes.fetch_sub(static_cast<int64_t>(queued_bytes_), std::memory_order_relaxed);
  hub_->release_reservation();
  hub_->remove_ip(ip_);
  spdlog::debug("[{}] session gone", id_);
}

void websocket_session::fail(beast::error_code ec, const char* what) {
  // The connection is over: timers must not keep the session alive (a
  // pending Hello deadline would hold it, its seat and its address's count).
  hello_timer_.cancel();
  // Aborted: we cancelled it. Closed: the peer finished the close handshake.
  if (ec == net::error::operation_aborted || ec == websocket::error::closed) return;
  if (ec == websocket::error::message_too_big || ec == websocket::error::bad_frame_payload)
    hub_->metrics().protocol_violation_closes.fetch_add(1, std::memory_order_relaxed);
  spdlog::debug("[{}] {}: {}", id_, what, ec.message());
}

void websocket_session::run(http::request<http::string_body> req) {
  const auto& cfg = hub_->config();
  // The TCP stream's own deadline is replaced by the WebSocket timeouts.
  beast::get_lowest_layer(ws_).expires_never();

  websocket::stream_base::timeout t;
  t.handshake_timeout = std::chrono::milliseconds(cfg.ws_handshake_timeout_ms);
  t.idle_timeout = std::chrono::milliseconds(cfg.idle_timeout_ms);
  t.keep_alive_pings = true;  // ping at idle_timeout / 2 so quiet clients stay
  ws_.set_option(t);
  // Beast refuses a frame whose header declares more than this at once:
  // it sends 1009 and drops the connection without reading the rest. We
  // do not drain such frames (docs/protocol.md, "Close codes").
  ws_.read_message_max(cfg.max_frame_bytes);
  ws_.binary(core_.wire_encoding() == encoding::binary);
  // No permessage-deflate: its per-connection zlib state costs far more
  // memory than our small messages would save.

  const std::string protocol(subprotocol_name(core_.wire_encoding()));
  ws_.set_option(websocket::stream_base::decorator([protocol](websocket::response_type& res) {
    res.set(http::field::server, "mockloop/" + std::string(server_version));
    res.set(http::field::sec_websocket_protocol, protocol);
  }));

  ws_.async_accept(req, beast::bind_front_handler(&websocket_session::on_accept, shared_from_this()));
}

void websocket_session::on_accept(beast::error_code ec) {
  if (ec) return fail(ec, "accept");
  accepted_ = true;
  hub_->metrics().connections.fetch_add(1, std::memory_order_relaxed);
  hub_->metrics().connections_total.fetch_add(1, std::memory_order_relaxed);
  hub_->join(id_, weak_from_this());
  spdlog::debug("[{}] open ({})", id_, subprotocol_name(core_.wire_encoding()));

  if (hub_->shutting_down()) return do_close({close_code::going_away, "server shutting down"});

  hello_timer_.expires_after(std::chrono::milliseconds(hub_->config().hello_timeout_ms));
  hello_timer_.async_wait(beast::bind_front_handler(&websocket_session::on_hello_deadline, shared_from_this()));
  do_read();
}

void websocket_session::on_hello_deadline(beast::error_code ec) {
  if (ec || closing_) return;
  if (auto why = core_.on_hello_deadline()) {
    hub_->metrics().protocol_violation_closes.fetch_add(1, std::memory_order_relaxed);
    do_close(std::move(*why));
  }
}

namespace {

// What a pending read asks of the buffer while no message has begun. Most
// requests fit (a note, a draft, a control); a longer one grows the buffer
// for its remaining frames and the buffer is released after it. Beast's
// own default is a TCP frame, 1,536 bytes, held by every idle connection.
constexpr std::size_t idle_read_bytes = 256;

}  // namespace

// A message is read in pieces (async_read_some) so that the first piece can
// be small: async_read would prepare a whole TCP frame's worth up front.
void websocket_session::do_read() {
  const std::size_t limit = buffer_.size() == 0 ? idle_read_bytes : 0;  // 0: Beast's own hint
  ws_.async_read_some(buffer_, limit, beast::bind_front_handler(&websocket_session::on_read, shared_from_this()));
}

void websocket_session::release_buffer() {
  buffer_.consume(buffer_.size());
  if (buffer_.capacity() > idle_read_bytes) buffer_.shrink_to_fit();
}

void websocket_session::on_read(beast::error_code ec, std::size_t bytes) {
  if (ec) return fail(ec, "read");
  auto& m = hub_->metrics();
  m.bytes_in.fetch_add(bytes, std::memory_order_relaxed);
  if (closing_) {
    // Keep draining until the peer's close frame (error::closed): a peer
    // still sending would otherwise block on a full socket.
    release_buffer();
    return do_read();
  }
  if (!ws_.is_message_done()) return do_read();  // the rest of this message
  m.messages_in.fetch_add(1, std::memory_order_relaxed);

  const auto data = buffer_.cdata();
  const std::string_view payload(static_cast<const char*>(data.data()), data.size());
  // Per address before per connection: many connections from one place
  // share one budget. Dropped like a per-connection excess, with an Error.
  if (core_.handshaken() && !hub_->allow_ip_message(ip_)) {
    release_buffer();
    m.ip_rate_limited.fetch_add(1, std::memory_order_relaxed);
    deliver(make_error(0, v1::ERROR_CODE_RATE_LIMITED, "too many messages from your address; this one was dropped"));
    return do_read();
  }
  auto out = core_.on_message(payload, ws_.got_binary(), std::chrono::steady_clock::now(), system_time_ms());
  release_buffer();

  if (core_.handshaken()) hello_timer_.cancel();
  for (auto& reply : out.replies) {
    if (reply.has_welcome()) {
      // Reminders and booking updates reach every client of a user key.
      if (hub_->schedule) hub_->schedule->attach(weak_from_this(), core_.hello().user_key());
      if (auto resumed = on_welcome(*reply.mutable_welcome())) {
        // Back in a room: the new token is stored before the client is
        // given it, or a crash in between would leave the client holding
        // only a token the restarted server never saw.
        room_ = resumed;  // the resume entry has it already (on_welcome)
        store_token(token_hash_, resumed->id(), [self = shared_from_this(), welcome = std::move(reply), resumed] {
          self->deliver(welcome);
          resumed->resume(self);
        });
        continue;
      }
    }
    deliver(reply);
  }
  if (out.forward) route(std::move(*out.forward));
  if (out.close) {
    m.protocol_violation_closes.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("[{}] closing: {}", id_, out.close->reason);
    do_close(std::move(*out.close));
  }
  do_read();
}

// Hello done. With a resume token that is live or within its window, this
// connection becomes that session: its id, its room seat. Either way the
// client gets a fresh token; only its hash is kept.
std::shared_ptr<room_host> websocket_session::on_welcome(v1::Welcome& w) {
  std::shared_ptr<room_host> room;
  if (const auto& token = core_.hello().resume_token(); !token.empty()) {
    const auto digest = sha256(token);
    auto entry = hub_->take_resume(std::string(digest.begin(), digest.end()), monotonic_unix_ms());
    if (!entry) {
      hub_->metrics().resumes_refused.fetch_add(1, std::memory_order_relaxed);
    } else {
      // Still open (a half-open socket the server has not noticed yet):
      // it steps aside without giving up anything.
      if (auto old = entry->live.lock()) old->supersede();
      hub_->rekey(id_, entry->session_id, weak_from_this());
      id_ = entry->session_id;
      room = entry->room.lock();
      // The token just used stays valid until the client shows it has the
      // new one by using it (the Welcome carrying it may never arrive);
      // the other one it had is retired here, durably too.
      presented_hash_.assign(digest.begin(), digest.end());
      if (!entry->sibling.empty()) store_token(entry->sibling, {});
      w.set_session_id(id_);
      w.set_resumed(true);
      hub_->metrics().resumes.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("[{}] resumed{}", id_, room ? " into room " + room->id() : "");
    }
  }
  const auto token = random_hex(16);
  const auto digest = sha256(token);
  token_hash_.assign(digest.begin(), digest.end());
  hub_->register_resume(token_hash_, hub::resume_entry{id_, weak_from_this(), room, 0, presented_hash_});
  w.set_resume_token(token);
  return room;
}

void websocket_session::supersede() {
  superseded_ = true;
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    self->room_.reset();
    self->do_close({close_code::normal, "resumed on another connection"});
  });
}

// The room this session is in, mirrored into its resume entry so a resume
// from another connection finds it.
void websocket_session::set_room(std::shared_ptr<room_host> r) {
  const bool had_room = room_.lock() != nullptr;
  room_ = r;
  if (token_hash_.empty()) return;
  hub_->update_resume_room(token_hash_, r);
  // And in the store (its hash only), so the token still finds the seat
  // after a restart. Only sessions in rooms cost a write. The token resumed
  // with is stored already; out of the room, both go, except while the
  // server stops: its rooms come back at the next start, seats and all.
  if (hub_->shutting_down()) return;
  if (r) {
    store_token(token_hash_, r->id());
  } else if (had_room) {
    store_token(token_hash_, {});
    if (!presented_hash_.empty()) store_token(presented_hash_, {});
  }
}

// Saves (for room_id) or drops (empty room_id) a token hash, on the store's
// writer thread: the session does not wait for the disk. Writes keep their
// order, so a drop never overtakes the save before it.
void websocket_session::store_token(const std::string& token_hash, const std::string& room_id,
                                    std::function<void()> then) {
  if (!hub_->writer) {
    if (then) then();
    return;
  }
  hub_->writer->submit(
      [hash = token_hash, sid = id_, rid = room_id](store& db, std::string* error) {
        return rid.empty() ? db.drop_resume_token(hash, error) : db.save_resume_token(hash, sid, rid, error);
      },
      [sid = id_, ex = ws_.get_executor(), then = std::move(then)](bool ok, const std::string& error) {
        if (!ok) spdlog::warn("[{}] resume token not stored: {}", sid, error);
        if (then) net::post(ex, then);
      });
}

void websocket_session::deliver(const v1::ServerMessage& m) { enqueue(frame_for(m)); }

// Where each request goes is the core's decision (core/dispatch): this
// carries it there, to the directory, the matchmaker, the scheduler, the
// store's thread, a committee or the room, each on its own strand.
void websocket_session::route(v1::ClientMessage m) {
  const auto rid = m.request_id();
  auto current = room_.lock();
  auto committee = committee_.lock();
  auto d = mockloop::route(m, {current != nullptr, committee != nullptr});
  switch (d.to) {
    case destination::refused:
      return deliver(*d.refusal);
    case destination::create_room: {
      const auto& req = m.create_room();
      if (auto refusal = check_create_room(req, rid)) return deliver(*refusal);
      auto scenario = hub_->scenarios()->find(req.scenario_id());
      if (!scenario)
        return deliver(
            make_error(rid, v1::ERROR_CODE_NOT_FOUND, "no scenario '" + req.scenario_id() + "'", "scenarioId"));
      const auto role = creator_role(req);
      // The codes go out once the room is stored (see below).
      auto reply = std::make_shared<v1::ServerMessage>();
      reply->set_request_id(rid);
      auto created = hub_->rooms->create(
          std::move(scenario), role == v1::ROLE_COACH ? v1::SESSION_TYPE_GROUP_COACHING : v1::SESSION_TYPE_PRIVATE,
          user_id(), req.target_level(), [self = shared_from_this(), reply] {
            net::post(self->ws_.get_executor(), [self, reply] { self->deliver(*reply); });
          });
      if (!created.host) {
        hub_->metrics().rooms_refused.fetch_add(1, std::memory_order_relaxed);
        return deliver(make_error(rid, v1::ERROR_CODE_FAILED_PRECONDITION,
                                  "you already have " + std::to_string(hub_->config().max_rooms_per_user) +
                                      " rooms open; close one first"));
      }
      // Known at once, so a second CreateRoom/JoinRoom in flight is refused;
      // the room clears it (forget_room) if it refuses the join.
      set_room(created.host);
      // The creator's join is queued on the room before anyone can have a
      // code: otherwise a guest who joins and leaves first empties the room
      // and it is disposed under its creator.
      created.host->join(shared_from_this(), core_.hello().display_name(), role, user_id(), 0);
      auto* rc = reply->mutable_room_created();
      rc->set_room_id(created.host->id());
      for (auto& c : created.codes) *rc->add_codes() = std::move(c);
      spdlog::info("[{}] created room {} ({})", id_, created.host->id(), req.scenario_id());
      return;
    }
    case destination::join_room: {
      auto found = hub_->rooms->find_by_code(m.join_room().code());
      if (!found) return deliver(make_error(rid, v1::ERROR_CODE_NOT_FOUND, "no room has that code", "code"));
      set_room(found->host);
      return found->host->join(shared_from_this(), core_.hello().display_name(), found->role, user_id(), rid);
    }
    case destination::queue:
      if (m.has_cancel_ticket()) return hub_->matching->cancel(shared_from_this(), user_id(), rid);
      return hub_->matching->enqueue(shared_from_this(), user_id(), core_.hello().display_name(),
                                     std::move(*m.mutable_enqueue()), rid);
    case destination::schedule:
      return hub_->schedule->handle(shared_from_this(), core_.hello().user_key(), std::move(m));
    case destination::progress:
      return handle_progress(shared_from_this(), *hub_, core_.hello().user_key(), std::move(m));
    case destination::create_committee:
      return create_committee(m.create_committee(), rid);
    case destination::join_committee: {
      auto found = hub_->rooms->find_committee_by_code(m.join_committee().code());
      if (!found) return deliver(make_error(rid, v1::ERROR_CODE_NOT_FOUND, "no committee has that code", "code"));
      committee_ = found->host;
      return found->host->join(shared_from_this(), core_.hello().display_name(), found->chair, rid);
    }
    case destination::committee:
      return committee->handle(id_, std::move(m));
    case destination::next_round: {
      std::shared_ptr<const v1::Scenario> scenario;
      if (const auto& id = m.next_round().scenario_id(); !id.empty()) {
        scenario = hub_->scenarios()->find(id);
        if (!scenario) return deliver(make_error(rid, v1::ERROR_CODE_NOT_FOUND, "no scenario '" + id + "'", "scenarioId"));
      }
      return current->next_round(shared_from_this(), std::move(scenario), rid);
    }
    case destination::leave_room: {
      current->leave(id_);
      set_room(nullptr);
      v1::ServerMessage reply;
      reply.set_request_id(rid);
      reply.mutable_left()->set_room_id(current->id());
      return deliver(reply);
    }
    case destination::room:
      return current->handle(shared_from_this(), std::move(m));
  }
}

void websocket_session::deliver_from_room(const v1::ServerMessage& m) { send(frame_for(m)); }

std::shared_ptr<const std::string> websocket_session::frame_for(const v1::ServerMessage& m) const {
  if (m.has_error()) hub_->metrics().count_error(m.error().code());
  return std::make_shared<const std::string>(encode(m, core_.wire_encoding()));
}

// The user behind this session: their client's user key when it sent one
// (so one person has one ticket and one history across tabs), else the
// session.
std::string websocket_session::user_id() const {
  const auto& key = core_.hello().user_key();
  return key.empty() ? "s:" + id_ : "k:" + key;
}

void websocket_session::drop_room(std::shared_ptr<room_host> r) {
  net::post(ws_.get_executor(), [self = shared_from_this(), r = std::move(r)] {
    if (self->room_.lock() != r) return;
    r->leave(self->id_);
    self->set_room(nullptr);
  });
}

// The chair proves access to each record of the packet with one of its
// room's codes; a candidate's code gives the candidate's copy. The records
// are read on the store's thread (an I/O thread never reads SQLite), then
// the committee opens back on this session's strand.
void websocket_session::create_committee(const v1::CreateCommittee& req, uint32_t request_id) {
  if (!req.example_packet().empty()) {
    if (!req.packet().empty())
      return deliver(make_error(request_id, v1::ERROR_CODE_INVALID_ARGUMENT,
                                "an example packet or your own records, not both", "examplePacket"));
    auto example = hub_->scenarios()->find_example(req.example_packet());
    if (!example)
      return deliver(make_error(request_id, v1::ERROR_CODE_NOT_FOUND,
                                "no example packet '" + req.example_packet() + "'", "examplePacket"));
    std::vector<v1::DebriefRecord> packet(example->records().begin(), example->records().end());
    return open_committee(std::move(packet), std::move(example), request_id);
  }
  if (!hub_->db || !hub_->writer)
    return deliver(make_error(request_id, v1::ERROR_CODE_PERMISSION_DENIED,
                              "no access to debrief '" + req.packet(0).debrief_id() + "' with that code", "packet"));
  struct outcome {
    std::vector<v1::DebriefRecord> packet;
    std::optional<v1::ServerMessage> refusal;
  };
  auto result = std::make_shared<outcome>();
  hub_->writer->submit(
      [req, request_id, result](store& db, std::string*) {
        for (const auto& item : req.packet()) {
          const auto role = db.debrief_access(item.debrief_id(), item.code());
          if (!role) {
            result->refusal = make_error(request_id, v1::ERROR_CODE_PERMISSION_DENIED,
                                         "no access to debrief '" + item.debrief_id() + "' with that code", "packet");
            return true;
          }
          auto record = db.debrief(item.debrief_id());
          if (!record) {
            result->refusal =
                make_error(request_id, v1::ERROR_CODE_NOT_FOUND, "no debrief '" + item.debrief_id() + "'", "packet");
            return true;
          }
          result->packet.push_back(*role == v1::ROLE_CANDIDATE ? for_candidate(std::move(*record))
                                                               : std::move(*record));
        }
        return true;
      },
      [self = shared_from_this(), result, request_id](bool ok, const std::string& error) {
        net::post(self->ws_.get_executor(), [self, result, request_id, ok, error] {
          if (!ok) {
            spdlog::error("[{}] committee packet not read: {}", self->id_, error);
            return self->deliver(
                make_error(request_id, v1::ERROR_CODE_UNAVAILABLE, "the store could not answer; try again"));
          }
          if (result->refusal) return self->deliver(*result->refusal);
          // Still free for a committee: the session may have joined a room meanwhile.
          if (self->room_.lock() || self->committee_.lock())
            return self->deliver(make_error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, "leave your room first"));
          self->open_committee(std::move(result->packet), nullptr, request_id);
        });
      });
}

void websocket_session::open_committee(std::vector<v1::DebriefRecord> packet,
                                       std::shared_ptr<const v1::ExamplePacket> example, uint32_t request_id) {
  auto created = hub_->rooms->create_committee(std::move(packet), user_id(), std::move(example));
  if (!created.host) {
    hub_->metrics().rooms_refused.fetch_add(1, std::memory_order_relaxed);
    return deliver(make_error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION,
                              "you already have " + std::to_string(hub_->config().max_rooms_per_user) +
                                  " rooms open; close one first"));
  }
  committee_ = created.host;
  created.host->join(shared_from_this(), core_.hello().display_name(), /*chair=*/true, 0);  // before any code is out
  v1::ServerMessage reply;
  reply.set_request_id(request_id);
  auto* c = reply.mutable_committee_created();
  c->set_committee_id(created.host->id());
  c->set_member_code(created.member_code);
  c->set_chair_code(created.chair_code);
  deliver(reply);
}

void websocket_session::forget_committee(std::shared_ptr<committee_host> c) {
  net::post(ws_.get_executor(), [self = shared_from_this(), c = std::move(c)] {
    if (self->committee_.lock() == c) self->committee_.reset();
  });
}

void websocket_session::forget_room(std::shared_ptr<room_host> r) {
  net::post(ws_.get_executor(), [self = shared_from_this(), r = std::move(r)] {
    if (self->room_.lock() == r) self->set_room(nullptr);
  });
}

void websocket_session::send(std::shared_ptr<const std::string> frame) {
  net::post(ws_.get_executor(),
            [self = shared_from_this(), frame = std::move(frame)]() mutable { self->enqueue(std::move(frame)); });
}

void websocket_session::close_going_away() {
  net::post(ws_.get_executor(),
            [self = shared_from_this()] { self->do_close({close_code::going_away, "server shutting down"}); });
}

void websocket_session::enqueue(std::shared_ptr<const std::string> frame) {
  if (closing_ || !accepted_) return;
  if (queued_bytes_ + frame->size() > hub_->config().max_queue_bytes) {
    hub_->metrics().slow_consumer_closes.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("[{}] slow consumer: {} bytes queued, closing", id_, queued_bytes_);
    drop_queue(/*keep_front=*/true);  // a write is in flight iff the queue is not empty
    return do_close({close_code::try_again_later, "slow consumer: outbound queue full"});
  }
  queued_bytes_ += frame->size();
  hub_->metrics().queued_bytes.fetch_add(static_cast<int64_t>(frame->size()), std::memory_order_relaxed);
  queue_.push_back(std::move(frame));
  if (queue_.size() == 1) do_write();
}

void websocket_session::do_write() {
  ws_.async_write(net::buffer(*queue_.front()),
                  beast::bind_front_handler(&websocket_session::on_write, shared_from_this()));
}

void websocket_session::on_write(beast::error_code ec, std::size_t bytes) {
  const auto size = queue_.front()->size();
  queue_.pop_front();
  queued_bytes_ -= size;
  hub_->metrics().queued_bytes.fetch_sub(static_cast<int64_t>(size), std::memory_order_relaxed);
  if (ec) {
    drop_queue(false);
    return fail(ec, "write");
  }
  auto& m = hub_->metrics();
  m.messages_out.fetch_add(1, std::memory_order_relaxed);
  m.bytes_out.fetch_add(bytes, std::memory_order_relaxed);
  if (closing_) return drop_queue(false);
  if (!queue_.empty()) do_write();
}

// Forgets queued frames; with keep_front, not the one a write is using.
void websocket_session::drop_queue(bool keep_front) {
  size_t dropped = 0;
  while (queue_.size() > (keep_front ? 1u : 0u)) {
    dropped += queue_.back()->size();
    queue_.pop_back();
  }
  queued_bytes_ -= dropped;
  hub_->metrics().queued_bytes.fetch_sub(static_cast<int64_t>(dropped), std::memory_order_relaxed);
}

void websocket_session::do_close(close_request why) {
  if (closing_) return;
  closing_ = true;
  hello_timer_.cancel();
  websocket::close_reason reason(static_cast<websocket::close_code>(why.code));
  reason.reason = why.reason.substr(0, 123);
  ws_.async_close(reason, beast::bind_front_handler(&websocket_session::on_close, shared_from_this()));
  // A peer that never reads would keep the close frame (and us) waiting
  // behind a blocked write: cut the TCP connection after a grace period.
  close_timer_.expires_after(std::chrono::milliseconds(hub_->config().close_grace_ms));
  close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) beast::get_lowest_layer(self->ws_).close();
  });
}

void websocket_session::on_close(beast::error_code ec) {
  close_timer_.cancel();
  if (ec) return fail(ec, "close");
}

}  // namespace mockloop
