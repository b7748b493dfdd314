// The mockloop client library: connect, handshake, send and receive typed
// messages in either encoding, with a deadline on every wait. The terminal
// client, the load generator and the integration tests are built on it.
//
// Single-threaded and blocking by design: each call runs the client's own
// I/O context until its operation finishes or its deadline passes. A read
// is always outstanding while the client runs, so pushes that arrive during
// a request are kept, in order, for receive(). Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "mockloop/codec.h"
#include "mockloop/v1/wire.pb.h"

namespace mockloop {

struct client_options {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  std::string target = "/ws";
  encoding wire = encoding::binary;
  // Sent as Sec-WebSocket-Protocol instead of the encoding's own name when
  // set; tests use it to offer nothing we speak.
  std::optional<std::string> subprotocol_override;
  std::string origin;  // sent as Origin when set
  std::chrono::milliseconds timeout{5000};  // default deadline for each call
  uint32_t max_message_bytes = 16 * 1024 * 1024;
  // Sees every frame's raw bytes as it arrives, before decoding (tests
  // check what crossed the wire; the load generator counts bytes).
  std::function<void(std::string_view)> frame_observer;
};

struct close_info {
  uint16_t code = 0;
  std::string reason;
};

struct client_error {
  enum kind_t { timeout, closed, io, refused, protocol };
  client_error(kind_t k, std::string msg, std::optional<close_info> c = std::nullopt)
      : kind(k), message(std::move(msg)), close(std::move(c)) {}
  kind_t kind;
  std::string message;
  std::optional<close_info> close;  // kind == closed: the server's close frame
  unsigned http_status = 0;         // kind == refused: the HTTP answer to the upgrade
  std::string http_body;
};

// A value or the reason there is none.
template <class T>
class result {
 public:
  result(T v) : v_(std::move(v)) {}
  result(client_error e) : v_(std::move(e)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const client_error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, client_error> v_;
};

struct ok_t {};

class client {
 public:
  explicit client(client_options opts);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // TCP connect and WebSocket upgrade with the chosen subprotocol.
  result<ok_t> connect();

  // Hello -> Welcome. An Error reply comes back as kind protocol.
  result<v1::Welcome> hello(const std::string& display_name, const std::string& user_key = {},
                            const std::string& resume_token = {});

  // Sends a message; a request_id of 0 is replaced by the next free one.
  // Returns the request_id used.
  result<uint32_t> send(v1::ClientMessage m);

  // Sends raw bytes as one text or binary message, for tests of bad input.
  result<ok_t> send_raw(const std::string& bytes, bool binary);

  // The next message from the server, in arrival order.
  result<v1::ServerMessage> receive(std::optional<std::chrono::milliseconds> timeout = {});

  // Sends m and waits for the reply naming its request_id; other messages
  // received meanwhile stay queued for receive().
  result<v1::ServerMessage> request(v1::ClientMessage m, std::optional<std::chrono::milliseconds> timeout = {});

  // The first message satisfying pred; the messages skipped are dropped.
  result<v1::ServerMessage> wait_for(const std::function<bool(const v1::ServerMessage&)>& pred,
                                     std::optional<std::chrono::milliseconds> timeout = {});

  // Waits until the server closes the connection; returns its close frame.
  result<close_info> wait_closed(std::optional<std::chrono::milliseconds> timeout = {});

  // Polite close (1000), bounded by the default timeout.
  void close();

  // Stops taking messages off the socket (after the read already in
  // flight), so the server sees a consumer that has stopped reading.
  void pause_reading();
  void resume_reading();

  bool is_open() const;
  size_t pending() const;  // messages received and not yet taken

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace mockloop
