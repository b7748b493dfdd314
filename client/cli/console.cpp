// The terminal client's interpreter: the command table, one line at a time,
// the connection and its requests, and waiting for the server (docs/cli.md).
#include "console.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include "console_text.h"
#include "http_get.h"
#include "mockloop/core/board.h"
#include "mockloop/core/time_zone.h"

namespace mockloop::cli {

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
    case v1::ServerMessage::kStaffRoomChange:
      on_staff_change(m.staff_room_change());
      break;
    case v1::ServerMessage::kRoomChange:
      on_room_change(m.room_change());
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

// In a room means its state is here too: the server sends it after Joined,
// once the join is stored, and a script's next `state` needs it.
outcome console::room_state_arrived(milliseconds timeout) {
  return wait_until([&] { return room_ && room_->room_id() == room_id_; }, "the room's state", timeout);
}

outcome console::join_code(const std::string& code) {
  v1::ClientMessage m;
  m.mutable_join_room()->set_code(code);
  auto r = simple(std::move(m));
  if (r.kind != status::ok) return r;
  consumed_["joined"] = arrivals_["joined"];
  join_pending_ = false;
  return room_state_arrived(std::chrono::duration_cast<milliseconds>(opts_.connection.timeout));
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
  if (event == "joined") {
    auto r = edge("joined", "joining a room");
    return r.kind == status::ok ? room_state_arrived(timeout) : r;
  }
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
    // A change (public, or a staff member's private one) updates the state too.
    auto states = [&] {
      return arrivals_["room_state"] + arrivals_["staff_room_state"] + arrivals_["staff_room_change"] +
             arrivals_["room_change"];
    };
    const auto start = states();
    return wait_until([&] { return states() > start; }, "a room state", timeout);
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
