#include "progress_requests.h"

#include <spdlog/spdlog.h>

#include "clock.h"
#include "mockloop/core/progress.h"
#include "mockloop/core/protocol_session.h"
#include "sha256.h"
#include "store.h"
#include "store_writer.h"

namespace mockloop {
namespace {

constexpr uint32_t default_limit = 50;

// A debrief this user is not in: unknown ids and other people's are told
// apart, since debrief ids are random and knowing one exists reveals nothing.
v1::ServerMessage not_theirs(store& db, uint32_t rid, const std::string& debrief_id) {
  if (!db.debrief(debrief_id))
    return make_error(rid, v1::ERROR_CODE_NOT_FOUND, "no debrief '" + debrief_id + "'", "debriefId");
  return make_error(rid, v1::ERROR_CODE_PERMISSION_DENIED, "you did not take part in debrief '" + debrief_id + "'",
                    "debriefId");
}

void list(store& db, const std::string& hash, const v1::ListMyMocks& req, v1::ServerMessage& reply) {
  std::vector<user_round> rounds;
  for (auto& d : db.user_debriefs(hash, req.limit() ? req.limit() : default_limit)) {
    auto ratings = db.feedback_ratings(d.record.id());
    rounds.push_back({std::move(d.record), std::move(d.participant_id), d.role, std::move(ratings)});
  }
  *reply.mutable_my_mocks() = my_mocks(rounds);
}

void get(store& db, const std::string& hash, const v1::GetMyDebrief& req, v1::ServerMessage& reply) {
  const auto role = db.user_role_in(req.debrief_id(), hash);
  auto record = role ? db.debrief(req.debrief_id()) : std::nullopt;
  if (!record) {
    reply = not_theirs(db, reply.request_id(), req.debrief_id());
    return;
  }
  *reply.mutable_my_debrief() = my_debrief(std::move(*record), *role);
}

// False only when the store failed; a refusal is a reply, not a failure.
bool rate(store& db, const std::string& hash, const v1::RateFeedback& req, v1::ServerMessage& reply,
          std::string* error) {
  const auto rid = reply.request_id();
  const auto role = db.user_role_in(req.debrief_id(), hash);
  auto record = role ? db.debrief(req.debrief_id()) : std::nullopt;
  if (!record) {
    reply = not_theirs(db, rid, req.debrief_id());
    return true;
  }
  if (*role != v1::ROLE_CANDIDATE) {
    reply =
        make_error(rid, v1::ERROR_CODE_PERMISSION_DENIED, "only the round's candidate rates its feedback", "debriefId");
    return true;
  }
  bool found = false;
  for (const auto& c : record->scorecards()) found = found || (c.submitted() && c.rater_id() == req.rater_id());
  if (!found) {
    reply = make_error(rid, v1::ERROR_CODE_NOT_FOUND, "no submitted card by '" + req.rater_id() + "' in that debrief",
                       "raterId");
    return true;
  }
  v1::UsefulnessRating r;
  r.set_rater_id(req.rater_id());
  r.set_usefulness(req.usefulness());
  r.set_comment(req.comment());
  r.set_rated_ms(monotonic_unix_ms());
  if (!db.save_feedback_rating(req.debrief_id(), hash, r, error)) return false;
  reply.mutable_ack();
  return true;
}

}  // namespace

void handle_progress(std::shared_ptr<member> s, const hub& h, const std::string& user_key,
                     v1::ClientMessage m) {
  const auto rid = m.request_id();
  if (user_key.empty())
    return s->deliver_from_room(make_error(rid, v1::ERROR_CODE_FAILED_PRECONDITION,
                                           "My mocks are kept by user key: send one in Hello", "userKey"));
  if (!h.db || !h.writer)
    return s->deliver_from_room(make_error(rid, v1::ERROR_CODE_UNAVAILABLE, "this server keeps no store"));
  auto reply = std::make_shared<v1::ServerMessage>();
  reply->set_request_id(rid);
  h.writer->submit(
      [hash = user_hash_of(user_key), m = std::move(m), reply](store& db, std::string* error) {
        switch (m.body_case()) {
          case v1::ClientMessage::kListMyMocks:
            list(db, hash, m.list_my_mocks(), *reply);
            return true;
          case v1::ClientMessage::kGetMyDebrief:
            get(db, hash, m.get_my_debrief(), *reply);
            return true;
          case v1::ClientMessage::kRateFeedback:
            return rate(db, hash, m.rate_feedback(), *reply, error);
          default:
            *reply = make_error(reply->request_id(), v1::ERROR_CODE_INTERNAL, "not a My mocks request");
            return true;
        }
      },
      [s, reply](bool ok, const std::string& error) {
        if (!ok) {
          spdlog::error("[{}] My mocks request failed in the store: {}", s->id(), error);
          return s->deliver_from_room(
              make_error(reply->request_id(), v1::ERROR_CODE_UNAVAILABLE, "the store could not answer; try again"));
        }
        s->deliver_from_room(*reply);
      });
}

}  // namespace mockloop
