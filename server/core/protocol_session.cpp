#include "mockloop/core/protocol_session.h"

#include <algorithm>
#include <set>
#include <unordered_map>
#include <vector>

#include <google/protobuf/message.h>

namespace mockloop {
namespace {

std::optional<v1::Error> check_length(std::string_view field, const std::string& value, size_t max, bool required) {
  if ((!required || !value.empty()) && value.size() <= max) return std::nullopt;  // every request: no Error built
  v1::Error e;
  e.set_field(std::string(field));
  if (required && value.empty()) {
    e.set_code(v1::ERROR_CODE_MISSING_FIELD);
    e.set_message(std::string(field) + " is required");
    return e;
  }
  if (value.size() > max) {
    e.set_code(v1::ERROR_CODE_FIELD_TOO_LONG);
    e.set_message(std::string(field) + " is " + std::to_string(value.size()) + " bytes; the limit is " +
                  std::to_string(max));
    return e;
  }
  return std::nullopt;
}

std::optional<v1::Error> invalid(std::string_view field, std::string message) {
  v1::Error e;
  e.set_code(v1::ERROR_CODE_INVALID_ARGUMENT);
  e.set_field(std::string(field));
  e.set_message(std::move(message));
  return e;
}

// proto3 enums are open: a number this server has no name for decodes
// fine (binary, or a number in JSON) and would reach the rooms as is.
// Every enum field anywhere in the request must be one we know.
//
// For each message type a request can hold, the fields check_enums reads:
// its enum fields and the message fields whose type holds an enum somewhere
// beneath. A type with none is not in the map, and is never walked (a
// scorecard's scores, a board op's points: most of what a request holds).
using enum_fields =
    std::unordered_map<const google::protobuf::Descriptor*, std::vector<const google::protobuf::FieldDescriptor*>>;
const enum_fields& fields_with_enums() {
  using google::protobuf::FieldDescriptor;
  static const auto table = [] {
    // Every type a request can hold, then those with an enum field, then
    // those holding one of those, until nothing changes (cycles included).
    std::vector<const google::protobuf::Descriptor*> types{v1::ClientMessage::descriptor()};
    for (size_t i = 0; i < types.size(); ++i)
      for (int j = 0; j < types[i]->field_count(); ++j)
        if (const auto* t = types[i]->field(j)->message_type();
            t && std::find(types.begin(), types.end(), t) == types.end())
          types.push_back(t);
    std::set<const google::protobuf::Descriptor*> holds;
    const auto relevant = [&](const FieldDescriptor* f) {
      return f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM || (f->message_type() && holds.count(f->message_type()));
    };
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto* t : types)
        for (int j = 0; j < t->field_count() && !holds.count(t); ++j)
          if (relevant(t->field(j))) grew = holds.insert(t).second;
    }
    enum_fields out;
    for (const auto* t : holds)
      for (int j = 0; j < t->field_count(); ++j)
        if (relevant(t->field(j))) out[t].push_back(t->field(j));
    return out;
  }();
  return table;
}

std::optional<v1::Error> check_enums(const google::protobuf::Message& m) {
  const auto& table = fields_with_enums();
  const auto it = table.find(m.GetDescriptor());
  if (it == table.end()) return std::nullopt;
  const auto* r = m.GetReflection();
  for (const auto* f : it->second) {
    const int n = f->is_repeated() ? r->FieldSize(m, f) : r->HasField(m, f) ? 1 : 0;
    if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_ENUM) {
      for (int i = 0; i < n; ++i) {
        const int v = f->is_repeated() ? r->GetRepeatedEnumValue(m, f, i) : r->GetEnumValue(m, f);
        if (f->enum_type()->FindValueByNumber(v)) continue;
        v1::Error e;
        e.set_code(v1::ERROR_CODE_INVALID_ARGUMENT);
        e.set_field(f->json_name());
        e.set_message(f->json_name() + ": not a value this server knows");
        return e;
      }
    } else {
      for (int i = 0; i < n; ++i)
        if (auto e = check_enums(f->is_repeated() ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f))) return e;
    }
  }
  return std::nullopt;
}

}  // namespace

v1::ServerMessage make_error(uint32_t request_id, v1::ErrorCode code, std::string message, std::string field) {
  v1::ServerMessage out;
  out.set_request_id(request_id);
  auto* e = out.mutable_error();
  e->set_code(code);
  e->set_message(std::move(message));
  e->set_request_id(request_id);
  e->set_field(std::move(field));
  return out;
}

std::optional<v1::Error> validate_request(const v1::ClientMessage& m) {
  if (auto e = check_enums(m)) return e;
  switch (m.body_case()) {
    case v1::ClientMessage::kHello: {
      const auto& h = m.hello();
      if (auto e = check_length("displayName", h.display_name(), 64, true)) return e;
      if (auto e = check_length("clientName", h.client_name(), 64, false)) return e;
      if (auto e = check_length("clientVersion", h.client_version(), 32, false)) return e;
      if (auto e = check_length("userKey", h.user_key(), 128, false)) return e;
      if (auto e = check_length("resumeToken", h.resume_token(), 128, false)) return e;
      return std::nullopt;
    }
    case v1::ClientMessage::kPing:
      return check_length("payload", m.ping().payload(), 1024, false);
    case v1::ClientMessage::kCreateRoom:
      return check_length("scenarioId", m.create_room().scenario_id(), 64, true);
    case v1::ClientMessage::kJoinRoom:
      return check_length("code", m.join_room().code(), 64, true);
    case v1::ClientMessage::kRoomControl:
      if (m.room_control().action() == v1::RoomControl::ACTION_UNSPECIFIED) {
        v1::Error e;
        e.set_code(v1::ERROR_CODE_MISSING_FIELD);
        e.set_field("action");
        e.set_message("action is required");
        return e;
      }
      return std::nullopt;
    case v1::ClientMessage::kAskFollowUp: {
      const auto& a = m.ask_follow_up();
      if (a.what_case() == v1::AskFollowUp::kFreeText) return check_length("freeText", a.free_text(), 500, true);
      return check_length("followUpId", a.follow_up_id(), 64, true);
    }
    case v1::ClientMessage::kTickMarker:
      return check_length("markerId", m.tick_marker().marker_id(), 64, true);
    case v1::ClientMessage::kAddNote:
      return check_length("text", m.add_note().text(), 2000, true);
    case v1::ClientMessage::kEnqueue: {
      const auto& q = m.enqueue();
      if (auto e = check_length("language", q.language(), 16, false)) return e;
      if (auto e = check_length("partnerCode", q.partner_code(), 64, false)) return e;
      if (q.rounds_size() > 5) return check_length("rounds", std::string(size_t(q.rounds_size()), 'x'), 5, false);
      return std::nullopt;
    }
    case v1::ClientMessage::kMoveHotSeat:
      return check_length("participantId", m.move_hot_seat().participant_id(), 64, true);
    case v1::ClientMessage::kNextRound:
      return check_length("scenarioId", m.next_round().scenario_id(), 64, false);
    case v1::ClientMessage::kSaveScorecard: {
      const auto& c = m.save_scorecard().scorecard();
      if (c.scores_size() > 20) return check_length("scores", std::string(size_t(c.scores_size()), 'x'), 20, false);
      for (const auto& sc : c.scores()) {
        if (auto e = check_length("dimensionId", sc.dimension_id(), 64, true)) return e;
        if (auto e = check_length("evidence", sc.evidence(), 2000, false)) return e;
      }
      return check_length("summary", c.summary(), 4000, false);
    }
    case v1::ClientMessage::kCreateCommittee: {
      const auto& c = m.create_committee();
      if (!c.example_packet().empty()) {
        if (auto e = check_length("examplePacket", c.example_packet(), 64, true)) return e;
        if (c.packet_size() == 0) return std::nullopt;  // the shell refuses both at once
      }
      if (c.packet_size() == 0 || c.packet_size() > 6) {
        v1::Error e;
        e.set_code(c.packet_size() == 0 ? v1::ERROR_CODE_MISSING_FIELD : v1::ERROR_CODE_INVALID_ARGUMENT);
        e.set_field("packet");
        e.set_message("a packet holds 1 to 6 debrief records");
        return e;
      }
      for (const auto& item : c.packet()) {
        if (auto e = check_length("debriefId", item.debrief_id(), 64, true)) return e;
        if (auto e = check_length("code", item.code(), 64, true)) return e;
      }
      return std::nullopt;
    }
    case v1::ClientMessage::kJoinCommittee:
      return check_length("code", m.join_committee().code(), 64, true);
    case v1::ClientMessage::kCastVote:
      return check_length("rationale", m.cast_vote().rationale(), 2000, false);
    case v1::ClientMessage::kCommitteeAction:
      return check_length("reasons", m.committee_action().reasons(), 4000, false);
    case v1::ClientMessage::kBoardOp: {
      const auto& op = m.board_op();
      if (auto e = check_length("objectId", op.object_id(), 32, true)) return e;
      if (op.has_put()) {
        // The board checks the rest against its own limits (docs/board.md).
        if (auto e = check_length("text", op.put().text(), 1024, false)) return e;
        if (auto e = check_length("fromId", op.put().from_id(), 32, false)) return e;
        if (auto e = check_length("toId", op.put().to_id(), 32, false)) return e;
      }
      return std::nullopt;
    }
    case v1::ClientMessage::kRtcSignal: {
      const auto& s = m.rtc_signal();
      if (auto e = check_length("toParticipantId", s.to_participant_id(), 64, true)) return e;
      auto missing = [](const char* field, const char* what) {
        v1::Error e;
        e.set_code(v1::ERROR_CODE_MISSING_FIELD);
        e.set_field(field);
        e.set_message(what);
        return e;
      };
      switch (s.payload_case()) {
        case v1::RtcSignal::kDescription: {
          const auto& d = s.description();
          if (d.type() == v1::SessionDescription::TYPE_UNSPECIFIED)
            return missing("type", "a description needs a type");
          return check_length("sdp", d.sdp(), 24 * 1024, d.type() != v1::SessionDescription::TYPE_ROLLBACK);
        }
        case v1::RtcSignal::kCandidate: {
          const auto& c = s.candidate();
          if (auto e = check_length("candidate", c.candidate(), 1024, false)) return e;
          if (auto e = check_length("sdpMid", c.sdp_mid(), 64, false)) return e;
          return check_length("usernameFragment", c.username_fragment(), 256, false);
        }
        case v1::RtcSignal::PAYLOAD_NOT_SET:
          return missing("description", "a signal carries a description or a candidate");
      }
      return std::nullopt;
    }
    case v1::ClientMessage::kBookSlot: {
      const auto& b = m.book_slot();
      if (auto e = check_length("timeZone", b.time_zone(), 64, true)) return e;
      if (auto e = check_length("language", b.language(), 16, false)) return e;
      if (b.rounds_size() > 5) return check_length("rounds", std::string(size_t(b.rounds_size()), 'x'), 5, false);
      return std::nullopt;
    }
    case v1::ClientMessage::kCancelBooking:
      return check_length("bookingId", m.cancel_booking().booking_id(), 64, true);
    case v1::ClientMessage::kCheckIn:
      return check_length("bookingId", m.check_in().booking_id(), 64, true);
    case v1::ClientMessage::kListMyMocks:
      if (m.list_my_mocks().limit() > 200) return invalid("limit", "limit is 1 to 200 (0 for the default, 50)");
      return std::nullopt;
    case v1::ClientMessage::kGetMyDebrief:
      return check_length("debriefId", m.get_my_debrief().debrief_id(), 64, true);
    case v1::ClientMessage::kRateFeedback: {
      const auto& r = m.rate_feedback();
      if (auto e = check_length("debriefId", r.debrief_id(), 64, true)) return e;
      if (auto e = check_length("raterId", r.rater_id(), 64, true)) return e;
      if (r.usefulness() < 1 || r.usefulness() > 5)
        return invalid("usefulness", "usefulness is 1 (not useful) to 5 (very useful)");
      return check_length("comment", r.comment(), 500, false);
    }
    case v1::ClientMessage::kListBookings:
    case v1::ClientMessage::kJoinCall:
    case v1::ClientMessage::kLeaveCall:
    case v1::ClientMessage::kCallUpdate:
    case v1::ClientMessage::kCancelTicket:
    case v1::ClientMessage::kLeaveRoom:
    case v1::ClientMessage::BODY_NOT_SET:
      break;
  }
  return std::nullopt;
}

protocol_session::protocol_session(encoding enc, session_identity id, const server_config& cfg, time_point now)
    : encoding_(enc),
      identity_(std::move(id)),
      max_frame_bytes_(cfg.max_frame_bytes),
      messages_per_second_(cfg.messages_per_second),
      limiter_(cfg.messages_per_second, cfg.messages_per_second, now),
      signals_per_second_(cfg.signals_per_second),
      signal_limiter_(cfg.signals_per_second, cfg.signals_per_second * 4, now) {}

std::optional<close_request> protocol_session::on_hello_deadline() const {
  if (handshaken_) return std::nullopt;
  return close_request{close_code::policy_violation, "no Hello within the handshake timeout"};
}

protocol_session::output protocol_session::on_message(std::string_view payload, bool binary, time_point now,
                                                      int64_t system_time_ms) {
  output out;
  const bool want_binary = encoding_ == encoding::binary;
  if (binary != want_binary) {
    out.close = close_request{close_code::unsupported_data,
                              want_binary ? "text frame on a mockloop.v1.proto session"
                                          : "binary frame on a mockloop.v1.json session"};
    return out;
  }

  v1::ClientMessage m;
  if (auto err = decode(payload, encoding_, m)) {
    if (!handshaken_) {
      // Until Hello we do not know it is a mockloop client at all.
      out.close = close_request{close_code::policy_violation, "first message must be Hello"};
      return out;
    }
    out.replies.push_back(make_error(m.request_id(), err->code, std::move(err->message)));
    return out;
  }

  if (!handshaken_ && m.body_case() != v1::ClientMessage::kHello) {
    out.close = close_request{close_code::policy_violation, "first message must be Hello"};
    return out;
  }

  // Rate limit after the handshake so that a fresh client's Hello is never
  // refused; the bucket starts full anyway.
  // WebRTC signals have a bucket of their own: a call's ICE burst must not
  // starve the person's clicks, nor clicks the call.
  const bool signal = m.body_case() == v1::ClientMessage::kRtcSignal;
  if (handshaken_ && !(signal ? signal_limiter_ : limiter_).allow(now)) {
    out.replies.push_back(make_error(
        m.request_id(), v1::ERROR_CODE_RATE_LIMITED,
        signal ? "more than " + std::to_string(signals_per_second_) + " signals a second; this one was dropped"
               : "more than " + std::to_string(messages_per_second_) + " messages a second; this one was dropped"));
    return out;
  }

  if (auto e = validate_request(m)) {
    out.replies.push_back(make_error(m.request_id(), e->code(), e->message(), e->field()));
    return out;
  }

  switch (m.body_case()) {
    case v1::ClientMessage::kHello:
      return on_hello(m, system_time_ms);
    case v1::ClientMessage::kPing: {
      v1::ServerMessage reply;
      reply.set_request_id(m.request_id());
      auto* pong = reply.mutable_pong();
      pong->set_payload(m.ping().payload());
      pong->set_server_time_ms(system_time_ms);
      out.replies.push_back(std::move(reply));
      return out;
    }
    default:
      out.forward = std::move(m);
      return out;
  }
}

protocol_session::output protocol_session::on_hello(const v1::ClientMessage& m, int64_t system_time_ms) {
  output out;
  if (handshaken_) {
    out.replies.push_back(
        make_error(m.request_id(), v1::ERROR_CODE_ALREADY_HANDSHAKEN, "this connection already sent Hello"));
    return out;
  }
  handshaken_ = true;
  hello_ = m.hello();
  v1::ServerMessage reply;
  reply.set_request_id(m.request_id());
  auto* w = reply.mutable_welcome();
  w->set_session_id(identity_.session_id);
  w->set_resume_token(identity_.resume_token);
  w->set_server_version(std::string(server_version));
  w->set_server_time_ms(system_time_ms);
  w->set_max_frame_bytes(max_frame_bytes_);
  w->set_max_messages_per_second(messages_per_second_);
  w->set_max_signals_per_second(signals_per_second_);
  out.replies.push_back(std::move(reply));
  return out;
}

}  // namespace mockloop
