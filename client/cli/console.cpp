#include "console.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "http_get.h"
#include "mockloop/core/board.h"
#include "mockloop/core/time_zone.h"

namespace mockloop::cli {

namespace pb = google::protobuf;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

constexpr const char* client_version = "0.1.0";

outcome ok() { return {}; }
outcome fail(std::string message) { return {status::failed, std::move(message)}; }

std::string error_text(const v1::Error& e) {
  std::string out = enum_label(v1::ErrorCode_descriptor(), e.code());
  for (auto& c : out) c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  out += ": " + e.message();
  if (!e.field().empty()) out += " (field " + e.field() + ")";
  return out;
}

std::string role_label(int r) { return enum_label(v1::Role_descriptor(), r); }
std::string stage_label(int s) { return enum_label(v1::RoomStage_descriptor(), s); }
std::string rec_label(int r) { return r == 0 ? "no recommendation" : enum_label(v1::Recommendation_descriptor(), r); }

// "L6", as levels are written.
std::string level_text(int l) {
  auto out = enum_label(v1::Level_descriptor(), l);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}
std::string round_label(int r) { return enum_label(v1::RoundType_descriptor(), r); }

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// "2026-12-06 20:05 UTC": a past instant, readable, the same on every machine.
std::string utc_minute(int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  if (!::gmtime_r(&t, &tm)) return std::to_string(unix_ms) + " (Unix ms)";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

int64_t now_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string percent(double share) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", share * 100);
  return buf;
}

std::string decimal(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

template <class E>
std::optional<E> parse(const pb::EnumDescriptor* d, std::string_view text) {
  auto v = parse_enum(d, text);
  if (!v) return std::nullopt;
  return static_cast<E>(*v);
}

std::string values_of(const pb::EnumDescriptor* d) {
  std::string out;
  for (int i = 0; i < d->value_count(); ++i) {
    if (d->value(i)->number() == 0) continue;
    if (!out.empty()) out += '|';
    out += enum_label(d, d->value(i)->number());
  }
  return out;
}

std::string describe(const client_error& e) {
  std::string out = e.message;
  if (e.kind == client_error::refused && e.http_status != 0)
    out += " (HTTP " + std::to_string(e.http_status) + (e.http_body.empty() ? "" : ": " + e.http_body) + ")";
  return out;
}

}  // namespace

// ---------------------------------------------------------------- commands

struct console::command {
  std::vector<std::string_view> names;  // the first is the one help shows
  const char* usage;
  const char* help;
  outcome (console::*run)(const args&);
};

const std::vector<console::command>& console::commands() {
  static const std::vector<command> table = {
      {{"help", "?"}, "help [command]", "list the commands, or explain one", &console::cmd_help},
      {{"quit", "exit"}, "quit", "leave politely and exit", &console::cmd_quit},
      {{"queue"},
       "queue <round>[,<round>...] <level> [style] [language]",
       "queue for a peer mock: round system-design|technical-deep-dive|behavioral-leadership|cross-functional|"
       "metrics-and-data|recruiter-screen|technical-screen (the names `scenarios` lists), level L4-L7, "
       "style hyperscale|fast-decision-consumer|engineering-platform|any",
       &console::cmd_queue},
      {{"invite"},
       "invite [round] [level] [style]",
       "queue privately and get an invite code for a partner (defaults: system-design L5 any); sets $invite_code",
       &console::cmd_invite},
      {{"partner"}, "partner <code>", "queue with a partner's invite code", &console::cmd_partner},
      {{"cancel"}, "cancel", "leave the queue", &console::cmd_cancel},
      {{"book"},
       "book <when> <round>[,<round>...] [level] [zone]",
       "book a scheduled mock: when is +25h or +2d (the next half hour after), 2026-12-08T09:30 in your zone, "
       "2026-12-08T08:30Z in UTC, or @<unix ms>; zone defaults to $TZ or UTC; sets $booking_id",
       &console::cmd_book},
      {{"bookings"},
       "bookings",
       "your scheduled mocks, your reliability record and your calendar feed",
       &console::cmd_bookings},
      {{"checkin"},
       "checkin [booking]",
       "check in for a booking (default $booking_id) in its window",
       &console::cmd_checkin},
      {{"unbook"}, "unbook [booking]", "cancel a booking (default $booking_id)", &console::cmd_unbook},
      {{"mocks"},
       "mocks [limit]",
       "every round your user key played here: scores and feedback received, cards given and how the candidate "
       "rated them, your calibration against the coach; sets $debrief_id and $rater_id from the newest round you "
       "were the candidate in",
       &console::cmd_mocks},
      {{"rate"},
       "rate <rater> <1-5> [note]",
       "as the candidate of $debrief_id: how useful a card was (1 not useful - 5 very useful), with an optional "
       "note for its rater",
       &console::cmd_rate},
      {{"scenarios"}, "scenarios", "list the server's scenarios (GET /api/scenarios)", &console::cmd_scenarios},
      {{"create"},
       "create <scenario> [coach] [L4-L7]",
       "create a room as its interviewer (or coach), scored at a target level (default: the scenario's lowest); "
       "sets $room_id and $candidate_code, $interviewer_code, $observer_code, $coach_code",
       &console::cmd_create},
      {{"join"}, "join <code>", "join a room with a code", &console::cmd_join},
      {{"leave"}, "leave", "leave the room", &console::cmd_leave},
      {{"start"}, "start", "interviewer/coach: lobby -> briefing", &console::cmd_control},
      {{"pause"}, "pause", "interviewer/coach: freeze the clock", &console::cmd_control},
      {{"resume"}, "resume", "interviewer/coach: restart the clock", &console::cmd_control},
      {{"extend"}, "extend <seconds>", "interviewer/coach: add time to the phase (1-1800 s)", &console::cmd_control},
      {{"skip"}, "skip", "interviewer/coach: end the briefing or the phase now", &console::cmd_control},
      {{"reveal"},
       "reveal",
       "interviewer/coach: reveal the scorecards now (in a committee: the chair reveals votes)",
       &console::cmd_control},
      {{"close"}, "close", "interviewer/coach: close the room", &console::cmd_control},
      {{"ask"},
       "ask <follow-up-id> | ask \"free text\"",
       "ask a scripted follow-up by id (see `script`), or free text (quoted, or several words)",
       &console::cmd_ask},
      {{"mark"}, "mark <marker>", "tick a candidate move (see `script`)", &console::cmd_mark},
      {{"note"}, "note <text>", "a private note (in a committee: shared discussion)", &console::cmd_note},
      {{"score"},
       "score <dimension> <1-4|na> [evidence]",
       "rate a rubric dimension (saved as a draft)",
       &console::cmd_score},
      {{"recommend"},
       "recommend <strong-no|no|yes|strong-yes>",
       "your overall recommendation (draft)",
       &console::cmd_recommend},
      {{"summary"}, "summary <text>", "your scorecard's summary (draft)", &console::cmd_summary},
      {{"submit"}, "submit", "submit your scorecard (final; sealed until the reveal)", &console::cmd_submit},
      {{"hotseat"},
       "hotseat <participant>",
       "coach: give the candidate seat to someone (name or id)",
       &console::cmd_hotseat},
      {{"next"}, "next [scenario]", "coach: start the next round (same scenario if none)", &console::cmd_next},
      {{"committee"},
       "committee create <debrief>:<code> ... | committee example <packet> | committee join <code> | committee reveal",
       "committee practice: open one on a packet of debriefs or on an example packet (`scenarios` lists them; "
       "sets $member_code, $chair_code), join, reveal",
       &console::cmd_committee},
      {{"vote"},
       "vote <strong-no|no|yes|strong-yes> <rationale>",
       "committee: cast (or after the reveal, change) your vote",
       &console::cmd_vote},
      {{"decide"}, "decide <recommendation> <reasons>", "committee chair: record the decision", &console::cmd_decide},
      {{"rubric"}, "rubric", "staff: the rubric with its anchors", &console::cmd_rubric},
      {{"script"}, "script", "staff: the follow-ups and markers", &console::cmd_script},
      {{"state"}, "state", "the room, the clock, who is here, what was asked", &console::cmd_state},
      {{"brief", "briefing"}, "brief", "your briefing again (candidate: the prompt and agenda)", &console::cmd_brief},
      {{"debrief"}, "debrief", "the debrief (candidate) or the revealed scorecards (staff)", &console::cmd_debrief},
      {{"whoami"}, "whoami", "session, name, room and role", &console::cmd_whoami},
      {{"board"}, "board", "what is on the room's board, with ids and places", &console::cmd_board},
      {{"box"}, "box <id> <x> <y> <text>", "draw a box on the board (x 0-4000, y 0-3000)", &console::cmd_draw},
      {{"label"}, "label <id> <x> <y> <text>", "put a text label on the board", &console::cmd_draw},
      {{"arrow"}, "arrow <id> <from> <to> [text]", "connect two boxes or labels", &console::cmd_draw},
      {{"move"}, "move <id> <x> <y>", "move a box or label", &console::cmd_draw},
      {{"rename"}, "rename <id> <text>", "change an object's text", &console::cmd_draw},
      {{"erase"}, "erase <id>", "remove an object (and the arrows on it)", &console::cmd_draw},
      {{"wait"},
       "wait <event> [argument] [timeout]",
       "wait for: matched [nojoin] | joined | phase <id|lobby|briefing|interview|scoring|revealed|closed> | "
       "followup [id|text] | debrief | revealed | scoring | closed | participant <role|name> | submitted [n] | "
       "board <text|id> | "
       "queue | expired | forfeited | booking | reminder | committee <voting|revealed|decided|packet> | votes <n> | "
       "state | "
       "message <type>; timeout like 30s (default 60s)",
       &console::cmd_wait},
      {{"sleep"}, "sleep <ms>", "pause, still showing what arrives (also 2s, 1m)", &console::cmd_sleep},
      {{"ping"}, "ping", "round trip to the server", &console::cmd_ping},
      {{"reconnect"},
       "reconnect",
       "drop the connection and resume the session with its token",
       &console::cmd_reconnect},
      {{"set"}, "set <name> <value>", "set a $variable", &console::cmd_set},
      {{"print", "echo"}, "print <text>", "print a line ($variables expanded)", &console::cmd_print},
  };
  return table;
}

console::console(console_options opts, sink print, sink json)
    : opts_(std::move(opts)), print_(std::move(print)), json_(std::move(json)) {}

console::~console() = default;

std::optional<std::string> console::variable(std::string_view name) const {
  if (const auto it = vars_.find(name); it != vars_.end()) return it->second;
  if (const char* env = std::getenv(std::string(name).c_str())) return std::string(env);
  return std::nullopt;
}

void console::say(const std::string& line) {
  if (print_) print_(line);
}

outcome console::execute(std::string_view line) {
  auto split = split_words(line, [this](std::string_view n) { return variable(n); });
  if (!split.error.empty()) return fail(split.error);
  if (split.words.empty()) return ok();
  const auto name = lower(split.words[0].text);
  for (const auto& c : commands()) {
    if (std::find(c.names.begin(), c.names.end(), name) == c.names.end()) continue;
    const bool local = c.run == &console::cmd_help || c.run == &console::cmd_quit || c.run == &console::cmd_set ||
                       c.run == &console::cmd_print || c.run == &console::cmd_sleep ||
                       c.run == &console::cmd_scenarios || c.run == &console::cmd_reconnect;
    if (!local && !connected())
      return {status::disconnected, "not connected" + (lost_reason_.empty() ? "" : ": " + lost_reason_)};
    return (this->*c.run)(split.words);
  }
  return fail("unknown command '" + split.words[0].text + "' (try `help`)");
}

std::string console::help_text() const {
  std::string out;
  for (const auto& c : commands()) {
    std::string u = c.usage;
    if (u.size() < 44)
      u.resize(44, ' ');
    else
      u += "\n" + std::string(46, ' ');  // a long usage gets a line of its own
    out += "  " + u + " " + c.help + "\n";
  }
  return out;
}

// ---------------------------------------------------------------- connection

outcome console::connect() {
  client_ = std::make_unique<client>(opts_.connection);
  lost_ = false;
  lost_reason_.clear();
  if (auto c = client_->connect(); !c) {
    lost_ = true;
    lost_reason_ = describe(c.error());
    return {status::disconnected, "cannot connect to ws://" + opts_.connection.host + ":" +
                                      std::to_string(opts_.connection.port) + opts_.connection.target + ": " +
                                      lost_reason_};
  }
  const bool resuming = !resume_token_.empty();
  auto hello = [&](const std::string& token) {
    v1::ClientMessage m;
    auto* h = m.mutable_hello();
    h->set_client_name("mockloop-cli");
    h->set_client_version(client_version);
    h->set_display_name(opts_.display_name);
    h->set_user_key(opts_.user_key);
    h->set_resume_token(token);
    return request(std::move(m));
  };
  auto reply = hello(resume_token_);
  // A server that refuses the token outright: start a new session instead.
  if (reply && reply->has_error() && resuming) reply = hello({});
  if (!reply) return lost(reply.error());
  if (reply->has_error()) return fail("Hello refused: " + error_text(reply->error()));
  if (!reply->has_welcome()) return fail("expected Welcome, got another reply");
  const auto& w = reply->welcome();
  if (resuming) {
    if (w.resumed()) {
      say("resumed: yes, session " + w.session_id() + " (the room follows)");
    } else {
      say("resumed: no, new session " + w.session_id() + " (the seat was not kept)");
      reset_room();
      room_id_.clear();
      queued_ = false;
      committee_.reset();
      packet_.reset();
    }
  }
  vars_["resumed"] = w.resumed() ? "yes" : "no";
  return ok();
}

outcome console::reconnect() {
  // Destroying the client drops the socket without a close frame: to the
  // server it looks like a network failure, which is what resume is for.
  client_.reset();
  return connect();
}

bool console::connected() const { return client_ && !lost_ && client_->is_open(); }

void console::close() {
  if (!client_) return;
  // Quitting is leaving: without LeaveRoom the server would hold the seat
  // for a resume that never comes, and show us as reconnecting meanwhile.
  if (connected() && !room_id_.empty()) {
    v1::ClientMessage m;
    m.mutable_leave_room();
    (void)request(std::move(m));
  }
  if (connected() && queued_) {
    v1::ClientMessage m;
    m.mutable_cancel_ticket();
    (void)request(std::move(m));
  }
  if (client_->is_open()) client_->close();
}

outcome console::lost(const client_error& e) {
  if (e.kind == client_error::timeout) return {status::timed_out, e.message};
  lost_ = true;
  lost_reason_ = e.message;
  if (e.close) lost_reason_ += " (close code " + std::to_string(e.close->code) + ")";
  return {status::disconnected, "connection lost: " + lost_reason_};
}

// ---------------------------------------------------------------- message loop

result<v1::ServerMessage> console::request(v1::ClientMessage m) {
  if (!client_) return client_error{client_error::closed, "not connected"};
  // A burst of commands may outrun the server's rate limit: wait and send
  // the same request again, as a person would.
  for (int attempt = 0;; ++attempt) {
    m.set_request_id(0);
    last_send_ = steady_clock::now();
    auto id = client_->send(m);
    if (!id) return id.error();
    const auto deadline = steady_clock::now() + opts_.connection.timeout;
    bool again = false;
    while (!again) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
      if (left <= milliseconds(0)) return client_error{client_error::timeout, "no reply within the request timeout"};
      auto got = client_->receive(left);
      if (!got) {
        if (got.error().kind == client_error::timeout) continue;
        return got.error();
      }
      const bool reply = got->request_id() == id.value();
      if (reply && got->has_error() && got->error().code() == v1::ERROR_CODE_RATE_LIMITED && attempt < 40) {
        again = true;
        break;
      }
      handle(got.value(), reply);
      if (reply) return std::move(got.value());
    }
    pump(milliseconds(250));
  }
}

outcome console::simple(v1::ClientMessage m) {
  auto reply = request(std::move(m));
  if (!reply) return lost(reply.error());
  if (reply->has_error()) return fail(error_text(reply->error()));
  return ok();
}

outcome console::wait_until(const std::function<bool()>& done, const std::string& what, milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  while (!done()) {
    if (!connected()) return {status::disconnected, "connection lost while waiting for " + what};
    if (interrupted && *interrupted) return fail("interrupted while waiting for " + what);
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
    if (left <= milliseconds(0)) {
      char secs[32];
      std::snprintf(secs, sizeof secs, "%.1f", static_cast<double>(timeout.count()) / 1000);
      return {status::timed_out, "timed out after " + std::string(secs) + " s waiting for " + what};
    }
    // In slices, so an interrupt is seen soon.
    auto got = client_->receive(std::min(left, milliseconds(200)));
    if (!got) {
      if (got.error().kind == client_error::timeout) continue;
      return lost(got.error());
    }
    handle(got.value(), false);
  }
  return ok();
}

void console::pump(milliseconds budget, bool interactive_mode) {
  const auto deadline = steady_clock::now() + budget;
  while (connected() && !(interrupted && *interrupted)) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
    // At least one short turn of the I/O loop, so a zero budget still
    // takes what has already arrived; at most a slice, for interrupts.
    auto got = client_->receive(std::clamp(left, milliseconds(1), milliseconds(200)));
    if (!got) {
      if (got.error().kind != client_error::timeout) lost(got.error());
      if (left <= milliseconds(0) || got.error().kind != client_error::timeout) break;
      continue;
    }
    handle(got.value(), false);
    if (interactive_mode && join_pending_ && match_) {
      join_pending_ = false;
      say("match: joining with the code");
      if (auto r = join_code(match_->join_code()); r.kind != status::ok) say("error: " + r.message);
    }
  }
}

void console::handle(const v1::ServerMessage& m, bool is_reply) {
  if (json_) json_(encode(m, encoding::json));
  if (const auto* f = v1::ServerMessage::descriptor()->FindFieldByNumber(m.body_case())) ++arrivals_[f->name()];

  switch (m.body_case()) {
    case v1::ServerMessage::kError:
      // A reply's error belongs to the command that sent it, which reports it.
      if (!is_reply) say("error: " + error_text(m.error()));
      break;
    case v1::ServerMessage::kWelcome: {
      const auto& w = m.welcome();
      session_id_ = w.session_id();
      resume_token_ = w.resume_token();
      vars_["session_id"] = session_id_;
      say("connected: session " + w.session_id() + " as " + quoted(opts_.display_name) + " (server " +
          w.server_version() + ", " + std::string(subprotocol_name(opts_.connection.wire)) + ")");
      break;
    }
    case v1::ServerMessage::kPong:
    case v1::ServerMessage::kAck:
      break;
    case v1::ServerMessage::kRoomCreated: {
      const auto& rc = m.room_created();
      vars_["room_id"] = rc.room_id();
      say("room: created " + rc.room_id());
      for (const auto& c : rc.codes()) {
        const auto role = role_label(c.role());
        vars_[role + "_code"] = c.code();
        say("code: " + role + " " + c.code());
      }
      break;
    }
    case v1::ServerMessage::kJoined:
      on_joined(m.joined());
      break;
    case v1::ServerMessage::kLeft:
      say("left: room " + m.left().room_id());
      if (m.left().room_id() == room_id_) {
        reset_room();
        room_id_.clear();
      }
      break;
    case v1::ServerMessage::kCandidateBriefing:
      candidate_briefing_ = m.candidate_briefing();
      staff_briefing_.reset();
      show_candidate_briefing(*candidate_briefing_);
      break;
    case v1::ServerMessage::kStaffBriefing:
      staff_briefing_ = m.staff_briefing();
      candidate_briefing_.reset();
      show_staff_briefing(*staff_briefing_);
      break;
    case v1::ServerMessage::kRoomState:
      on_room(m.room_state(), nullptr);
      break;
    case v1::ServerMessage::kStaffRoomState:
      on_room(m.staff_room_state().room(), &m.staff_room_state());
      break;
    case v1::ServerMessage::kTick:
      if (m.tick().room_id() == room_id_) on_clock(m.tick().clock(), true);
      break;
    case v1::ServerMessage::kQueueStatus: {
      const auto& q = m.queue_status();
      const bool news = !queue_ || !queued_ || q.position() != queue_->position() ||
                        q.widening() != queue_->widening() || q.invite_code() != queue_->invite_code();
      queued_ = true;
      queue_ = q;
      if (!q.invite_code().empty()) vars_["invite_code"] = q.invite_code();
      if (news) {
        std::string line = "queue: position " + std::to_string(q.position()) + ", waited " + clock_text(q.waited_ms());
        if (q.estimated_wait_ms() > 0) line += ", estimated " + clock_text(q.estimated_wait_ms());
        if (q.widening() > 0)
          line +=
              ", widened to " + std::to_string(q.max_level_gap()) + " level(s)" + (q.any_style() ? ", any style" : "");
        say(line);
        if (!q.invite_code().empty())
          say("queue: invite code " + q.invite_code() + " (your partner types: partner " + q.invite_code() + ")");
      }
      break;
    }
    case v1::ServerMessage::kTicketExpired:
      queued_ = false;
      say("queue: ticket expired: " + m.ticket_expired().reason());
      break;
    case v1::ServerMessage::kBookingUpdate:
      say("booking: " + m.booking_update().reason() + " - " + booking_line(m.booking_update().booking()));
      break;
    case v1::ServerMessage::kBookingReminder: {
      const auto min = m.booking_reminder().minutes_before();
      say("reminder: your mock starts in " +
          (min >= 60 ? std::to_string(min / 60) + " h" : std::to_string(min) + " min") +
          (min <= 10 ? "; check-in is open (`checkin`)" : "") + " - " + booking_line(m.booking_reminder().booking()));
      break;
    }
    case v1::ServerMessage::kBookings:
      show_bookings(m.bookings());
      break;
    case v1::ServerMessage::kMatchFound: {
      const auto& mf = m.match_found();
      queued_ = false;
      match_ = mf;
      vars_["match_code"] = mf.join_code();
      vars_["match_role"] = role_label(mf.role());
      vars_["match_room"] = mf.room_id();
      vars_["partner"] = mf.partner_name();
      const int64_t left = mf.join_deadline_ms() > 0 ? mf.join_deadline_ms() - now_ms() : 0;
      say("match: " + quoted(mf.partner_name()) + " and you, as " + role_label(mf.role()) + ", round " +
          std::to_string(mf.round()) + " of " + std::to_string(mf.rounds()) + ", " + round_label(mf.round_type()) +
          ": " + quoted(mf.scenario_title()) + (left > 0 ? "; join within " + clock_text(left) : ""));
      if (interactive) {
        if (opts_.auto_join)
          join_pending_ = true;
        else
          say("match: type `join $match_code` to take your seat");
      }
      break;
    }
    case v1::ServerMessage::kMatchForfeited: {
      const auto& f = m.match_forfeited();
      queued_ = f.requeued();
      say("match: forfeited: " + f.reason() + (f.requeued() ? " (back at the head of the queue)" : ""));
      break;
    }
    case v1::ServerMessage::kCandidateDebrief:
      on_debrief(m.candidate_debrief());
      break;
    case v1::ServerMessage::kCommitteeCreated: {
      const auto& c = m.committee_created();
      vars_["committee_id"] = c.committee_id();
      vars_["member_code"] = c.member_code();
      vars_["chair_code"] = c.chair_code();
      say("committee: created " + c.committee_id());
      say("code: member " + c.member_code());
      say("code: chair " + c.chair_code());
      break;
    }
    case v1::ServerMessage::kCommitteePacket: {
      packet_ = m.committee_packet();
      say("committee: packet of " + std::to_string(packet_->records_size()) + " record(s)");
      for (const auto& r : packet_->records()) {
        std::string recs;
        for (const auto& c : r.scorecards()) recs += (recs.empty() ? "" : ", ") + rec_label(c.recommendation());
        say("record: " + r.id() + " " + quoted(r.scenario_title()) + " (" + round_label(r.round_type()) + "), " +
            std::to_string(r.scorecards_size()) + " scorecard(s)" + (recs.empty() ? "" : ": " + recs));
      }
      break;
    }
    case v1::ServerMessage::kCommitteeState:
      on_committee(m.committee_state());
      break;
    case v1::ServerMessage::kBoard:
      if (!board_) board_ = std::make_unique<mockloop::board>();
      board_->load(m.board());
      if (m.board().objects_size() > 0)
        say("board: " + std::to_string(m.board().objects_size()) + " object(s); `board` lists them");
      break;
    case v1::ServerMessage::kBoardUpdate:
      for (const auto& op : m.board_update().ops()) on_board_op(op);
      break;
    case v1::ServerMessage::kCallState: {
      // The terminal has no microphone: it says who is talking, from where.
      std::string line;
      for (const auto& x : m.call_state().members())
        line += (line.empty() ? "" : ", ") + quoted(x.display_name()) + (x.speaker() ? "" : " (listening)") +
                (x.muted() ? " (muted)" : "");
      line = line.empty() ? "nobody in the call" : line + " in the call (join it from the web page)";
      if (line != call_line_) say("call: " + line);
      call_line_ = line;
      break;
    }
    default: {
      const auto* f = v1::ServerMessage::descriptor()->FindFieldByNumber(m.body_case());
      say("message: " + (f ? f->name() : std::string("unknown")));
    }
  }
}

// ---------------------------------------------------------------- rooms

void console::reset_room() {
  candidate_briefing_.reset();
  staff_briefing_.reset();
  room_.reset();
  staff_.reset();
  clock_.reset();
  reached_.clear();
  seen_.clear();
  followups_waited_ = 0;
  debrief_.reset();
  card_.Clear();
  board_.reset();
  call_line_.clear();
}

void console::on_joined(const v1::Joined& j) {
  if (j.room_id() != room_id_) reset_room();
  room_id_ = j.room_id();
  role_ = j.role();
  participant_id_ = j.participant_id();
  queued_ = false;
  vars_["room_id"] = room_id_;
  vars_["participant_id"] = participant_id_;
  vars_["role"] = role_label(role_);
  say("joined: room " + room_id_ + " as " + role_label(role_) + " (participant " + participant_id_ + ")");
}

std::string console::participant_name(const std::string& id) const {
  if (room_)
    for (const auto& p : room_->participants())
      if (p.participant_id() == id) return p.display_name();
  return id;
}

std::string console::phase_name(const std::string& phase_id) const {
  if (staff_briefing_)
    for (const auto& p : staff_briefing_->scenario().phases())
      if (p.id() == phase_id) return p.name();
  if (candidate_briefing_)
    for (const auto& p : candidate_briefing_->phases())
      if (p.id() == phase_id) return p.name();
  return phase_id;
}

int console::phase_count() const {
  if (staff_briefing_) return staff_briefing_->scenario().phases_size();
  if (candidate_briefing_) return candidate_briefing_->phases_size();
  return 0;
}

std::string console::dimension_name(const std::string& id) const {
  if (staff_briefing_)
    for (const auto& d : staff_briefing_->scenario().rubric())
      if (d.id() == id) return d.name();
  return id;
}

void console::on_clock(const v1::RoomClock& c, bool from_tick) {
  const auto& prev = clock_;
  const bool new_stage = !prev || prev->stage() != c.stage();
  const bool new_phase = !prev || prev->phase_id() != c.phase_id();
  if (new_stage || new_phase) {
    if (c.stage() == v1::ROOM_STAGE_INTERVIEW) {
      std::string line = "phase: " + std::to_string(c.phase_index() + 1);
      if (phase_count() > 0) line += "/" + std::to_string(phase_count());
      line += " " + c.phase_id() + " " + quoted(c.phase_name().empty() ? phase_name(c.phase_id()) : c.phase_name()) +
              ", " + clock_text(c.remaining_ms()) + (c.paused() ? " (paused)" : "");
      if (candidate_briefing_)
        for (const auto& p : candidate_briefing_->phases())
          if (p.id() == c.phase_id() && !p.candidate_guidance().empty()) line += " - " + p.candidate_guidance();
      say(line);
    } else if (c.stage() == v1::ROOM_STAGE_BRIEFING) {
      say("stage: briefing, " + clock_text(c.remaining_ms()) + " to read");
    } else {
      say("stage: " + stage_label(c.stage()));
    }
  } else if (prev->paused() != c.paused()) {
    say(c.paused() ? "clock: paused, " + clock_text(c.remaining_ms()) + " left"
                   : "clock: resumed, " + clock_text(c.remaining_ms()) + " left");
  } else if ((!c.paused() && c.deadline_ms() > prev->deadline_ms() + 1500) ||
             (c.paused() && c.remaining_ms() > prev->remaining_ms() + 1500)) {
    say("clock: extended, " + clock_text(c.remaining_ms()) + " left");
  } else if (from_tick && !c.paused() && c.remaining_ms() > 0) {
    // A line a minute in the log; the status line shows the seconds.
    const auto minutes = [](int64_t ms) { return (ms + 59'999) / 60'000; };
    if (minutes(c.remaining_ms()) < minutes(prev->remaining_ms()))
      say("clock: " + std::to_string(minutes(c.remaining_ms())) + " min left in " +
          quoted(c.phase_name().empty() ? c.phase_id() : c.phase_name()));
  }
  reached_.insert(stage_label(c.stage()));
  if (!c.phase_id().empty()) reached_.insert(c.phase_id());
  clock_ = c;
  clock_at_ = steady_clock::now();
}

void console::on_room(const v1::RoomState& r, const v1::StaffRoomState* staff) {
  const bool same_room = room_ && room_->room_id() == r.room_id();
  const bool new_round = !same_room || room_->round() != r.round();
  if (same_room && new_round) say("round: " + std::to_string(r.round()) + ", " + quoted(r.scenario_title()));
  if (new_round) {
    reached_.clear();
    followups_waited_ = 0;
    debrief_.reset();
    card_.Clear();
    clock_.reset();
  }

  // Who came, left, dropped, came back, or changed seats.
  std::map<std::string, v1::Participant> before;
  if (same_room)
    for (const auto& p : room_->participants()) before[p.participant_id()] = p;
  for (const auto& p : r.participants()) {
    const bool me = p.participant_id() == participant_id_;
    const auto it = before.find(p.participant_id());
    if (it == before.end()) {
      // On our own arrival everyone is already here; later, they join.
      if (!me)
        say("participant: " + quoted(p.display_name()) + (same_room ? " joined as " : " is here as ") +
            role_label(p.role()));
    } else {
      if (it->second.connected() != p.connected())
        say("participant: " + quoted(p.display_name()) + (p.connected() ? " is back" : " is reconnecting"));
      if (it->second.role() != p.role())
        say("participant: " + (me ? std::string("you are") : quoted(p.display_name()) + " is") + " now " +
            role_label(p.role()));
      before.erase(it);
    }
    if (me) role_ = p.role();
    seen_[p.participant_id()] = p;
  }
  for (const auto& [id, p] : before) say("participant: " + quoted(p.display_name()) + " left");
  vars_["role"] = role_label(role_);

  const int asked_before = new_round ? 0 : room_->asked_size();
  for (int i = asked_before; i < r.asked_size(); ++i) {
    const auto& a = r.asked(i);
    std::string line = "followup: " + quoted(a.text());
    if (!a.follow_up_id().empty() && staff) line += " [" + a.follow_up_id() + "]";
    if (a.by_script()) line += " (scripted)";
    say(line);
  }

  if (staff) {
    const v1::StaffRoomState* old = (!new_round && staff_) ? &*staff_ : nullptr;
    for (int i = old ? old->ticked_markers_size() : 0; i < staff->ticked_markers_size(); ++i)
      say("marker: " + staff->ticked_markers(i));
    for (int i = old ? old->notes_size() : 0; i < staff->notes_size(); ++i)
      say("note: " + quoted(staff->notes(i).author_name()) + ": " + staff->notes(i).text());
    for (int i = old ? old->submitted_by_size() : 0; i < staff->submitted_by_size(); ++i)
      say("scoring: " + quoted(participant_name(staff->submitted_by(i))) + " submitted (" + std::to_string(i + 1) +
          " of " + std::to_string(staff->expected_raters_size()) + ")");
  }
  // The stage after what led to it (the last card, then the reveal).
  on_clock(r.clock(), false);
  if (staff) {
    const v1::StaffRoomState* old = (!new_round && staff_) ? &*staff_ : nullptr;
    if ((!old || old->revealed_size() == 0) && staff->revealed_size() > 0) {
      vars_["debrief_id"] =
          staff->debrief_id().empty() ? r.room_id() + "-" + std::to_string(r.round()) : staff->debrief_id();
      say("revealed: " + std::to_string(staff->revealed_size()) + " scorecard(s); debrief " + vars_["debrief_id"]);
      show_scorecards(staff->revealed(), staff->aggregation());
    }
  }
  room_ = r;
  if (staff)
    staff_ = *staff;
  else
    staff_.reset();
}

void console::show_scorecards(const pb::RepeatedPtrField<v1::Scorecard>& cards, const v1::Aggregation& agg) {
  std::map<std::string, std::string> names;
  for (const auto& d : agg.dimensions()) names[d.dimension_id()] = d.name();
  auto name_of = [&](const std::string& id) {
    const auto it = names.find(id);
    return it != names.end() && !it->second.empty() ? it->second : dimension_name(id);
  };
  for (const auto& c : cards) {
    say("scorecard: " + quoted(c.rater_name()) + " (" + role_label(c.rater_role()) +
        "): " + rec_label(c.recommendation()) + (c.summary().empty() ? "" : " - " + c.summary()));
    for (const auto& s : c.scores())
      say("  " + name_of(s.dimension_id()) + ": " + (s.rating() == 0 ? "not observed" : std::to_string(s.rating())) +
          (s.evidence().empty() ? "" : " - " + s.evidence()));
    if (c.has_at_level()) say("  " + level_reading(c.at_level()));
  }
  if (agg.has_at_level()) say("panel " + level_reading(agg.at_level()));
  // Agreement needs two raters at least.
  if (agg.dimensions_size() == 0 || cards.size() < 2) return;
  std::string line = "agreement: " + percent(agg.percent_exact_agreement()) + " exact";
  if (agg.has_krippendorff_alpha_ordinal())
    line += ", Krippendorff's alpha " + decimal(agg.krippendorff_alpha_ordinal());
  say(line);
  for (const auto& d : agg.dimensions())
    if (d.ratings() > 0)
      say("  " + name_of(d.dimension_id()) + ": mean " + decimal(d.mean()) + " (" + std::to_string(d.min()) + "-" +
          std::to_string(d.max()) + ")" + (d.wide_disagreement() ? ", wide disagreement" : ""));
  if (agg.widest_disagreement_size() > 0) {
    std::string w;
    for (const auto& id : agg.widest_disagreement()) w += (w.empty() ? "" : ", ") + name_of(id);
    say("widest disagreement: " + w);
  }
}

// "at L6 the level rule reads no: Scoping is under the L6 line"
std::string console::level_reading(const v1::LevelVerdict& v) {
  const auto level = level_text(v.level());
  return "at " + level + " the level rule reads " +
         (v.recommendation() ? rec_label(v.recommendation()) : std::string("nothing")) +
         (v.reason().empty() ? "" : ": " + v.reason());
}

void console::on_debrief(const v1::CandidateDebrief& d) {
  debrief_ = d;
  vars_["debrief_id"] = d.debrief_id();
  say("debrief: " + d.debrief_id() + ", " + std::to_string(d.scorecards_size()) + " scorecard(s)");
  show_scorecards(d.scorecards(), d.aggregation());
  for (const auto& f : d.follow_ups()) say("debrief followup: " + quoted(f.text()));
  for (const auto& t : d.timeline()) say("timeline: " + t);
}

void console::show_candidate_briefing(const v1::CandidateBriefing& b) {
  say("briefing: " + quoted(b.title()) + " (" + round_label(b.round_type()) + ")");
  say("prompt: " + b.brief().prompt());
  for (const auto& c : b.brief().context()) say("context: " + c);
  show_code(b.brief());
  int i = 0;
  for (const auto& p : b.phases())
    say("agenda: " + std::to_string(++i) + ". " + p.name() + " (" + clock_text(int64_t{p.duration_seconds()} * 1000) +
        ")" + (p.candidate_guidance().empty() ? "" : " - " + p.candidate_guidance()));
}

// A technical screen's excerpt, numbered so that "line 12" means one thing.
void console::show_code(const v1::CandidateBrief& brief) {
  if (brief.code().empty()) return;
  say("code" + (brief.code_language().empty() ? std::string() : " (" + brief.code_language() + ")") + ":");
  std::string_view rest = brief.code();
  for (int n = 1; !rest.empty(); ++n) {
    const auto nl = rest.find('\n');
    const auto line = rest.substr(0, nl);
    say((n < 10 ? " " : "") + std::to_string(n) + " | " + std::string(line));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
}

void console::show_staff_briefing(const v1::StaffBriefing& b) {
  const auto& sc = b.scenario();
  say("briefing: " + quoted(sc.title()) + " (" + round_label(sc.round_type()) + "), staff view: " +
      std::to_string(sc.rubric_size()) + " rubric dimensions, " + std::to_string(sc.follow_ups_size()) +
      " follow-ups, " + std::to_string(sc.markers_size()) + " markers (see `rubric`, `script`)");
  say("prompt: " + sc.candidate().prompt());
  show_code(sc.candidate());
  if (!sc.interviewer().briefing().empty()) say("how to run it: " + sc.interviewer().briefing());
  for (const auto& n : sc.interviewer().notes()) say("note for running it: " + n);
  if (sc.pacing_percent() != 0 && sc.pacing_percent() != 100)
    say("pacing: scripted follow-ups come at " + std::to_string(sc.pacing_percent()) + "% of the written time");
  int i = 0;
  for (const auto& p : sc.phases())
    say("agenda: " + std::to_string(++i) + ". " + p.id() + " " + quoted(p.name()) + " (" +
        clock_text(int64_t{p.duration_seconds()} * 1000) + ")");
}

void console::on_committee(const v1::CommitteeState& s) {
  const auto label = [](int st) { return enum_label(v1::CommitteeStage_descriptor(), st); };
  const v1::CommitteeState* old = committee_ && committee_->committee_id() == s.committee_id() ? &*committee_ : nullptr;
  if (!old || old->stage() != s.stage()) say("committee: " + label(s.stage()));
  std::set<std::string> known;
  if (old)
    for (const auto& m : old->members()) known.insert(m.member_id());
  for (const auto& m : s.members())
    if (!known.count(m.member_id()))
      say("committee: " + quoted(m.display_name()) + " is a member" + (m.chair() ? " (chair)" : ""));
  if (!old || old->voted_size() != s.voted_size())
    say("committee: " + std::to_string(s.voted_size()) + " vote(s) cast, " + std::to_string(s.min_votes()) +
        " needed to reveal");
  int old_changes = 0, changes = 0;
  if (old)
    for (const auto& v : old->votes()) old_changes += v.changes_size();
  for (const auto& v : s.votes()) changes += v.changes_size();
  if ((!old || old->votes_size() == 0) && s.votes_size() > 0) {
    for (const auto& v : s.votes()) {
      say("vote: " + quoted(v.display_name()) + ": " + rec_label(v.independent().vote()) + " - " +
          v.independent().rationale());
      for (const auto& c : v.changes()) say("  changed to " + rec_label(c.vote()) + " - " + c.rationale());
    }
  } else if (changes > old_changes) {
    for (const auto& v : s.votes())
      if (v.changes_size() > 0) {
        const auto& c = v.changes(v.changes_size() - 1);
        say("vote: " + quoted(v.display_name()) + " changed to " + rec_label(c.vote()) + " - " + c.rationale());
      }
  }
  for (int i = old ? old->discussion_size() : 0; i < s.discussion_size(); ++i)
    say("discussion: " + quoted(s.discussion(i).author_name()) + ": " + s.discussion(i).text());
  if (s.decision().decision() != 0 && (!old || old->decision().decision() == 0)) {
    say("decision: " + rec_label(s.decision().decision()) + " - " + s.decision().reasons() +
        (s.record_id().empty() ? "" : " (record " + s.record_id() + ")"));
    if (!s.record_id().empty()) vars_["record_id"] = s.record_id();
    if (s.has_example_decision()) {
      const auto& ex = s.example_decision();
      say("example panel decided: " + rec_label(ex.decision()) + " - " + ex.reasons());
      for (const auto& v : ex.votes())
        say("  " + quoted(v.member()) + ": " + rec_label(v.independent()) + " first, " + rec_label(v.final()) +
            " at the end");
      if (!s.example_commentary().empty()) say("example commentary: " + s.example_commentary());
    }
  }
  committee_ = s;
}

std::string console::status_line() const {
  if (!connected()) return "[offline]";
  std::string out = "[" + opts_.display_name;
  if (room_ && clock_) {
    out += " | " + role_label(role_) + " | ";
    const auto& c = *clock_;
    if (c.stage() == v1::ROOM_STAGE_INTERVIEW || c.stage() == v1::ROOM_STAGE_BRIEFING) {
      int64_t left = c.remaining_ms();
      if (!c.paused()) left -= std::chrono::duration_cast<milliseconds>(steady_clock::now() - clock_at_).count();
      out += (c.stage() == v1::ROOM_STAGE_BRIEFING ? std::string("briefing")
                                                   : (c.phase_name().empty() ? c.phase_id() : c.phase_name())) +
             " " + clock_text(left) + (c.paused() ? " paused" : "");
    } else {
      out += stage_label(c.stage());
    }
    if (room_->asked_size() > 0) out += " | " + std::to_string(room_->asked_size()) + " asked";
  } else if (committee_) {
    out += " | committee " + enum_label(v1::CommitteeStage_descriptor(), committee_->stage()) + ", " +
           std::to_string(committee_->voted_size()) + " voted";
  } else if (queued_ && queue_) {
    out += " | queue #" + std::to_string(queue_->position());
  }
  return out + "]";
}

// ---------------------------------------------------------------- commands

outcome console::cmd_help(const args& a) {
  if (a.size() > 1) {
    const auto name = lower(a[1].text);
    for (const auto& c : commands())
      if (std::find(c.names.begin(), c.names.end(), name) != c.names.end()) {
        say(std::string("usage: ") + c.usage);
        say(std::string("  ") + c.help);
        return ok();
      }
    return fail("no command '" + a[1].text + "'");
  }
  say("commands ($name expands a variable; \"quotes\" keep words together; # starts a comment):");
  std::string text = help_text();
  for (size_t start = 0, nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    say(text.substr(start, nl - start));
  return ok();
}

outcome console::cmd_quit(const args&) { return {status::quit, {}}; }

namespace {

// "system-design,metrics" -> round types; false with an error message.
bool parse_rounds(std::string_view text, pb::RepeatedField<int>& rounds, std::string& error) {
  size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const auto part = text.substr(start, comma - start);
    auto r = parse<v1::RoundType>(v1::RoundType_descriptor(), part);
    if (!r) {
      error = "unknown round type '" + std::string(part) + "' (" + values_of(v1::RoundType_descriptor()) + ")";
      return false;
    }
    rounds.Add(*r);
    start = comma + 1;
  }
  return true;
}

}  // namespace

outcome console::cmd_queue(const args& a) {
  if (a.size() < 3) return fail("usage: queue <round>[,<round>...] <level> [style] [language]");
  v1::ClientMessage m;
  auto* e = m.mutable_enqueue();
  std::string error;
  if (!parse_rounds(a[1].text, *e->mutable_rounds(), error)) return fail(error);
  auto level = parse<v1::Level>(v1::Level_descriptor(), a[2].text);
  if (!level) return fail("unknown level '" + a[2].text + "' (L4, L5, L6, L7)");
  e->set_level(*level);
  if (a.size() > 3) {
    auto style = parse<v1::CompanyStyle>(v1::CompanyStyle_descriptor(), a[3].text);
    if (!style) return fail("unknown company style '" + a[3].text + "' (hyperscale, consumer, platform, any)");
    e->set_company_style(*style);
  }
  if (a.size() > 4) e->set_language(a[4].text);
  return simple(std::move(m));
}

outcome console::cmd_invite(const args& a) {
  v1::ClientMessage m;
  auto* e = m.mutable_enqueue();
  e->set_invite(true);
  std::string error;
  if (!parse_rounds(a.size() > 1 ? a[1].text : "system-design", *e->mutable_rounds(), error)) return fail(error);
  auto level = parse<v1::Level>(v1::Level_descriptor(), a.size() > 2 ? a[2].text : "L5");
  if (!level) return fail("unknown level '" + a[2].text + "' (L4, L5, L6, L7)");
  e->set_level(*level);
  if (a.size() > 3) {
    auto style = parse<v1::CompanyStyle>(v1::CompanyStyle_descriptor(), a[3].text);
    if (!style) return fail("unknown company style '" + a[3].text + "'");
    e->set_company_style(*style);
  }
  return simple(std::move(m));
}

outcome console::cmd_partner(const args& a) {
  if (a.size() != 2) return fail("usage: partner <code>");
  v1::ClientMessage m;
  m.mutable_enqueue()->set_partner_code(a[1].text);
  return simple(std::move(m));
}

outcome console::cmd_cancel(const args&) {
  v1::ClientMessage m;
  m.mutable_cancel_ticket();
  auto r = simple(std::move(m));
  if (r.kind == status::ok) {
    queued_ = false;
    say("queue: ticket cancelled");
  }
  return r;
}

// ---------------------------------------------------------------- scheduled mocks

namespace {

std::string zone_or_default(const std::string& given) {
  if (!given.empty()) return given;
  if (const char* tz = std::getenv("TZ"); tz && *tz && valid_zone_name(tz[0] == ':' ? tz + 1 : tz))
    return tz[0] == ':' ? tz + 1 : tz;
  return "UTC";
}

std::optional<time_zone> load_zone(const std::string& name) {
  if (name == "UTC") return time_zone::utc();
  if (!valid_zone_name(name)) return std::nullopt;
  std::ifstream in("/usr/share/zoneinfo/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return in ? time_zone::parse(name, ss.str()) : std::nullopt;
}

// "2026-12-08T09:30" (local in `zone`) or with a trailing Z (UTC): Unix ms.
std::optional<int64_t> parse_when(const std::string& text, const time_zone& zone) {
  int y = 0;
  unsigned mo = 0, d = 0, h = 0, mi = 0;
  char z = 0;
  const int n = std::sscanf(text.c_str(), "%4d-%2u-%2uT%2u:%2u%c", &y, &mo, &d, &h, &mi, &z);
  if (n < 5 || (n == 6 && z != 'Z') || h > 23 || mi > 59) return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{year{y}, month{mo}, day{d}};
  if (!ymd.ok()) return std::nullopt;
  const int64_t local_s = sys_days{ymd}.time_since_epoch().count() * 86'400 + h * 3600 + mi * 60;
  if (n == 6) return local_s * 1000;
  // The offset in force at the instant itself: two steps settle it except
  // in a DST gap, where the later offset wins.
  const auto guess = local_s - zone.at(local_s).utc_offset_s;
  return (local_s - zone.at(guess).utc_offset_s) * 1000;
}

const char* status_text(v1::BookingStatus s) {
  switch (s) {
    case v1::BOOKING_STATUS_PENDING:
      return "finding a partner";
    case v1::BOOKING_STATUS_PAIRED:
      return "paired";
    case v1::BOOKING_STATUS_STARTED:
      return "started";
    case v1::BOOKING_STATUS_CANCELLED:
      return "cancelled";
    case v1::BOOKING_STATUS_LATE_CANCELLED:
      return "cancelled late";
    case v1::BOOKING_STATUS_NO_SHOW:
      return "no-show";
    case v1::BOOKING_STATUS_PARTNER_NO_SHOW:
      return "partner did not come";
    case v1::BOOKING_STATUS_UNMATCHED:
      return "nobody else booked it";
    default:
      return "?";
  }
}

}  // namespace

std::string console::booking_line(const v1::Booking& b) const {
  std::string rounds;
  for (auto r : b.rounds()) rounds += (rounds.empty() ? "" : ",") + round_label(r);
  std::string line = b.booking_id() + " " + b.local_start() + " " + rounds + ": " + status_text(b.status());
  if (!b.partner_name().empty())
    line += " with " + quoted(b.partner_name()) + " (for them " + b.partner_local_start() + ")";
  if (b.checked_in()) line += ", checked in";
  if (b.partner_checked_in()) line += ", partner checked in";
  return line;
}

void console::show_bookings(const v1::Bookings& b) {
  const auto& r = b.reliability();
  std::string record = "reliability: " + std::to_string(r.percent()) + "% attended over " +
                       std::to_string(r.counted()) + " session(s); " + std::to_string(r.late_cancels()) +
                       " late cancel(s), " + std::to_string(r.no_shows()) + " no-show(s)";
  if (r.blocked_until_ms() > 0)
    record += "; booking paused until " + std::to_string(r.blocked_until_ms()) + " (Unix ms)";
  say(record);
  for (const auto& x : b.bookings()) say("booking: " + booking_line(x));
  if (b.bookings_size() == 0) say("bookings: none");
  const auto url = "http://" + opts_.connection.host + ":" + std::to_string(opts_.connection.port) + b.calendar_path();
  vars_["calendar_url"] = url;
  say("calendar: " + url + " (webcal:// for a subscription)");
}

outcome console::booking_request(v1::ClientMessage m) {
  auto reply = request(std::move(m));
  if (!reply) return lost(reply.error());
  if (reply->has_error()) return fail(error_text(reply->error()));
  if (!reply->has_bookings()) return fail("unexpected reply: " + reply->ShortDebugString());
  const auto& b = reply->bookings();
  if (!b.booked_id().empty()) vars_["booking_id"] = b.booked_id();
  show_bookings(b);
  return ok();
}

outcome console::cmd_book(const args& a) {
  if (a.size() < 3) return fail("usage: book <when> <round>[,<round>...] [level] [zone]");
  v1::ClientMessage m;
  auto* b = m.mutable_book_slot();
  std::string error;
  if (!parse_rounds(a[2].text, *b->mutable_rounds(), error)) return fail(error);
  if (a.size() > 3) {
    auto level = parse<v1::Level>(v1::Level_descriptor(), a[3].text);
    if (!level) return fail("unknown level '" + a[3].text + "' (L4, L5, L6, L7)");
    b->set_level(*level);
  }
  const auto zone_name = zone_or_default(a.size() > 4 ? a[4].text : std::string());
  const auto zone = load_zone(zone_name);
  if (!zone) return fail("unknown time zone '" + zone_name + "' (an IANA name such as Europe/Berlin)");
  b->set_time_zone(zone_name);
  const auto& when = a[1].text;
  if (!when.empty() && when[0] == '+') {
    const auto d = parse_duration(std::string_view(when).substr(1));
    if (!d) return fail("bad time '" + when + "': +90m, +25h, +2d");
    constexpr int64_t half_hour = 1'800'000;
    b->set_start_ms((now_ms() + d->count() + half_hour - 1) / half_hour * half_hour);
  } else if (!when.empty() && when[0] == '@') {
    int64_t ms = 0;
    const auto [end, ec] = std::from_chars(when.data() + 1, when.data() + when.size(), ms);
    if (ec != std::errc{} || end != when.data() + when.size()) return fail("bad time '" + when + "': @<unix ms>");
    b->set_start_ms(ms);
  } else if (auto ms = parse_when(when, *zone)) {
    b->set_start_ms(*ms);
  } else {
    return fail("bad time '" + when + "': 2026-12-08T09:30 (in " + zone_name +
                "), 2026-12-08T08:30Z, +25h or @<unix ms>");
  }
  return booking_request(std::move(m));
}

outcome console::cmd_bookings(const args&) {
  v1::ClientMessage m;
  m.mutable_list_bookings();
  return booking_request(std::move(m));
}

void console::show_my_mocks(const v1::MyMocks& mm) {
  bool candidate_seen = false;
  for (const auto& m : mm.mocks()) {
    std::string others;
    for (const auto& o : m.others()) others += (others.empty() ? "" : ", ") + quoted(o);
    say("mock: " + m.debrief_id() + " " + quoted(m.scenario_title()) + " as " + role_label(m.role()) +
        (others.empty() ? "" : " with " + others) + ", " + utc_minute(m.closed_ms()));
    if (m.role() == v1::ROLE_CANDIDATE) {
      if (!candidate_seen && m.feedback_size() > 0) {
        vars_["debrief_id"] = m.debrief_id();
        vars_["rater_id"] = m.feedback(0).rater_id();
        candidate_seen = true;
      }
      std::string received;
      for (const auto& r : m.received())
        received += (received.empty() ? "" : ", ") + r.name() + " " + decimal(r.mean());
      if (!received.empty()) say("  received: " + received);
      std::map<std::string, const v1::UsefulnessRating*> rated;
      for (const auto& r : m.rated()) rated[r.rater_id()] = &r;
      for (const auto& c : m.feedback()) {
        const auto it = rated.find(c.rater_id());
        say("  feedback: " + quoted(c.rater_name()) + " (" + role_label(c.rater_role()) + ") [" + c.rater_id() +
            "]: " + rec_label(c.recommendation()) + (c.summary().empty() ? "" : " - " + c.summary()) +
            (it == rated.end() ? "" : "; you rated it " + std::to_string(it->second->usefulness()) + "/5"));
      }
    } else if (m.has_given()) {
      say("  gave: " + rec_label(m.given().recommendation()) +
          (m.given().summary().empty() ? "" : " - " + m.given().summary()));
      if (m.has_given_rated())
        say("  the candidate rated it " + std::to_string(m.given_rated().usefulness()) + "/5" +
            (m.given_rated().comment().empty() ? "" : ": " + quoted(m.given_rated().comment())));
    }
  }
  if (mm.mocks_size() == 0) say("mocks: none yet");
  if (mm.usefulness_ratings() > 0)
    say("usefulness: candidates rated your cards " + decimal(mm.usefulness_mean()) + "/5 on average (" +
        std::to_string(mm.usefulness_ratings()) + " rating(s))");
  const auto& c = mm.calibration();
  if (c.sessions() > 0) {
    std::string line = "calibration: " + std::to_string(c.sessions()) + " coaching round(s), " +
                       std::to_string(c.pairs()) + " pair(s), bias " + (c.bias() > 0 ? "+" : "") + decimal(c.bias()) +
                       " against the coach, " + percent(c.exact()) + " exact, " + percent(c.within_one()) +
                       " within one";
    if (c.has_alpha_ordinal()) line += ", alpha " + decimal(c.alpha_ordinal());
    say(line);
    for (const auto& d : c.dimensions())
      say("  " + d.name() + ": bias " + (d.bias() > 0 ? "+" : "") + decimal(d.bias()) + " over " +
          std::to_string(d.pairs()) + " pair(s)");
  }
}

outcome console::cmd_mocks(const args& a) {
  v1::ClientMessage m;
  auto* l = m.mutable_list_my_mocks();
  if (a.size() > 1) {
    uint32_t n = 0;
    const auto& t = a[1].text;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (ec != std::errc{} || end != t.data() + t.size() || n == 0 || n > 200)
      return fail("usage: mocks [limit] (1 to 200)");
    l->set_limit(n);
  }
  auto reply = request(std::move(m));
  if (!reply) return lost(reply.error());
  if (reply->has_error()) return fail(error_text(reply->error()));
  if (!reply->has_my_mocks()) return fail("unexpected reply: " + reply->ShortDebugString());
  show_my_mocks(reply->my_mocks());
  return ok();
}

outcome console::cmd_rate(const args& a) {
  if (a.size() < 3) return fail("usage: rate <rater> <1-5> [note]");
  const auto debrief = vars_["debrief_id"];
  if (debrief.empty()) return fail("no $debrief_id yet: run `mocks` first");
  uint32_t n = 0;
  const auto& t = a[2].text;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (ec != std::errc{} || end != t.data() + t.size() || n < 1 || n > 5)
    return fail("usefulness is 1 (not useful) to 5 (very useful), not '" + t + "'");
  v1::ClientMessage m;
  auto* r = m.mutable_rate_feedback();
  r->set_debrief_id(debrief);
  r->set_rater_id(a[1].text);
  r->set_usefulness(n);
  if (a.size() > 3) r->set_comment(join_words(a, 3));
  auto reply = request(std::move(m));
  if (!reply) return lost(reply.error());
  if (reply->has_error()) return fail(error_text(reply->error()));
  say("rated: " + a[1].text + " " + std::to_string(n) + "/5");
  return ok();
}

outcome console::cmd_checkin(const args& a) {
  const auto id = a.size() > 1 ? a[1].text : vars_["booking_id"];
  if (id.empty()) return fail("usage: checkin <booking> (no $booking_id yet)");
  v1::ClientMessage m;
  m.mutable_check_in()->set_booking_id(id);
  return booking_request(std::move(m));
}

outcome console::cmd_unbook(const args& a) {
  const auto id = a.size() > 1 ? a[1].text : vars_["booking_id"];
  if (id.empty()) return fail("usage: unbook <booking> (no $booking_id yet)");
  v1::ClientMessage m;
  m.mutable_cancel_booking()->set_booking_id(id);
  return booking_request(std::move(m));
}

outcome console::cmd_scenarios(const args&) {
  const auto answer =
      http_get(opts_.connection.host, opts_.connection.port, "/api/scenarios", opts_.connection.timeout);
  if (answer.status == 0) return fail("GET /api/scenarios: " + answer.error);
  if (answer.status != 200) return fail("GET /api/scenarios: HTTP " + std::to_string(answer.status));
  pb::Struct list;
  pb::util::JsonParseOptions lenient;
  lenient.ignore_unknown_fields = true;
  if (!pb::util::JsonStringToMessage(answer.body, &list, lenient).ok() || !list.fields().count("scenarios"))
    return fail("GET /api/scenarios: not the expected JSON");
  const auto& items = list.fields().at("scenarios").list_value().values();
  say("scenarios: " + std::to_string(items.size()));
  for (const auto& item : items) {
    std::string json;
    v1::ScenarioSummary s;
    if (!pb::util::MessageToJsonString(item, &json).ok() || !pb::util::JsonStringToMessage(json, &s, lenient).ok())
      continue;
    std::string levels;
    for (const auto l : s.levels()) {
      auto label = enum_label(v1::Level_descriptor(), l);  // "l5" -> "L5", as levels are written
      if (!label.empty()) label[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(label[0])));
      levels += (levels.empty() ? "" : ",") + label;
    }
    std::string line = s.id();
    if (line.size() < 38) line.resize(38, ' ');
    say("  " + line + " " + round_label(s.round_type()) + ", " + (levels.empty() ? "any level" : levels) + ", " +
        std::to_string(s.duration_seconds() / 60) + " min" +
        (s.company_style() != 0 ? ", " + enum_label(v1::CompanyStyle_descriptor(), s.company_style()) : "") + ": " +
        s.title());
  }
  return ok();
}

outcome console::cmd_create(const args& a) {
  if (a.size() < 2 || a.size() > 4) return fail("usage: create <scenario> [coach|interviewer] [L4-L7]");
  v1::ClientMessage m;
  m.mutable_create_room()->set_scenario_id(a[1].text);
  for (size_t i = 2; i < a.size(); ++i) {
    // Either order: "create x coach L6", "create x L6".
    if (auto level = parse<v1::Level>(v1::Level_descriptor(), a[i].text)) {
      m.mutable_create_room()->set_target_level(*level);
      continue;
    }
    auto role = parse<v1::Role>(v1::Role_descriptor(), a[i].text);
    if (!role || (*role != v1::ROLE_COACH && *role != v1::ROLE_INTERVIEWER))
      return fail("'" + a[i].text + "' is neither the creator's role (interviewer or coach) nor a level (L4-L7)");
    m.mutable_create_room()->set_creator_role(*role);
  }
  return simple(std::move(m));
}

outcome console::join_code(const std::string& code) {
  v1::ClientMessage m;
  m.mutable_join_room()->set_code(code);
  auto r = simple(std::move(m));
  if (r.kind == status::ok) {
    consumed_["joined"] = arrivals_["joined"];
    join_pending_ = false;
  }
  return r;
}

outcome console::cmd_join(const args& a) {
  if (a.size() != 2) return fail("usage: join <code>");
  return join_code(a[1].text);
}

outcome console::cmd_leave(const args&) {
  v1::ClientMessage m;
  m.mutable_leave_room();
  return simple(std::move(m));
}

outcome console::cmd_control(const args& a) {
  const auto name = lower(a[0].text);
  // In a committee (and no room), reveal is the chair's committee action.
  if (name == "reveal" && committee_ && room_id_.empty()) {
    v1::ClientMessage m;
    m.mutable_committee_action()->set_action(v1::CommitteeAction::ACTION_REVEAL);
    return simple(std::move(m));
  }
  auto action = parse<v1::RoomControl::Action>(v1::RoomControl::Action_descriptor(), name);
  if (!action) return fail("unknown room action '" + name + "'");
  v1::ClientMessage m;
  m.mutable_room_control()->set_action(*action);
  if (*action == v1::RoomControl::ACTION_EXTEND) {
    auto d = a.size() == 2 ? parse_duration(a[1].text, milliseconds(1000)) : std::nullopt;
    if (!d) return fail("usage: extend <seconds> (e.g. extend 120, extend 2m)");
    m.mutable_room_control()->set_seconds(static_cast<uint32_t>(d->count() / 1000));
  } else if (a.size() > 1) {
    return fail("usage: " + name + " takes no arguments");
  }
  return simple(std::move(m));
}

outcome console::cmd_ask(const args& a) {
  if (a.size() < 2) return fail("usage: ask <follow-up-id> | ask \"free text\"");
  v1::ClientMessage m;
  if (a.size() == 2 && !a[1].quoted)
    m.mutable_ask_follow_up()->set_follow_up_id(a[1].text);
  else
    m.mutable_ask_follow_up()->set_free_text(join_words(a, 1));
  return simple(std::move(m));
}

outcome console::cmd_mark(const args& a) {
  if (a.size() != 2) return fail("usage: mark <marker>");
  v1::ClientMessage m;
  m.mutable_tick_marker()->set_marker_id(a[1].text);
  return simple(std::move(m));
}

outcome console::cmd_note(const args& a) {
  if (a.size() < 2) return fail("usage: note <text>");
  v1::ClientMessage m;
  m.mutable_add_note()->set_text(join_words(a, 1));
  return simple(std::move(m));
}

outcome console::save_card(const v1::Scorecard& card, bool submit) {
  v1::ClientMessage m;
  *m.mutable_save_scorecard()->mutable_scorecard() = card;
  m.mutable_save_scorecard()->set_submit(submit);
  auto r = simple(std::move(m));
  if (r.kind != status::ok) return r;
  card_ = card;
  if (!submit) {
    // Say what the server now holds, so a typo'd dimension or a missing
    // recommendation shows before `submit`.
    int rated = 0;
    for (const auto& sc : card.scores()) rated += sc.rating() > 0;
    const int dims = staff_briefing_ ? staff_briefing_->scenario().rubric_size() : card.scores_size();
    say("draft saved: " + std::to_string(rated) + " of " + std::to_string(dims) + " dimensions rated, " +
        (card.recommendation() ? "recommendation " + rec_label(card.recommendation()) : "no recommendation yet") +
        (card.summary().empty() ? "" : ", a summary"));
  }
  return r;
}

outcome console::cmd_score(const args& a) {
  if (a.size() < 3) return fail("usage: score <dimension> <1-4|na> [evidence]");
  const auto rating_text = lower(a[2].text);
  uint32_t rating = 0;
  if (rating_text == "na" || rating_text == "n/a" || rating_text == "0")
    rating = 0;
  else if (rating_text.size() == 1 && rating_text[0] >= '1' && rating_text[0] <= '4')
    rating = static_cast<uint32_t>(rating_text[0] - '0');
  else
    return fail("a rating is 1 to 4, or na for not observed");
  v1::Scorecard card = card_;
  v1::DimensionScore* score = nullptr;
  for (auto& s : *card.mutable_scores())
    if (s.dimension_id() == a[1].text) score = &s;
  if (!score) score = card.add_scores();
  score->set_dimension_id(a[1].text);
  score->set_rating(rating);
  if (a.size() > 3) score->set_evidence(join_words(a, 3));
  return save_card(card, false);
}

outcome console::cmd_recommend(const args& a) {
  if (a.size() != 2) return fail("usage: recommend <strong-no|no|yes|strong-yes>");
  auto rec = parse<v1::Recommendation>(v1::Recommendation_descriptor(), a[1].text);
  if (!rec) return fail("a recommendation is " + values_of(v1::Recommendation_descriptor()));
  v1::Scorecard card = card_;
  card.set_recommendation(*rec);
  return save_card(card, false);
}

outcome console::cmd_summary(const args& a) {
  if (a.size() < 2) return fail("usage: summary <text>");
  v1::Scorecard card = card_;
  card.set_summary(join_words(a, 1));
  return save_card(card, false);
}

outcome console::cmd_submit(const args&) {
  auto r = save_card(card_, true);
  if (r.kind == status::ok) say("scorecard: submitted");
  return r;
}

outcome console::cmd_hotseat(const args& a) {
  if (a.size() < 2) return fail("usage: hotseat <participant name or id>");
  const auto who = join_words(a, 1);
  std::string id;
  if (room_) {
    for (const auto& p : room_->participants())
      if (p.participant_id() == who) id = who;
    if (id.empty())
      for (const auto& p : room_->participants())
        if (lower(p.display_name()) == lower(who)) {
          if (!id.empty()) return fail("two participants are called " + quoted(who) + "; use the id (see `state`)");
          id = p.participant_id();
        }
  }
  if (id.empty()) id = who;  // let the server judge an id we have not seen
  v1::ClientMessage m;
  m.mutable_move_hot_seat()->set_participant_id(id);
  return simple(std::move(m));
}

outcome console::cmd_next(const args& a) {
  if (a.size() > 2) return fail("usage: next [scenario]");
  v1::ClientMessage m;
  m.mutable_next_round()->set_scenario_id(a.size() == 2 ? a[1].text : std::string());
  return simple(std::move(m));
}

outcome console::cmd_committee(const args& a) {
  const auto sub = a.size() > 1 ? lower(a[1].text) : std::string();
  v1::ClientMessage m;
  if (sub == "create" && a.size() > 2) {
    for (size_t i = 2; i < a.size(); ++i) {
      const auto colon = a[i].text.rfind(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == a[i].text.size())
        return fail("a packet item is <debrief-id>:<code>, not '" + a[i].text + "'");
      auto* item = m.mutable_create_committee()->add_packet();
      item->set_debrief_id(a[i].text.substr(0, colon));
      item->set_code(a[i].text.substr(colon + 1));
    }
    return simple(std::move(m));
  }
  if (sub == "join" && a.size() == 3) {
    m.mutable_join_committee()->set_code(a[2].text);
    return simple(std::move(m));
  }
  if (sub == "example" && a.size() == 3) {
    m.mutable_create_committee()->set_example_packet(a[2].text);
    return simple(std::move(m));
  }
  if (sub == "reveal" && a.size() == 2) {
    m.mutable_committee_action()->set_action(v1::CommitteeAction::ACTION_REVEAL);
    return simple(std::move(m));
  }
  return fail(
      "usage: committee create <debrief>:<code> ... | committee example <packet> | committee join <code> | "
      "committee reveal");
}

outcome console::cmd_vote(const args& a) {
  if (a.size() < 3) return fail("usage: vote <strong-no|no|yes|strong-yes> <rationale>");
  auto rec = parse<v1::Recommendation>(v1::Recommendation_descriptor(), a[1].text);
  if (!rec) return fail("a vote is " + values_of(v1::Recommendation_descriptor()));
  v1::ClientMessage m;
  m.mutable_cast_vote()->set_vote(*rec);
  m.mutable_cast_vote()->set_rationale(join_words(a, 2));
  return simple(std::move(m));
}

outcome console::cmd_decide(const args& a) {
  if (a.size() < 3) return fail("usage: decide <strong-no|no|yes|strong-yes> <reasons>");
  auto rec = parse<v1::Recommendation>(v1::Recommendation_descriptor(), a[1].text);
  if (!rec) return fail("a decision is " + values_of(v1::Recommendation_descriptor()));
  v1::ClientMessage m;
  auto* act = m.mutable_committee_action();
  act->set_action(v1::CommitteeAction::ACTION_DECIDE);
  act->set_decision(*rec);
  act->set_reasons(join_words(a, 2));
  return simple(std::move(m));
}

outcome console::cmd_rubric(const args&) {
  if (!staff_briefing_) return fail(candidate_briefing_ ? "candidates do not see the rubric" : "not in a room");
  for (const auto& d : staff_briefing_->scenario().rubric()) {
    say("dimension " + d.id() + ": " + d.name() + " (" + enum_label(v1::ScoringLayer_descriptor(), d.layer()) + ")");
    if (!d.description().empty()) say("  " + d.description());
    for (const auto& an : d.anchors()) say("  " + std::to_string(an.level()) + ": " + an.description());
    std::string lines;
    for (const auto& l : d.pass_lines())
      lines += (lines.empty() ? "" : ", ") + level_text(l.level()) + " " + std::to_string(l.score());
    if (!lines.empty()) say("  pass lines: " + lines + " (this room: " + level_text(target_level()) + ")");
  }
  for (const auto& sa : staff_briefing_->scenario().sample_answers())
    say("sample answer scoring about " + std::to_string(sa.level()) + ": " + sa.excerpt() + "\n  why: " + sa.commentary());
  return ok();
}

outcome console::cmd_script(const args&) {
  if (!staff_briefing_) return fail(candidate_briefing_ ? "candidates do not see the script" : "not in a room");
  std::set<std::string> asked, ticked;
  if (room_)
    for (const auto& a : room_->asked()) asked.insert(a.follow_up_id());
  if (staff_)
    for (const auto& t : staff_->ticked_markers()) ticked.insert(t);
  const auto& sc = staff_briefing_->scenario();
  for (const auto& f : sc.follow_ups()) {
    std::string when = "by hand";
    if (f.has_in_phase())
      when =
          "in phase " + f.in_phase().phase_id() + " after " + clock_text(int64_t{f.in_phase().after_seconds()} * 1000);
    else if (f.has_at_time())
      when = "at " + clock_text(int64_t{f.at_time().at_seconds()} * 1000) +
             (f.at_time().unless_marker().empty() ? "" : " unless " + f.at_time().unless_marker());
    else if (f.has_on_move())
      when = "on " + f.on_move().marker_id() +
             (f.on_move().after_follow_up().empty() ? "" : " after " + f.on_move().after_follow_up());
    say("followup " + f.id() + (asked.count(f.id()) ? " (asked)" : "") + " [" + when + "]: " + f.text());
  }
  for (const auto& mk : sc.markers())
    say(std::string(mk.bad_move() ? "bad move " : "marker ") + mk.id() + (ticked.count(mk.id()) ? " (ticked)" : "") +
        ": " + mk.label());
  return ok();
}

void console::show_state() {
  if (!room_) {
    say(queued_ ? "state: in the queue" : committee_ ? "state: in a committee" : "state: not in a room");
    return;
  }
  const auto& r = *room_;
  say("state: room " + r.room_id() + ", round " + std::to_string(r.round()) + ", " + quoted(r.scenario_title()) +
      ", you are " + role_label(role_));
  if (clock_) {
    const auto& c = *clock_;
    std::string line = "clock: " + stage_label(c.stage());
    if (c.stage() == v1::ROOM_STAGE_INTERVIEW) line += ", phase " + c.phase_id() + " " + quoted(c.phase_name());
    if (c.stage() == v1::ROOM_STAGE_INTERVIEW || c.stage() == v1::ROOM_STAGE_BRIEFING) {
      int64_t left = c.remaining_ms();
      if (!c.paused()) left -= std::chrono::duration_cast<milliseconds>(steady_clock::now() - clock_at_).count();
      line += ", " + clock_text(left) + " left" + (c.paused() ? " (paused)" : "");
    }
    say(line);
  }
  for (const auto& p : r.participants())
    say("participant: " + quoted(p.display_name()) + " " + role_label(p.role()) + " " + p.participant_id() +
        (p.connected() ? "" : " (reconnecting)") + (p.participant_id() == participant_id_ ? " (you)" : ""));
  for (const auto& a : r.asked()) say("asked: " + quoted(a.text()) + (a.by_script() ? " (scripted)" : ""));
  if (staff_) {
    for (const auto& m : staff_->ticked_markers()) say("marker: " + m);
    if (clock_ && (clock_->stage() == v1::ROOM_STAGE_SCORING || clock_->stage() == v1::ROOM_STAGE_REVEALED))
      say("scoring: " + std::to_string(staff_->submitted_by_size()) + " of " +
          std::to_string(staff_->expected_raters_size()) + " submitted");
  }
  if (card_.scores_size() > 0 || card_.recommendation() != 0) {
    std::string line = "my scorecard: " + rec_label(card_.recommendation());
    for (const auto& s : card_.scores())
      line += ", " + s.dimension_id() + " " + (s.rating() ? std::to_string(s.rating()) : "na");
    say(line);
  }
}

outcome console::cmd_state(const args&) {
  show_state();
  return ok();
}

outcome console::cmd_brief(const args&) {
  if (candidate_briefing_)
    show_candidate_briefing(*candidate_briefing_);
  else if (staff_briefing_)
    show_staff_briefing(*staff_briefing_);
  else
    return fail("no briefing: not in a room");
  return ok();
}

outcome console::cmd_debrief(const args&) {
  if (debrief_) {
    on_debrief(*debrief_);
    return ok();
  }
  if (staff_ && staff_->revealed_size() > 0) {
    show_scorecards(staff_->revealed(), staff_->aggregation());
    return ok();
  }
  return fail("no debrief yet: it comes at the reveal");
}

outcome console::cmd_whoami(const args&) {
  say("session " + session_id_ + " as " + quoted(opts_.display_name) +
      (room_id_.empty() ? ", not in a room" : ", room " + room_id_ + " as " + role_label(role_)));
  return ok();
}

// ---------------------------------------------------------------- board

void console::on_board_op(const v1::BoardOp& op) {
  if (!board_) board_ = std::make_unique<mockloop::board>();
  const bool existed = board_->object(op.object_id()) != nullptr;
  if (!board_->replay(op)) return;  // seen already (the snapshot had it)
  const auto who = quoted(participant_name(op.by_participant_id()));
  if (op.has_remove()) return say("board: " + who + " removed " + op.object_id());
  const auto* o = board_->object(op.object_id());
  static const std::map<v1::BoardShape, std::string> shapes = {
      {v1::BOARD_SHAPE_BOX, "box"}, {v1::BOARD_SHAPE_ARROW, "arrow"}, {v1::BOARD_SHAPE_LABEL, "label"}};
  const auto shape = shapes.count(o->shape()) ? shapes.at(o->shape()) : "object";
  if (!existed) {
    std::string what = shape + " " + o->id();
    if (o->shape() == v1::BOARD_SHAPE_ARROW) what += " " + o->from_id() + " -> " + o->to_id();
    return say("board: " + who + " drew " + what + (o->text().empty() ? "" : " " + quoted(o->text())));
  }
  if (op.put().has_x() || op.put().has_y())
    return say("board: " + who + " moved " + o->id() + " to " + std::to_string(o->x()) + "," + std::to_string(o->y()));
  say("board: " + who + " changed " + o->id() + (o->text().empty() ? "" : " " + quoted(o->text())));
}

outcome console::cmd_board(const args&) {
  if (room_id_.empty()) return fail("not in a room");
  const auto b = board_ ? board_->snapshot(room_id_, 0) : v1::Board{};
  if (b.objects().empty()) {
    say("board: empty");
    return ok();
  }
  say("board: " + std::to_string(b.objects_size()) + " object(s)");
  for (const auto& o : b.objects()) {
    std::string line = "  " + o.id() + "  ";
    if (o.shape() == v1::BOARD_SHAPE_BOX)
      line += "box at " + std::to_string(o.x()) + "," + std::to_string(o.y()) + " (" + std::to_string(o.w()) + "x" +
              std::to_string(o.h()) + ")";
    else if (o.shape() == v1::BOARD_SHAPE_LABEL)
      line += "label at " + std::to_string(o.x()) + "," + std::to_string(o.y());
    else
      line += "arrow " + o.from_id() + " -> " + o.to_id();
    if (!o.text().empty()) line += " " + quoted(o.text());
    say(line);
  }
  return ok();
}

// box/label/arrow/move/rename/erase: one BoardOp each; the server's echo
// (BoardUpdate) is what changes the board here.
outcome console::cmd_draw(const args& a) {
  const auto verb = lower(a[0].text);
  v1::ClientMessage m;
  auto* op = m.mutable_board_op();
  auto number = [&](size_t i, int32_t* out) {
    const auto& t = a[i].text;
    const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), *out);
    return ec == std::errc() && p == t.data() + t.size();
  };
  if (a.size() < 2) return fail("usage: see `help " + verb + "`");
  op->set_object_id(a[1].text);
  auto* put = op->mutable_put();
  if (verb == "box" || verb == "label") {
    int32_t x = 0, y = 0;
    if (a.size() < 5 || !number(2, &x) || !number(3, &y)) return fail("usage: " + verb + " <id> <x> <y> <text>");
    put->set_shape(verb == "box" ? v1::BOARD_SHAPE_BOX : v1::BOARD_SHAPE_LABEL);
    put->set_x(x);
    put->set_y(y);
    put->set_text(join_words(a, 4));
  } else if (verb == "arrow") {
    if (a.size() < 4) return fail("usage: arrow <id> <from> <to> [text]");
    put->set_shape(v1::BOARD_SHAPE_ARROW);
    put->set_from_id(a[2].text);
    put->set_to_id(a[3].text);
    if (a.size() > 4) put->set_text(join_words(a, 4));
  } else if (verb == "move") {
    int32_t x = 0, y = 0;
    if (a.size() != 4 || !number(2, &x) || !number(3, &y)) return fail("usage: move <id> <x> <y>");
    put->set_x(x);
    put->set_y(y);
  } else if (verb == "rename") {
    if (a.size() < 3) return fail("usage: rename <id> <text>");
    put->set_text(join_words(a, 2));
  } else {  // erase
    if (a.size() != 2) return fail("usage: erase <id>");
    op->set_remove(true);
  }
  return simple(std::move(m));
}

outcome console::cmd_wait(const args& in) {
  args a = in;
  milliseconds timeout = opts_.wait_timeout;
  if (a.size() > 2)
    if (auto d = parse_duration(a.back().text)) {
      timeout = *d;
      a.pop_back();
    }
  if (a.size() < 2) return fail("usage: wait <event> [argument] [timeout] (see `help wait`)");
  const auto event = lower(a[1].text);
  const std::string arg = a.size() > 2 ? join_words(a, 2) : std::string();

  // An event that happens (a message arrives): each wait takes the ones
  // no earlier wait has.
  auto edge = [&](const std::string& type, const std::string& what) {
    auto r = wait_until([&] { return arrivals_[type] > consumed_[type]; }, what, timeout);
    if (r.kind == status::ok) consumed_[type] = arrivals_[type];
    return r;
  };
  // A point the room reaches: true from then on, for this round.
  auto reached = [&](const std::string& point) {
    return wait_until([&] { return reached_.count(point) > 0; }, "phase " + point, timeout);
  };
  static const std::set<std::string> stages = {"lobby", "briefing", "interview", "scoring", "revealed", "closed"};

  if (event == "matched") {
    auto r = edge("match_found", "a match");
    if (r.kind != status::ok || !opts_.auto_join || arg == "nojoin" || !match_) return r;
    return join_code(match_->join_code());
  }
  if (event == "joined") return edge("joined", "joining a room");
  if (event == "board") {
    // `wait board <text>`: until an object with that text (or id) is on the board.
    if (arg.empty()) return fail("usage: wait board <text or id>");
    return wait_until(
        [&] {
          if (!board_) return false;
          const auto b = board_->snapshot(room_id_, 0);
          return std::any_of(b.objects().begin(), b.objects().end(), [&](const v1::BoardObject& o) {
            return o.id() == arg || o.text().find(arg) != std::string::npos;
          });
        },
        "board object " + quoted(arg), timeout);
  }
  if (event == "debrief") return edge("candidate_debrief", "the debrief");
  if (event == "queue") return edge("queue_status", "a queue status");
  if (event == "booking") return edge("booking_update", "a booking update");
  if (event == "reminder") return edge("booking_reminder", "a booking reminder");
  if (event == "expired") return edge("ticket_expired", "the ticket to expire");
  if (event == "forfeited") return edge("match_forfeited", "a forfeit");
  if (event == "phase") {
    if (arg.empty()) return fail("usage: wait phase <phase-id|lobby|briefing|interview|scoring|revealed|closed>");
    return reached(lower(arg));
  }
  if (stages.count(event)) return reached(event);
  if (event == "followup") {
    if (arg.empty()) {
      auto r = wait_until([&] { return room_ && static_cast<size_t>(room_->asked_size()) > followups_waited_; },
                          "a follow-up", timeout);
      if (r.kind == status::ok) followups_waited_ = static_cast<size_t>(room_->asked_size());
      return r;
    }
    return wait_until(
        [&] {
          if (!room_) return false;
          return std::any_of(room_->asked().begin(), room_->asked().end(), [&](const v1::AskedFollowUp& f) {
            return f.follow_up_id() == arg || f.text().find(arg) != std::string::npos;
          });
        },
        "follow-up " + quoted(arg), timeout);
  }
  if (event == "participant") {
    if (arg.empty()) return fail("usage: wait participant <role|name>");
    // Someone who has been here since we joined, even if they have left or
    // dropped again since: a script acts on arrivals, not on who is online.
    const auto role = parse<v1::Role>(v1::Role_descriptor(), arg);
    return wait_until(
        [&] {
          return std::any_of(seen_.begin(), seen_.end(), [&](const auto& kv) {
            const auto& p = kv.second;
            return p.participant_id() != participant_id_ &&
                   ((role && p.role() == *role) || lower(p.display_name()) == lower(arg));
          });
        },
        "participant " + arg, timeout);
  }
  if (event == "submitted") {
    int wanted = 0;
    if (!arg.empty()) {
      wanted = std::atoi(arg.c_str());
      if (wanted <= 0) return fail("usage: wait submitted [count]");
    }
    return wait_until(
        [&] {
          if (!staff_) return false;
          const int n = wanted > 0 ? wanted : staff_->expected_raters_size();
          return n > 0 && staff_->submitted_by_size() >= n;
        },
        "scorecards to be submitted", timeout);
  }
  if (event == "committee") {
    if (arg == "packet") return edge("committee_packet", "the committee packet");
    auto st = parse<v1::CommitteeStage>(v1::CommitteeStage_descriptor(), arg);
    if (!st) return fail("usage: wait committee <voting|revealed|decided|packet>");
    return wait_until([&] { return committee_ && committee_->stage() >= *st; }, "committee " + arg, timeout);
  }
  if (event == "votes") {
    const int wanted = std::atoi(arg.c_str());
    if (wanted <= 0) return fail("usage: wait votes <count>");
    return wait_until([&] { return committee_ && committee_->voted_size() >= wanted; }, "votes", timeout);
  }
  if (event == "state") {
    const auto start = arrivals_["room_state"] + arrivals_["staff_room_state"];
    return wait_until([&] { return arrivals_["room_state"] + arrivals_["staff_room_state"] > start; }, "a room state",
                      timeout);
  }
  if (event == "message") {
    if (!v1::ServerMessage::descriptor()->FindFieldByName(arg)) return fail("no server message '" + arg + "'");
    const auto start = arrivals_[arg];
    return wait_until([&] { return arrivals_[arg] > start; }, "a " + arg + " message", timeout);
  }
  return fail("unknown event '" + a[1].text + "' (see `help wait`)");
}

outcome console::cmd_sleep(const args& a) {
  auto d = a.size() == 2 ? parse_duration(a[1].text, milliseconds(1)) : std::nullopt;
  if (!d) return fail("usage: sleep <ms> (or 2s, 1m)");
  if (!connected()) {
    std::this_thread::sleep_for(*d);
    return ok();
  }
  pump(*d);
  return ok();
}

outcome console::cmd_ping(const args&) {
  v1::ClientMessage m;
  m.mutable_ping()->set_payload("cli");
  auto reply = request(std::move(m));
  const auto start = last_send_;  // a retry after RATE_LIMITED is not latency
  if (!reply) return lost(reply.error());
  if (reply->has_error()) return fail(error_text(reply->error()));
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(steady_clock::now() - start).count();
  say("pong: " + decimal(static_cast<double>(us) / 1000) + " ms");
  return ok();
}

outcome console::cmd_reconnect(const args&) {
  if (session_id_.empty()) return fail("no session to resume");
  say("reconnect: dropping the connection and resuming session " + session_id_);
  return reconnect();
}

outcome console::cmd_set(const args& a) {
  if (a.size() < 3 || !is_variable_name(a[1].text)) return fail("usage: set <name> <value>");
  vars_[a[1].text] = join_words(a, 2);
  return ok();
}

outcome console::cmd_print(const args& a) {
  say(join_words(a, 1));
  return ok();
}

}  // namespace mockloop::cli
