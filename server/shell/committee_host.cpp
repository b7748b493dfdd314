#include "committee_host.h"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "clock.h"
#include "mockloop/core/protocol_session.h"
#include "room_directory.h"
#include "store.h"
#include "store_writer.h"

namespace mockloop {

namespace net = boost::asio;

committee_host::committee_host(net::any_io_executor strand, std::weak_ptr<room_directory> directory, std::string id,
                               std::vector<v1::DebriefRecord> packet, std::shared_ptr<store_writer> writer,
                               std::shared_ptr<const v1::ExamplePacket> example)
    : strand_(std::move(strand)),
      directory_(std::move(directory)),
      id_(id),
      core_(std::move(id), std::move(packet), {}, std::move(example)),
      writer_(std::move(writer)) {}

void committee_host::join(std::shared_ptr<member> s, std::string name, bool chair, uint32_t request_id) {
  net::post(strand_, [self = shared_from_this(), s = std::move(s), name = std::move(name), chair, request_id] {
    if (self->disposed_) {
      s->forget_committee(self);
      s->deliver_from_room(make_error(request_id, v1::ERROR_CODE_NOT_FOUND, "that committee has ended"));
      return;
    }
    auto fx = self->core_.join(s->id(), name, chair, request_id);
    if (!fx.state_changed) {
      s->forget_committee(self);
      for (const auto& r : fx.replies) s->deliver_from_room(r);
      return;
    }
    self->members_[s->id()] = s;
    v1::ServerMessage packet;
    auto* p = packet.mutable_committee_packet();
    p->set_committee_id(self->id_);
    for (const auto& r : self->core_.packet()) *p->add_records() = r;
    for (const auto& r : fx.replies) s->deliver_from_room(r);
    s->deliver_from_room(packet);
    committee_effects changed;
    changed.state_changed = true;
    self->apply(changed, {});
  });
}

void committee_host::leave(std::string member_id) {
  net::post(strand_, [self = shared_from_this(), id = std::move(member_id)] {
    if (!self->members_.erase(id)) return;
    self->apply(self->core_.leave(id), id);
    if (self->members_.empty() && !self->disposed_) {
      self->disposed_ = true;
      if (auto d = self->directory_.lock()) d->remove_committee(self->id_);
    }
  });
}

void committee_host::handle(std::string member_id, v1::ClientMessage m) {
  net::post(strand_, [self = shared_from_this(), id = std::move(member_id), m = std::move(m)] {
    const auto now = monotonic_unix_ms();
    auto fx = self->core_.handle(id, m, now);
    if (fx.pending_decision) return self->save_decision(id, *fx.pending_decision, fx.pending_request_id, now);
    self->apply(fx, id);
  });
}

// The decision counts once its record is on disk (written on the store's
// thread); if the store refuses, nothing changed and the chair may decide
// again. One decision is written at a time.
void committee_host::save_decision(const std::string& chair, const v1::CommitteeDecision& d, uint32_t request_id,
                                   int64_t now) {
  committee_effects fx;
  if (saving_ || !writer_) {
    fx.replies.push_back(make_error(request_id, saving_ ? v1::ERROR_CODE_FAILED_PRECONDITION : v1::ERROR_CODE_UNAVAILABLE,
                                    saving_ ? "the decision is being saved" : "this server keeps no store"));
    return apply(fx, chair);
  }
  saving_ = true;
  const auto record_id = id_ + "-1";
  writer_->submit(
      [record = core_.record_with(d, record_id, now), codes = codes_](store& db, std::string* err) {
        return db.save_debrief(record, codes, err);
      },
      [self = shared_from_this(), chair, d, request_id, record_id](bool ok, const std::string& err) {
        net::post(self->strand_, [self, chair, d, request_id, record_id, ok, err] {
          self->saving_ = false;
          committee_effects fx;
          if (!ok) {
            spdlog::error("[committee {}] record not saved: {}", self->id_, err);
            fx.replies.push_back(make_error(request_id, v1::ERROR_CODE_UNAVAILABLE,
                                            "the decision could not be saved; nothing changed, try again"));
          } else {
            spdlog::info("[committee {}] decided; record {} written", self->id_, record_id);
            fx = self->core_.commit_decision(d, request_id);
          }
          self->apply(fx, chair);
        });
      });
}

void committee_host::apply(const committee_effects& fx, const std::string& requester) {
  if (const auto it = members_.find(requester); it != members_.end())
    if (auto s = it->second.lock())
      for (const auto& r : fx.replies) s->deliver_from_room(r);
  if (!fx.state_changed) return;
  for (const auto& [id, weak] : members_) {
    auto s = weak.lock();
    if (!s) continue;
    v1::ServerMessage m;
    *m.mutable_committee_state() = core_.view_for(id);
    if (core_.stage() == v1::COMMITTEE_STAGE_DECIDED) m.mutable_committee_state()->set_record_id(id_ + "-1");
    s->deliver_from_room(m);
  }
}

}  // namespace mockloop
