#include "matchmaking.h"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "clock.h"
#include "mockloop/core/protocol_session.h"
#include "random.h"
#include "room_directory.h"
#include "room_host.h"

namespace mockloop {

namespace net = boost::asio;

namespace {

match_settings settings_from(const server_config& c) {
  match_settings s;
  s.widen_after_ms = int64_t{c.widen_after_seconds} * 1000;
  s.default_max_wait_ms = int64_t{c.ticket_max_wait_seconds} * 1000;
  return s;
}

v1::QueueStatus to_wire(const queue_status& s) {
  v1::QueueStatus q;
  q.set_position(s.position);
  q.set_waited_ms(s.waited_ms);
  q.set_estimated_wait_ms(s.estimated_wait_ms);
  q.set_widening(static_cast<uint32_t>(s.widening));
  q.set_max_level_gap(static_cast<uint32_t>(s.max_level_gap));
  q.set_any_style(s.any_style);
  return q;
}

}  // namespace

int64_t matchmaking::now_ms() { return monotonic_unix_ms(); }

matchmaking::matchmaking(net::any_io_executor strand, std::shared_ptr<hub> h)
    : strand_(std::move(strand)), hub_(std::move(h)), core_(settings_from(hub_->config())), timer_(strand_) {}

void matchmaking::start() {
  net::post(strand_, [self = shared_from_this()] { self->do_pass(); });
}

void matchmaking::stop(std::function<void()> then) {
  net::post(strand_, [self = shared_from_this(), then = std::move(then)] {
    self->stopped_ = true;
    self->timer_.cancel();
    v1::ServerMessage m;
    m.mutable_ticket_expired()->set_reason("the server is restarting; queue again once it is back");
    for (const auto& [user, w] : self->waiting_)
      if (auto s = w.session.lock()) s->deliver_from_room(m);
    then();  // after the notices: the sessions' closes queue behind them
  });
}

void matchmaking::push(const std::string& user_id, const v1::ServerMessage& m) {
  const auto it = waiting_.find(user_id);
  if (it == waiting_.end()) return;
  if (auto s = it->second.session.lock()) s->deliver_from_room(m);
}

void matchmaking::enqueue(std::shared_ptr<member> s, std::string user_id, std::string name,
                          v1::Enqueue req, uint32_t request_id) {
  net::post(strand_, [self = shared_from_this(), s = std::move(s), user_id = std::move(user_id),
                      name = std::move(name), req = std::move(req), request_id] {
    ticket_request t;
    t.user_id = user_id;
    for (auto r : req.rounds()) t.rounds.push_back(static_cast<v1::RoundType>(r));
    t.level = req.level();
    t.style = req.company_style();
    t.language = req.language();
    t.max_wait_ms = int64_t{req.max_wait_seconds()} * 1000;
    t.partner_code = req.partner_code();
    if (req.invite()) t.invite_code = random_hex(16);  // 128 bits, like every code that grants a seat
    const auto now = now_ms();
    if (auto err = self->core_.enqueue(t, now); !err.empty())
      return s->deliver_from_room(make_error(request_id, v1::ERROR_CODE_FAILED_PRECONDITION, err));
    self->waiting_[user_id] = waiting{s, s->id(), name};
    self->depth_.store(self->core_.size(), std::memory_order_relaxed);
    v1::ServerMessage reply;
    reply.set_request_id(request_id);
    auto status = self->core_.status(user_id, now);
    *reply.mutable_queue_status() = to_wire(status.value_or(queue_status{}));
    reply.mutable_queue_status()->set_invite_code(t.invite_code);
    s->deliver_from_room(reply);
    spdlog::info("[{}] queued ({} waiting)", s->id(), self->core_.size());
  });
}

void matchmaking::cancel(std::shared_ptr<member> s, std::string user_id, uint32_t request_id) {
  net::post(strand_, [self = shared_from_this(), s = std::move(s), user_id = std::move(user_id), request_id] {
    if (!self->core_.cancel(user_id))
      return s->deliver_from_room(make_error(request_id, v1::ERROR_CODE_NOT_FOUND, "you have no ticket in the queue"));
    self->waiting_.erase(user_id);
    self->depth_.store(self->core_.size(), std::memory_order_relaxed);
    v1::ServerMessage reply;
    reply.set_request_id(request_id);
    reply.mutable_ack();
    s->deliver_from_room(reply);
  });
}

void matchmaking::session_gone(std::string user_id, std::string session_id) {
  net::post(strand_, [self = shared_from_this(), user_id = std::move(user_id), session_id = std::move(session_id)] {
    const auto it = self->waiting_.find(user_id);
    if (it == self->waiting_.end() || it->second.session_id != session_id) return;
    self->core_.cancel(user_id);
    self->waiting_.erase(it);
    self->depth_.store(self->core_.size(), std::memory_order_relaxed);
  });
}

void matchmaking::do_pass() {
  if (stopped_) return;
  const auto now = now_ms();
  auto result = core_.pass(now);
  for (const auto& t : result.expired) {
    v1::ServerMessage m;
    m.mutable_ticket_expired()->set_reason("no match within " + std::to_string(t.req.max_wait_ms / 1000) +
                                           " seconds; queue again to keep looking");
    push(t.req.user_id, m);
    waiting_.erase(t.req.user_id);
  }
  for (const auto& match : result.matches) on_match(match, now);
  // Live status for everyone still waiting.
  for (const auto& [user, w] : waiting_) {
    if (auto st = core_.status(user, now)) {
      v1::ServerMessage m;
      *m.mutable_queue_status() = to_wire(*st);
      push(user, m);
    }
  }
  depth_.store(core_.size(), std::memory_order_relaxed);
  timer_.expires_after(std::chrono::seconds(1));
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->do_pass();
  });
}

peer matchmaking::peer_of(const ticket& t) const {
  peer p;
  p.user_id = t.req.user_id;
  if (const auto it = interviews_given_.find(p.user_id); it != interviews_given_.end()) p.interviews_given = it->second;
  p.wanted = t.req.rounds;
  p.level = t.req.level;
  if (const auto it = played_.find(p.user_id); it != played_.end()) p.played = it->second;
  return p;
}

void matchmaking::on_match(const match_pair& m, int64_t now) {
  auto p = std::make_shared<pairing>();
  p->tickets[0] = m.older;
  p->tickets[1] = m.newer;
  for (int i = 0; i < 2; ++i) {
    const auto it = waiting_.find(p->tickets[i].req.user_id);
    if (it != waiting_.end()) {
      p->names[i] = it->second.name;
      p->session_ids[i] = it->second.session_id;
      waiting_.erase(it);
    }
  }
  begin(p, m.round, now);
}

void matchmaking::begin(std::shared_ptr<pairing> p, v1::RoundType round, int64_t now) {
  const auto a = peer_of(p->tickets[0]), b = peer_of(p->tickets[1]);
  p->candidate = first_candidate(a, b);
  p->round_one = round;
  const auto& cand = p->candidate == 0 ? a : b;
  const auto& intv = p->candidate == 0 ? b : a;
  start_round(p, choose_scenario(*hub_->scenarios(), round, cand, intv), now);
}

void matchmaking::start_scheduled(std::array<scheduled_peer, 2> peers, v1::RoundType round,
                                  std::function<void(std::string room_id)> started) {
  net::post(strand_, [self = shared_from_this(), peers = std::move(peers), round, started = std::move(started)] {
    if (self->stopped_) return;
    auto p = std::make_shared<pairing>();
    p->scheduled = true;
    for (int i = 0; i < 2; ++i) {
      // A queued ticket of the same user gives way: they are taken.
      if (self->core_.cancel(peers[i].user_id)) self->waiting_.erase(peers[i].user_id);
      p->tickets[i].req.user_id = peers[i].user_id;
      p->tickets[i].req.rounds = peers[i].rounds;
      p->tickets[i].req.level = peers[i].level;
      p->names[i] = peers[i].name;
      p->session_ids[i] = peers[i].session_id;
    }
    self->depth_.store(self->core_.size(), std::memory_order_relaxed);
    self->begin(p, round, now_ms());
    const auto host = p->room.lock();
    if (started) started(host ? host->id() : std::string{});
  });
}

void matchmaking::start_round(std::shared_ptr<pairing> p, std::shared_ptr<const v1::Scenario> scenario, int64_t now) {
  if (!scenario) {
    for (int i = 0; i < 2; ++i) {
      v1::ServerMessage m;
      m.mutable_match_forfeited()->set_reason("no scenario of that round type is installed on this server");
      if (auto s = session_of(*p, i)) s->deliver_from_room(m);
    }
    return;
  }
  // Scored against the level the candidate queued for.
  auto created = hub_->rooms->create(scenario, v1::SESSION_TYPE_PEER_MOCK, {}, p->tickets[p->candidate].req.level);
  p->room = created.host;
  std::weak_ptr<matchmaking> weak_self = weak_from_this();
  created.host->set_on_closed([weak_self, p](bool forfeited) {
    if (auto self = weak_self.lock())
      net::post(self->strand_, [self, p, forfeited] { self->on_round_closed(p, forfeited); });
  });
  const auto deadline = now + int64_t{hub_->config().match_join_timeout_seconds} * 1000;
  for (int i = 0; i < 2; ++i) {
    const auto role = i == p->candidate ? v1::ROLE_CANDIDATE : v1::ROLE_INTERVIEWER;
    const auto& user = p->tickets[i].req.user_id;
    played_[user].insert(scenario->id());
    if (role == v1::ROLE_INTERVIEWER) ++interviews_given_[user];
    v1::ServerMessage m;
    auto* f = m.mutable_match_found();
    f->set_room_id(created.host->id());
    f->set_role(role);
    for (const auto& c : created.codes)
      if (c.role() == role) f->set_join_code(c.code());
    f->set_partner_name(p->names[1 - i]);
    f->set_round(static_cast<uint32_t>(p->round));
    f->set_rounds(2);
    f->set_round_type(scenario->round_type());
    f->set_scenario_title(scenario->title());
    f->set_join_deadline_ms(deadline);
    if (auto s = session_of(*p, i)) s->deliver_from_room(m);
  }
  spdlog::info("[room {}] peer mock round {}: {} interviews {}", created.host->id(), p->round,
               p->tickets[1 - p->candidate].req.user_id.substr(0, 8), p->tickets[p->candidate].req.user_id.substr(0, 8));

  auto timer = std::make_shared<net::steady_timer>(strand_);
  timer->expires_after(std::chrono::seconds(hub_->config().match_join_timeout_seconds));
  timer->async_wait([self = shared_from_this(), p, timer, room = p->room](boost::system::error_code ec) {
    if (!ec) self->check_joined(p, room);
  });
}

std::shared_ptr<member> matchmaking::session_of(const pairing& p, int i) const {
  return p.session_ids[i].empty() ? nullptr : hub_->find(p.session_ids[i]);
}

// After the join deadline: whoever is not in the room forfeits; the other
// goes back to the head of the queue with their original ticket.
void matchmaking::check_joined(std::shared_ptr<pairing> p, std::weak_ptr<room_host> room) {
  auto host = room.lock();
  if (!host) return;  // everyone left already; nothing to forfeit
  std::weak_ptr<matchmaking> weak_self = weak_from_this();
  host->inspect([weak_self, p, host](const mockloop::room& r) {
    bool present[2] = {false, false};
    for (int i = 0; i < 2; ++i) present[i] = r.role_of(p->session_ids[i]).has_value();
    if (present[0] && present[1]) return;
    auto self = weak_self.lock();
    if (!self) return;
    net::post(self->strand_, [self, p, host, present0 = present[0], present1 = present[1]] {
      const bool present[2] = {present0, present1};
      for (int i = 0; i < 2; ++i) {
        auto s = self->session_of(*p, i);
        v1::ServerMessage m;
        auto* f = m.mutable_match_forfeited();
        if (present[i] && p->scheduled) {
          // A booking has no place in line to go back to: the live queue is open.
          f->set_reason("your partner did not join in time; queue to find someone now");
          if (s) s->drop_room(host);
        } else if (present[i]) {
          f->set_reason("your partner did not join in time; you are first in line again");
          f->set_requeued(true);
          self->core_.requeue(p->tickets[i]);
          if (s) self->waiting_[p->tickets[i].req.user_id] = waiting{s, s->id(), p->names[i]};
          if (s) s->drop_room(host);
        } else {
          f->set_reason("you did not join the room in time; the match was forfeited");
        }
        if (s) s->deliver_from_room(m);
      }
      self->depth_.store(self->core_.size(), std::memory_order_relaxed);
    });
  });
}

// Round 1 closed: swap roles for round 2 on a scenario of the new
// candidate's wanted type that neither has played.
void matchmaking::on_round_closed(std::shared_ptr<pairing> p, bool forfeited) {
  if (stopped_) return;
  auto old_room = p->room.lock();
  for (int i = 0; i < 2; ++i)
    if (auto s = session_of(*p, i); s && old_room) s->drop_room(old_room);
  if (forfeited) {
    // One of them dropped and did not come back within the grace window:
    // the one still here goes to the head of the line.
    for (int i = 0; i < 2; ++i) {
      auto s = session_of(*p, i);
      if (!s) continue;
      v1::ServerMessage m;
      auto* f = m.mutable_match_forfeited();
      f->set_reason("your partner lost their connection and did not come back; you are first in line again");
      f->set_requeued(true);
      core_.requeue(p->tickets[i]);
      waiting_[p->tickets[i].req.user_id] = waiting{s, s->id(), p->names[i]};
      s->deliver_from_room(m);
    }
    depth_.store(core_.size(), std::memory_order_relaxed);
    return;
  }
  if (p->round >= 2) return;
  p->round = 2;
  p->candidate = 1 - p->candidate;
  const auto cand = peer_of(p->tickets[p->candidate]);
  const auto intv = peer_of(p->tickets[1 - p->candidate]);
  start_round(p, choose_round_two(*hub_->scenarios(), p->round_one, cand, intv), now_ms());
}

}  // namespace mockloop
