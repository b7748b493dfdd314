// The commands that act: the queue and invitations, bookings, rooms and
// their clock, follow-ups and markers, scoring, committees, the board.
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
    say("sample answer scoring about " + std::to_string(sa.level()) + ": " + sa.excerpt() +
        "\n  why: " + sa.commentary());
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

}  // namespace mockloop::cli
