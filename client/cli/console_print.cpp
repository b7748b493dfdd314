// What the server says, printed: rooms, clocks, briefings, scorecards and
// level readings, committees, bookings, My mocks, the board.
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
#include "mockloop/room_change.h"
#include "mockloop/staff_change.h"

namespace mockloop::cli {

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

void console::on_staff_change(const v1::StaffRoomChange& c) {
  if (!staff_ || !room_ || c.room_id() != room_->room_id()) return;
  for (const auto& m : c.ticked_markers())
    if (std::find(staff_->ticked_markers().begin(), staff_->ticked_markers().end(), m) ==
        staff_->ticked_markers().end())
      say("marker: " + m);
  for (const auto& n : c.notes_added()) say("note: " + quoted(n.author_name()) + ": " + n.text());
  const auto expected = c.expected_raters_size() > 0 ? c.expected_raters_size() : staff_->expected_raters_size();
  int submitted = staff_->submitted_by_size();
  for (const auto& id : c.submitted_by())
    if (std::find(staff_->submitted_by().begin(), staff_->submitted_by().end(), id) == staff_->submitted_by().end())
      say("scoring: " + quoted(participant_name(id)) + " submitted (" + std::to_string(++submitted) + " of " +
          std::to_string(expected) + ")");
  apply_staff_change(*staff_, c);
}

// The clock moved or follow-ups were asked: the last view with the change,
// printed as if it had come whole.
void console::on_room_change(const v1::RoomChange& c) {
  if (!room_ || c.room_id() != room_->room_id()) return;
  if (staff_) {
    auto next = *staff_;
    apply_room_change(*next.mutable_room(), c);
    return on_room(next.room(), &next);
  }
  auto next = *room_;
  apply_room_change(next, c);
  on_room(next, nullptr);
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

}  // namespace mockloop::cli
