// One WebSocket connection (Beast's chat-multi websocket_session): a strand
// of its own, one read and one write in flight, an outbound queue bounded in
// bytes. Protocol decisions are made by protocol_session in the core; this
// class only moves bytes and applies what it is told.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "frame_queue.h"
#include "hub.h"
#include "member.h"
#include "mockloop/core/protocol_session.h"
#include "mockloop/v1/debrief.pb.h"

namespace mockloop {

class room_host;
class committee_host;

class websocket_session : public std::enable_shared_from_this<websocket_session>, public member {
 public:
  // `reserved`: the caller holds one of the hub's session reservations,
  // which this session now owns and gives back when destroyed.
  // `ip`: the client's address, already counted in the hub; given back when
  // the session ends.
  websocket_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<hub> h, encoding enc, std::string ip);
  ~websocket_session();

  void run(boost::beast::http::request<boost::beast::http::string_body> req);

  // Thread-safe: queues an already encoded frame (encoded once for many
  // receivers) on this session's strand.
  void send(std::shared_ptr<const std::string> frame) override;

  // Thread-safe: close with 1001 because the server is going away.
  void close_going_away();

  // Thread-safe, for rooms: a message for this session alone.
  void deliver_from_room(const v1::ServerMessage& m) override;
  // Thread-safe: m encoded for this session's wire (an Error counted in
  // /metrics), for send() now or later.
  std::shared_ptr<const std::string> frame_for(const v1::ServerMessage& m) const override;
  // Thread-safe: room `r` refused this session's join; forget it.
  void forget_room(std::shared_ptr<room_host> r) override;
  void forget_committee(std::shared_ptr<committee_host> c) override;
  // Thread-safe: leave room `r` if this session is in it (a forfeited or
  // finished peer-mock round).
  void drop_room(std::shared_ptr<room_host> r) override;

  // Thread-safe: a new connection resumed this session; close without
  // giving up the seat (the new connection has it).
  void supersede();

  // Stable once the handshake is done (a resume adopts the old id then).
  const std::string& id() const override { return id_; }
  // Fixed once Hello is taken; safe to read from a strand the session
  // posted to after it.
  std::string user_id() const override;
  const std::string& display_name() const override { return core_.hello().display_name(); }
  uint64_t serial() const override { return serial_; }
  encoding wire_encoding() const override { return core_.wire_encoding(); }

 private:
  void fail(boost::beast::error_code ec, const char* what);
  void on_accept(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void release_buffer();
  void deliver(const v1::ServerMessage& m);
  void enqueue(std::shared_ptr<const std::string> frame);
  void do_write();
  void on_write(boost::beast::error_code ec, std::size_t bytes);
  void do_close(close_request why);
  void on_close(boost::beast::error_code ec);
  void on_hello_deadline(boost::beast::error_code ec);
  void drop_queue(bool keep_front);
  void route(v1::ClientMessage m);
  void create_committee(const v1::CreateCommittee& req, uint32_t request_id);
  void open_committee(std::vector<v1::DebriefRecord> packet, std::shared_ptr<const v1::ExamplePacket> example,
                      uint32_t request_id);
  void set_room(std::shared_ptr<room_host> r);
  // Saves (for room_id) or drops (empty) a token's hash on the store's
  // writer thread; `then` runs on this session's strand once it is done.
  void store_token(const std::string& token_hash, const std::string& room_id, std::function<void()> then = {});
  std::shared_ptr<room_host> on_welcome(v1::Welcome& w);

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  std::shared_ptr<hub> hub_;
  std::string id_;
  std::string ip_;
  const uint64_t serial_;
  std::string token_hash_;  // SHA-256 of the current resume token, once handshaken
  std::string presented_hash_;  // SHA-256 of the token this session resumed with, if any
  std::atomic<bool> superseded_{false};
  protocol_session core_;
  // Holds one incoming message. Between messages it is released down to
  // idle_read_bytes: an idle connection should not keep a frame-sized
  // buffer (docs/load.md, "Memory per idle connection").
  boost::beast::flat_buffer buffer_;
  frame_queue queue_;
  size_t queued_bytes_ = 0;
  boost::asio::steady_timer hello_timer_;
  boost::asio::steady_timer close_timer_;
  std::weak_ptr<room_host> room_;
  std::weak_ptr<committee_host> committee_;
  bool accepted_ = false;
  bool closing_ = false;
};

}  // namespace mockloop
