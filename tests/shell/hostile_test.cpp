// Hostile clients against one server while a real interview runs beside
// them: random bytes, truncated and oversized frames, deep nesting, fields of
// the wrong type, unknown enum values and requests out of order. Each gets
// the answer docs/protocol.md specifies, the server stays up, and the room
// beside keeps ticking, relays a follow-up asked during the barrage and
// /healthz answers (checked after every test, and during the long ones).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <optional>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "requests.h"
#include "test_server.h"

namespace mockloop::testing {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t frame_limit = 256 * 1024;  // the server's max_frame_bytes here

v1::ClientMessage ping(std::string payload = "hi") {
  v1::ClientMessage m;
  m.mutable_ping()->set_payload(std::move(payload));
  return m;
}

v1::ClientMessage save_scorecard(v1::Recommendation r = v1::RECOMMENDATION_YES, bool submit = false) {
  v1::ClientMessage m;
  m.mutable_save_scorecard()->mutable_scorecard()->set_recommendation(r);
  m.mutable_save_scorecard()->mutable_scorecard()->set_summary("Clear plan.");
  m.mutable_save_scorecard()->set_submit(submit);
  return m;
}

std::string random_bytes(std::mt19937& rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

// JSON-looking noise, always valid UTF-8 (so Beast lets it through to the
// decoder): tokens of the schema, of JSON, and of the parser's edge cases.
std::string random_json(std::mt19937& rng) {
  static const std::vector<std::string> tokens = {"{",
                                                  "}",
                                                  "[",
                                                  "]",
                                                  ":",
                                                  ",",
                                                  "\"",
                                                  " ",
                                                  "\"requestId\"",
                                                  "\"ping\"",
                                                  "\"hello\"",
                                                  "\"payload\"",
                                                  "\"displayName\"",
                                                  "\"createRoom\"",
                                                  "\"saveScorecard\"",
                                                  "\"scorecard\"",
                                                  "\"ROLE_COACH\"",
                                                  "\"aGk=\"",
                                                  "1",
                                                  "-1",
                                                  "4294967296",
                                                  "1e999",
                                                  "0.5",
                                                  "null",
                                                  "true",
                                                  "false",
                                                  "\"\\u0000\"",
                                                  "\"\\ud800\"",
                                                  "\"é\"",
                                                  "{}",
                                                  "[]",
                                                  "\"hologram\"",
                                                  "\"roomControl\"",
                                                  "\"action\"",
                                                  "99"};
  std::string s;
  const size_t n = 1 + rng() % 40;
  for (size_t i = 0; i < n; ++i) s += tokens[rng() % tokens.size()];
  return s;
}

// `levels` nested unknown groups in a binary envelope: each level costs
// protobuf's parser a recursion, unlike a length-delimited field.
std::string nested_groups(int levels) {
  std::string s = "\x08\x05";                        // request_id 5
  for (int i = 0; i < levels; ++i) s += "\x9b\x06";  // field 99, start group
  return s;
}

// A WebSocket client on a bare TCP socket, for what the client library will
// not send: frames cut short, lengths no frame has.
class raw_socket {
 public:
  explicit raw_socket(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};  // no read waits longer than this
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~raw_socket() { close(); }
  raw_socket(const raw_socket&) = delete;
  raw_socket& operator=(const raw_socket&) = delete;

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool send_all(std::string_view bytes) {
    while (!bytes.empty()) {
      const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Exactly n bytes, or nothing on EOF, error or the read timeout.
  std::optional<std::string> read_exact(size_t n) {
    std::string out(n, '\0');
    size_t got = 0;
    while (got < n) {
      const auto r = ::recv(fd_, out.data() + got, n - got, 0);
      if (r <= 0) return std::nullopt;
      got += static_cast<size_t>(r);
    }
    return out;
  }

  // The upgrade to /ws with one subprotocol; true on 101.
  bool upgrade(std::string_view subprotocol) {
    if (!connected_) return false;
    const std::string req =
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: " +
        std::string(subprotocol) + "\r\n\r\n";
    if (!send_all(req)) return false;
    std::string head;
    while (!head.ends_with("\r\n\r\n")) {
      auto c = read_exact(1);
      if (!c) return false;
      head += *c;
    }
    return head.starts_with("HTTP/1.1 101");
  }

  struct frame {
    uint8_t opcode;
    std::string payload;
  };
  // One server frame (unmasked, as servers send them).
  std::optional<frame> read_frame() {
    auto h = read_exact(2);
    if (!h) return std::nullopt;
    uint64_t len = static_cast<uint8_t>((*h)[1]) & 0x7f;
    if (len >= 126) {
      auto ext = read_exact(len == 126 ? 2 : 8);
      if (!ext) return std::nullopt;
      len = 0;
      for (char c : *ext) len = (len << 8) | static_cast<uint8_t>(c);
    }
    auto payload = read_exact(static_cast<size_t>(len));
    if (!payload) return std::nullopt;
    return frame{static_cast<uint8_t>((*h)[0] & 0x0f), std::move(*payload)};
  }

 private:
  int fd_;
  bool connected_ = false;
};

// A masked client frame (FIN set). `declared` overrides the length in the
// header, so the frame can promise more than it carries.
std::string client_frame(uint8_t opcode, std::string_view payload, std::optional<uint64_t> declared = {}) {
  const uint64_t len = declared.value_or(payload.size());
  std::string f;
  f += static_cast<char>(0x80 | opcode);
  if (len < 126) {
    f += static_cast<char>(0x80 | len);
  } else if (len <= 0xffff) {
    f += static_cast<char>(0x80 | 126);
    f += static_cast<char>(len >> 8);
    f += static_cast<char>(len & 0xff);
  } else {
    f += static_cast<char>(0x80 | 127);
    for (int shift = 56; shift >= 0; shift -= 8) f += static_cast<char>((len >> shift) & 0xff);
  }
  const char mask[4] = {0x11, 0x22, 0x33, 0x44};
  f.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i) f += static_cast<char>(payload[i] ^ mask[i % 4]);
  return f;
}

uint16_t close_code_of(const raw_socket::frame& f) {
  if (f.payload.size() < 2) return 0;
  return static_cast<uint16_t>((static_cast<uint8_t>(f.payload[0]) << 8) | static_cast<uint8_t>(f.payload[1]));
}

class Hostile : public ::testing::Test {
 protected:
  static void tweak(server_config& c) {
    c.scenarios_dir = std::string(MOCKLOOP_SOURCE_DIR) + "/scenarios";
    // Room for 100k-deep nesting under the frame limit, so that the decoder,
    // not the limit, meets it.
    c.max_frame_bytes = frame_limit;
    // The barrages are about decoding; the rate limiter has its own tests.
    c.messages_per_second = 100'000;
    // Far beyond any wait here, so that a session seen to end ended because
    // its client left, not because it never said Hello.
    c.hello_timeout_ms = 60'000;
  }

  // The room beside: an interviewer (JSON) and a candidate (binary) in the
  // interview phase, its clock running.
  void SetUp() override {
    iv_ = server_.connect(encoding::json, true, "Ivy");
    ca_ = server_.connect(encoding::binary, true, "Cal");
    ASSERT_TRUE(iv_ && ca_);
    auto created = iv_->request(create_room("pm-feature-mid-sprint"));
    ASSERT_TRUE(created && created->has_room_created());
    auto joined = ca_->request(join(code_for(created->room_created(), v1::ROLE_CANDIDATE)));
    ASSERT_TRUE(joined && joined->has_joined());
    for (auto a : {v1::RoomControl::ACTION_START, v1::RoomControl::ACTION_SKIP}) {
      auto r = iv_->request(control(a));
      ASSERT_TRUE(r && r->has_ack()) << (r ? r->DebugString() : r.error().message);
    }
    ASSERT_TRUE(ca_->wait_for([](const auto& m) { return m.has_tick(); }, 3s));
    baseline_connections_ = server_.stats().connections.load();
  }

  void TearDown() override {
    if (iv_ && ca_) expect_room_alive("after the test");
  }

  // A follow-up asked now reaches the candidate, the clock still ticks, and
  // /healthz answers.
  void expect_room_alive(const std::string& when) {
    const auto text = "Still with us? (" + when + ", " + std::to_string(++checks_) + ")";
    auto asked = iv_->request(ask_free(text));
    ASSERT_TRUE(asked) << when << ": " << asked.error().message;
    EXPECT_TRUE(accepted(asked.value())) << when << ": " << asked->DebugString();
    auto seen = ca_->wait_for([&](const auto& m) { return shows_asked(m, text); }, 5s);
    EXPECT_TRUE(seen) << when << ": the candidate never saw the follow-up: " << seen.error().message;
    auto tick = ca_->wait_for([](const auto& m) { return m.has_tick(); }, 3s);
    EXPECT_TRUE(tick) << when << ": no tick: " << tick.error().message;
    EXPECT_EQ(http_get(server_.port(), "/healthz").status, 200u) << when;
  }

  // Sends `frame` raw and expects one Error with `code` back, the
  // connection still open.
  void expect_error(client& c, const std::string& frame, bool binary, v1::ErrorCode code, const std::string& what) {
    ASSERT_TRUE(c.send_raw(frame, binary)) << what;
    // The first reply to anything (pushes carry request id 0).
    auto r = c.wait_for([](const auto& m) { return m.has_error() || m.request_id() != 0; });
    ASSERT_TRUE(r) << what << ": " << r.error().message;
    ASSERT_TRUE(r->has_error()) << what << ": " << r->DebugString();
    EXPECT_EQ(r->error().code(), code) << what << ": " << r->error().message();
    EXPECT_FALSE(r->error().message().empty()) << what;
    EXPECT_TRUE(c.is_open()) << what;
  }

  // Sends `m` and expects an Error with `code` naming its request id.
  static void expect_refused(client& c, v1::ClientMessage m, v1::ErrorCode code, const std::string& what) {
    auto r = c.request(std::move(m));
    ASSERT_TRUE(r) << what << ": " << r.error().message;
    ASSERT_TRUE(r->has_error()) << what << ": " << r->DebugString();
    EXPECT_EQ(r->error().code(), code) << what << ": " << r->error().message();
    EXPECT_EQ(r->error().request_id(), r->request_id()) << what;
  }

  static void expect_closed(client& c, uint16_t code, const std::string& what) {
    auto closed = c.wait_closed(10s);
    ASSERT_TRUE(closed) << what << ": " << closed.error().message;
    EXPECT_EQ(closed->code, code) << what << ": " << closed->reason;
  }

  // A second room, for hostile requests made from inside one: `staff` is
  // its interviewer, `candidate` its candidate, the interview running.
  void own_room(client& staff, client& candidate) {
    auto created = staff.request(create_room("failed-canary-release"));
    ASSERT_TRUE(created && created->has_room_created());
    auto joined = candidate.request(join(code_for(created->room_created(), v1::ROLE_CANDIDATE)));
    ASSERT_TRUE(joined && joined->has_joined());
    for (auto a : {v1::RoomControl::ACTION_START, v1::RoomControl::ACTION_SKIP}) {
      auto r = staff.request(control(a));
      ASSERT_TRUE(r && r->has_ack()) << (r ? r->DebugString() : r.error().message);
    }
  }

  test_server server_{tweak};
  std::unique_ptr<client> iv_, ca_;
  int64_t baseline_connections_ = 0;
  int checks_ = 0;
};

// ------------------------------------------------------------- random bytes

TEST_F(Hostile, RandomBinaryFramesEachGetTheirErrorInOrder) {
  auto h = server_.connect(encoding::binary, true, "noise");
  ASSERT_TRUE(h);
  std::mt19937 rng(20240501);
  std::vector<v1::ErrorCode> codes;
  std::vector<uint32_t> ids;
  while (codes.size() < 400) {
    auto frame = random_bytes(rng, 1 + rng() % 300);
    v1::ClientMessage m;
    const auto err = decode(frame, encoding::binary, m);
    if (!err) continue;  // by chance a real request: not noise
    ASSERT_TRUE(h->send_raw(frame, true));
    codes.push_back(err->code);
    ids.push_back(m.request_id());
    if (codes.size() == 200) expect_room_alive("mid-barrage");
  }
  int decode_failed = 0;
  for (size_t i = 0; i < codes.size(); ++i) {
    auto r = h->receive();
    ASSERT_TRUE(r) << "reply " << i << ": " << r.error().message;
    ASSERT_TRUE(r->has_error()) << i << ": " << r->DebugString();
    EXPECT_EQ(r->error().code(), codes[i]) << i;
    EXPECT_EQ(r->request_id(), ids[i]) << i;
    decode_failed += codes[i] == v1::ERROR_CODE_DECODE_FAILED;
  }
  EXPECT_GT(decode_failed, 200) << "most random bytes are not protobuf at all";
  EXPECT_GE(server_.stats().errors[v1::ERROR_CODE_DECODE_FAILED].load(), static_cast<uint64_t>(decode_failed));
  EXPECT_TRUE(h->request(ping()).ok()) << "still open after 400 bad frames";
}

TEST_F(Hostile, RandomJsonTextEachGetsItsErrorInOrder) {
  auto h = server_.connect(encoding::json, true, "noise");
  ASSERT_TRUE(h);
  std::mt19937 rng(7);
  std::vector<v1::ErrorCode> codes;
  while (codes.size() < 400) {
    auto frame = random_json(rng);
    v1::ClientMessage m;
    const auto err = decode(frame, encoding::json, m);
    if (!err) continue;
    ASSERT_TRUE(h->send_raw(frame, false));
    codes.push_back(err->code);
    if (codes.size() == 200) expect_room_alive("mid-barrage");
  }
  for (size_t i = 0; i < codes.size(); ++i) {
    auto r = h->receive();
    ASSERT_TRUE(r) << "reply " << i << ": " << r.error().message;
    ASSERT_TRUE(r->has_error()) << i << ": " << r->DebugString();
    EXPECT_EQ(r->error().code(), codes[i]) << i;
  }
  EXPECT_TRUE(h->request(ping()).ok());
}

TEST_F(Hostile, RandomBytesBeforeHelloClose1008) {
  std::mt19937 rng(99);
  for (const auto wire : {encoding::binary, encoding::json}) {
    for (int i = 0; i < 5; ++i) {
      auto c = server_.connect(wire, false);
      ASSERT_TRUE(c);
      std::string frame;
      v1::ClientMessage m;
      do {
        frame = wire == encoding::binary ? random_bytes(rng, 1 + rng() % 100) : random_json(rng);
      } while (!decode(frame, wire, m));  // noise, not a message
      ASSERT_TRUE(c->send_raw(frame, wire == encoding::binary));
      expect_closed(*c, 1008, "noise before Hello");
    }
  }
}

TEST_F(Hostile, TextThatIsNotUtf8Closes1007) {
  auto c = server_.connect(encoding::json);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->send_raw("{\"requestId\":1,\"ping\":{\"payload\":\"\xff\xfe\"}}", false));
  expect_closed(*c, 1007, "a text frame with bytes that are not UTF-8");
}

TEST_F(Hostile, WrongFrameTypeCloses1003) {
  auto bin = server_.connect(encoding::binary);
  auto json = server_.connect(encoding::json);
  ASSERT_TRUE(bin && json);
  ASSERT_TRUE(bin->send_raw(encode(ping(), encoding::binary), false));
  ASSERT_TRUE(json->send_raw(encode(ping(), encoding::json), true));
  expect_closed(*bin, 1003, "text on a binary session");
  expect_closed(*json, 1003, "binary on a JSON session");
}

// ------------------------------------------------------- truncated frames

TEST_F(Hostile, TruncatedMessagesAreDecodeErrors) {
  auto bin = server_.connect(encoding::binary, true, "cut-bin");
  auto json = server_.connect(encoding::json, true, "cut-json");
  ASSERT_TRUE(bin && json);
  auto card = save_scorecard();
  card.set_request_id(77);
  auto* score = card.mutable_save_scorecard()->mutable_scorecard()->add_scores();
  score->set_dimension_id("ambiguity");
  score->set_rating(3);
  score->set_evidence("Asked who owns the launch.");

  // Binary: a prefix that ends inside a field cannot be parsed; one that
  // ends on a field boundary is a shorter envelope (request id only: EMPTY).
  const auto whole_bin = encode(card, encoding::binary);
  int checked = 0;
  for (size_t n = 1; n < whole_bin.size(); ++n) {
    const auto prefix = whole_bin.substr(0, n);
    v1::ClientMessage m;
    const auto err = decode(prefix, encoding::binary, m);
    ASSERT_TRUE(err) << "a strict prefix of a nested message never decodes whole, at " << n;
    expect_error(*bin, prefix, true, err->code, "binary prefix of " + std::to_string(n) + " bytes");
    checked += err->code == v1::ERROR_CODE_DECODE_FAILED;
  }
  EXPECT_GT(checked, 40);

  // JSON: no strict prefix of an object is JSON.
  const auto whole_json = encode(card, encoding::json);
  for (size_t n = 1; n < whole_json.size(); n += 3)
    expect_error(*json, whole_json.substr(0, n), false, v1::ERROR_CODE_DECODE_FAILED,
                 "JSON prefix " + whole_json.substr(0, n));
  EXPECT_TRUE(bin->request(ping()).ok());
  EXPECT_TRUE(json->request(ping()).ok());
}

TEST_F(Hostile, FrameCutShortByADisconnectIsForgotten) {
  for (int i = 0; i < 10; ++i) {
    raw_socket s(server_.port());
    ASSERT_TRUE(s.upgrade("mockloop.v1.proto"));
    ASSERT_TRUE(s.send_all(client_frame(0x2, std::string(10, 'x'), 1000)));  // promises 1000, sends 10
    s.close();
  }
  // Also cut inside the frame header and inside the upgrade request.
  {
    raw_socket s(server_.port());
    ASSERT_TRUE(s.upgrade("mockloop.v1.json"));
    ASSERT_TRUE(s.send_all(client_frame(0x1, "{}").substr(0, 3)));
  }
  {
    raw_socket s(server_.port());
    ASSERT_TRUE(s.send_all("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgr"));
  }
  EXPECT_TRUE(eventually([&] { return server_.stats().connections.load() == baseline_connections_; }))
      << server_.stats().connections.load() << " sessions open, " << baseline_connections_ << " expected";
  auto fresh = server_.connect(encoding::binary, true, "after");
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(fresh->request(ping()).ok());
}

// ---------------------------------------------------------- oversized frames

// A frame whose header declares more than max_frame_bytes is refused at
// once: close 1009 and the connection dropped, its payload not read
// (docs/protocol.md). A client still writing may see a reset instead of the
// close frame; either way the connection is gone and nothing else notices.
TEST_F(Hostile, TenMegabyteFramesClose1009) {
  const std::string ten_mb(10 * 1024 * 1024, '[');
  for (const auto wire : {encoding::binary, encoding::json}) {
    const bool binary = wire == encoding::binary;
    for (const bool hello : {true, false}) {
      const std::string what =
          std::string("10 MB ") + (hello ? "after" : "before") + " Hello" + (binary ? " (binary)" : " (json)");
      const auto violations = server_.stats().protocol_violation_closes.load();
      auto c = server_.connect(wire, hello, "big");
      ASSERT_TRUE(c);
      if (c->send_raw(ten_mb, binary)) {
        auto closed = c->wait_closed(10s);
        if (closed) {
          EXPECT_EQ(closed->code, 1009) << what << ": " << closed->reason;
        }
      }
      EXPECT_TRUE(eventually([&] { return !c->is_open() || !c->request(ping()); }, 10s)) << what << ": still open";
      EXPECT_TRUE(eventually([&] { return server_.stats().protocol_violation_closes.load() > violations; }))
          << what << ": counted as a protocol violation";
    }
  }
  auto fresh = server_.connect(encoding::binary, true, "after");
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(fresh->request(ping()).ok());
  expect_room_alive("after 40 MB of frames");
}

TEST_F(Hostile, AFrameAtTheLimitIsReadAndOneOverIsNot) {
  auto c = server_.connect(encoding::json, true, "edge");
  ASSERT_TRUE(c);
  expect_error(*c, std::string(frame_limit, 'x'), false, v1::ERROR_CODE_DECODE_FAILED, "exactly max_frame_bytes");
  ASSERT_TRUE(c->send_raw(std::string(frame_limit + 1, 'x'), false));
  expect_closed(*c, 1009, "one byte over");
}

TEST_F(Hostile, AFrameHeaderPromisingExabytesCloses1009) {
  raw_socket s(server_.port());
  ASSERT_TRUE(s.upgrade("mockloop.v1.proto"));
  v1::ClientMessage hello;
  hello.mutable_hello()->set_display_name("raw");
  ASSERT_TRUE(s.send_all(client_frame(0x2, encode(hello, encoding::binary))));
  auto welcome = s.read_frame();
  ASSERT_TRUE(welcome);
  v1::ServerMessage w;
  ASSERT_FALSE(decode(welcome->payload, encoding::binary, w));
  ASSERT_TRUE(w.has_welcome()) << w.DebugString();

  ASSERT_TRUE(s.send_all(client_frame(0x2, std::string(16, 'x'), uint64_t{1} << 62)));
  auto closing = s.read_frame();
  ASSERT_TRUE(closing) << "no close frame";
  EXPECT_EQ(closing->opcode, 0x8);
  EXPECT_EQ(close_code_of(*closing), 1009);
}

// ------------------------------------------------------------ deep nesting

TEST_F(Hostile, DeeplyNestedInputIsAnErrorNotAStackOverflow) {
  auto json = server_.connect(encoding::json, true, "deep-json");
  auto bin = server_.connect(encoding::binary, true, "deep-bin");
  ASSERT_TRUE(json && bin);
  expect_error(*json, std::string(100'000, '['), false, v1::ERROR_CODE_DECODE_FAILED, "100k '['");
  expect_error(*json, std::string(50'000, '[') + std::string(50'000, ']'), false, v1::ERROR_CODE_DECODE_FAILED,
               "50k nested arrays, closed");
  std::string objects = R"({"requestId":5,"ping":)";
  for (int i = 0; i < 30'000; ++i) objects += R"({"a":)";
  objects += "1" + std::string(30'000, '}') + "}";
  ASSERT_LE(objects.size(), frame_limit);
  // Deeper than the parser's recursion limit: refused before it can say
  // whether the members are known.
  expect_error(*json, objects, false, v1::ERROR_CODE_DECODE_FAILED, "30k nested objects");
  expect_error(*bin, nested_groups(50'000), true, v1::ERROR_CODE_DECODE_FAILED, "50k nested groups");
  EXPECT_TRUE(json->request(ping()).ok());
  EXPECT_TRUE(bin->request(ping()).ok());

  auto early = server_.connect(encoding::json, false);
  ASSERT_TRUE(early);
  ASSERT_TRUE(early->send_raw(std::string(100'000, '['), false));
  expect_closed(*early, 1008, "100k '[' before Hello");
}

// ------------------------------------------------------ fields of wrong type

TEST_F(Hostile, JsonFieldsOfTheWrongTypeAreDecodeFailed) {
  auto c = server_.connect(encoding::json, true, "types");
  ASSERT_TRUE(c);
  for (const std::string frame : {
           R"({"requestId":"abc","ping":{}})",
           R"({"requestId":4294967296,"ping":{}})",
           R"({"requestId":-1,"ping":{}})",
           R"({"requestId":1,"ping":{"payload":123}})",
           R"({"requestId":1,"ping":{"payload":"not base64!"}})",
           R"({"requestId":1,"ping":[]})",
           R"({"requestId":1,"hello":"Ada"})",
           R"({"requestId":1,"createRoom":{"scenarioId":42}})",
           R"({"requestId":1,"addNote":{"text":true}})",
           R"({"requestId":1,"roomControl":{"action":"ACTION_START","seconds":-5}})",
           R"({"requestId":1,"roomControl":{"action":"ACTION_EXTEND","seconds":1.5}})",
           R"({"requestId":1,"saveScorecard":{"scorecard":[]}})",
           R"({"requestId":1,"saveScorecard":{"submit":1}})",
           R"({"requestId":1,"saveScorecard":{"scorecard":{"updatedMs":"soon"}}})",
           R"({"requestId":1,"enqueue":{"level":true}})",
           R"({"requestId":1,"ping":{},"hello":{"displayName":"two bodies"}})",
           R"([{"requestId":1,"ping":{}}])",
           R"("ping")",
       })
    expect_error(*c, frame, false, v1::ERROR_CODE_DECODE_FAILED, frame);
  EXPECT_TRUE(c->request(ping()).ok());
}

// Canonical JSON has one spelling per type: a bool is true or false, a
// repeated field an array. protobuf's parser also takes a few others; the
// protocol does not.
TEST_F(Hostile, JsonCoercionsOfTheWrongTypeAreDecodeFailedToo) {
  auto c = server_.connect(encoding::json, true, "coerce");
  ASSERT_TRUE(c);
  for (const std::string frame : {
           R"({"requestId":1,"saveScorecard":{"submit":"yes"}})",
           R"({"requestId":2,"enqueue":{"rounds":"ROUND_TYPE_SYSTEM_DESIGN","level":"LEVEL_L5"}})",
           R"({"requestId":3,"saveScorecard":{"scorecard":{"scores":{"dimensionId":"ambiguity","rating":2}}}})",
       })
    expect_error(*c, frame, false, v1::ERROR_CODE_DECODE_FAILED, frame);
}

TEST_F(Hostile, BinaryFieldsOfTheWrongWireType) {
  auto c = server_.connect(encoding::binary, true, "wire-types");
  ASSERT_TRUE(c);
  // The body field as a varint: protobuf keeps a known number with another
  // wire type as an unknown field, so this reads as a body it does not know.
  ASSERT_TRUE(c->send_raw(std::string("\x08\x05\x58\x05", 4), true));
  auto r = c->receive();
  ASSERT_TRUE(r && r->has_error());
  EXPECT_EQ(r->error().code(), v1::ERROR_CODE_UNKNOWN_MESSAGE);
  EXPECT_EQ(r->request_id(), 5u);
  // AddNote.text as a varint: the note arrives without its text.
  ASSERT_TRUE(c->send_raw(std::string("\x08\x06\xd2\x01\x02\x08\x07", 7), true));
  r = c->receive();
  ASSERT_TRUE(r && r->has_error());
  EXPECT_EQ(r->error().code(), v1::ERROR_CODE_MISSING_FIELD);
  EXPECT_EQ(r->error().field(), "text");
  EXPECT_EQ(r->request_id(), 6u);
  // A string field holding bytes that are not UTF-8 (proto3 strings are).
  expect_error(*c, std::string("\x08\x07\xd2\x01\x03\x0a\x01\xff", 8), true, v1::ERROR_CODE_DECODE_FAILED,
               "AddNote.text not UTF-8");
  // Unknown length-delimited fields nest without limit but are not parsed.
  std::string inner;
  for (int i = 0; i < 2000; ++i) {
    std::string len;
    for (size_t n = inner.size();;) {
      const auto b = static_cast<char>((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
      len += b;
      n >>= 7;
      if (n == 0) break;
    }
    inner = "\x9a\x06" + len + inner;
  }
  expect_error(*c, "\x08\x08" + inner, true, v1::ERROR_CODE_UNKNOWN_MESSAGE, "2000 nested unknown fields");
  EXPECT_TRUE(c->request(ping()).ok());
}

// ------------------------------------------------------- unknown enum values

TEST_F(Hostile, UnknownEnumNamesAreDecodeFailed) {
  auto c = server_.connect(encoding::json, true, "enums");
  ASSERT_TRUE(c);
  for (const std::string frame : {
           R"({"requestId":1,"roomControl":{"action":"ACTION_EXPLODE"}})",
           R"({"requestId":2,"createRoom":{"scenarioId":"pm-feature-mid-sprint","creatorRole":"ROLE_GOD"}})",
           R"({"requestId":3,"castVote":{"vote":"RECOMMENDATION_MAYBE","rationale":"r"}})",
           R"({"requestId":4,"enqueue":{"rounds":["ROUND_TYPE_SYSTEM_DESIGN","ROUND_TYPE_NOPE"],"level":"LEVEL_L5"}})",
       })
    expect_error(*c, frame, false, v1::ERROR_CODE_DECODE_FAILED, frame);
  EXPECT_TRUE(c->request(ping()).ok());
}

// proto3 enums are open: a number the schema does not name decodes, in
// either encoding, and the server refuses it as a value out of range.
TEST_F(Hostile, UnknownEnumNumbersAreInvalidArguments) {
  for (const auto wire : {encoding::binary, encoding::json}) {
    const std::string tag = wire == encoding::binary ? " (binary)" : " (json)";
    auto staff = server_.connect(wire, true, "Sam");
    auto cand = server_.connect(wire, true, "Cat");
    ASSERT_TRUE(staff && cand);

    auto role = create_room("pm-feature-mid-sprint", static_cast<v1::Role>(99));
    expect_refused(*staff, role, v1::ERROR_CODE_INVALID_ARGUMENT, "creatorRole 99" + tag);

    v1::ClientMessage q;
    q.mutable_enqueue()->add_rounds(static_cast<v1::RoundType>(99));
    q.mutable_enqueue()->set_level(v1::LEVEL_L5);
    expect_refused(*cand, q, v1::ERROR_CODE_INVALID_ARGUMENT, "round type 99" + tag);
    v1::ClientMessage style;
    style.mutable_enqueue()->add_rounds(v1::ROUND_TYPE_SYSTEM_DESIGN);
    style.mutable_enqueue()->set_level(v1::LEVEL_L5);
    style.mutable_enqueue()->set_company_style(static_cast<v1::CompanyStyle>(99));
    expect_refused(*cand, style, v1::ERROR_CODE_INVALID_ARGUMENT, "company style 99" + tag);
    // If either was queued after all, take it back so the room below can be joined.
    cand->request([] {
      v1::ClientMessage m;
      m.mutable_cancel_ticket();
      return m;
    }());

    own_room(*staff, *cand);
    expect_refused(*staff, control(static_cast<v1::RoomControl::Action>(99)), v1::ERROR_CODE_INVALID_ARGUMENT,
                   "room action 99" + tag);
    expect_refused(*staff, save_scorecard(static_cast<v1::Recommendation>(99)), v1::ERROR_CODE_INVALID_ARGUMENT,
                   "recommendation 99" + tag);
  }
}

// --------------------------------------------------------- out of order

TEST_F(Hostile, OutOfOrderRequestsAreRefusedAndChangeNothing) {
  auto h = server_.connect(encoding::json, true, "eager");
  ASSERT_TRUE(h);
  // Before joining anything.
  expect_refused(*h, save_scorecard(), v1::ERROR_CODE_FAILED_PRECONDITION, "a score before joining");
  expect_refused(*h, save_scorecard(v1::RECOMMENDATION_YES, true), v1::ERROR_CODE_FAILED_PRECONDITION,
                 "a submitted score before joining");
  expect_refused(*h, ask_free("Why?"), v1::ERROR_CODE_FAILED_PRECONDITION, "a follow-up before joining");
  expect_refused(*h, control(v1::RoomControl::ACTION_START), v1::ERROR_CODE_FAILED_PRECONDITION,
                 "a clock control before joining");
  expect_refused(*h, note("hm"), v1::ERROR_CODE_FAILED_PRECONDITION, "a note before joining");
  v1::ClientMessage leave;
  leave.mutable_leave_room();
  expect_refused(*h, leave, v1::ERROR_CODE_FAILED_PRECONDITION, "leaving before joining");
  v1::ClientMessage vote;
  vote.mutable_cast_vote()->set_vote(v1::RECOMMENDATION_YES);
  vote.mutable_cast_vote()->set_rationale("r");
  expect_refused(*h, vote, v1::ERROR_CODE_FAILED_PRECONDITION, "a committee vote before joining one");
  v1::ClientMessage cancel;
  cancel.mutable_cancel_ticket();
  expect_refused(*h, cancel, v1::ERROR_CODE_NOT_FOUND, "cancelling no ticket");
  v1::ClientMessage hello;
  hello.mutable_hello()->set_display_name("again");
  expect_refused(*h, hello, v1::ERROR_CODE_ALREADY_HANDSHAKEN, "a second Hello");

  // The candidate of the room beside asks a follow-up and runs the clock:
  // refused, and the room's state shows neither.
  expect_refused(*ca_, ask_free("Can I ask myself this?"), v1::ERROR_CODE_PERMISSION_DENIED,
                 "a follow-up from the candidate");
  expect_refused(*ca_, ask("any-follow-up"), v1::ERROR_CODE_PERMISSION_DENIED,
                 "a scripted follow-up from the candidate");
  expect_refused(*ca_, control(v1::RoomControl::ACTION_PAUSE), v1::ERROR_CODE_PERMISSION_DENIED,
                 "a pause from the candidate");
  expect_refused(*ca_, save_scorecard(), v1::ERROR_CODE_PERMISSION_DENIED, "a score from the candidate");
  expect_refused(*ca_, tick_marker("proposes_meeting"), v1::ERROR_CODE_PERMISSION_DENIED,
                 "a marker from the candidate");
  const std::string after = "After the candidate's attempts";
  auto asked = iv_->request(ask_free(after));
  ASSERT_TRUE(asked && accepted(asked.value()));
  // Every follow-up the candidate was shown since the room started, up to
  // and with the interviewer's: a refused attempt would be among them.
  int by_hand = 0;
  auto state = ca_->wait_for([&](const auto& m) {
    if (const auto* asked = asked_in(m))
      for (const auto& a : *asked) by_hand += !a.by_script();
    return shows_asked(m, after);
  });
  ASSERT_TRUE(state) << state.error().message;
  ASSERT_TRUE(state->has_room_change()) << "a follow-up is a change: " << state->DebugString();
  EXPECT_EQ(by_hand, 1) << "only the interviewer's question: " << state->DebugString();
  EXPECT_FALSE(state->room_change().clock().paused()) << state->DebugString();

  // Inside a room: a second room, a submission before the interview is over.
  auto guest = server_.connect(encoding::binary, true, "guest");
  ASSERT_TRUE(guest);
  own_room(*h, *guest);
  expect_refused(*h, create_room("pm-feature-mid-sprint"), v1::ERROR_CODE_FAILED_PRECONDITION,
                 "a second room while in one");
  expect_refused(*guest, join("0123456789abcdef0123456789abcdef"), v1::ERROR_CODE_FAILED_PRECONDITION,
                 "joining while in a room");
  expect_refused(*h, save_scorecard(v1::RECOMMENDATION_YES, true), v1::ERROR_CODE_FAILED_PRECONDITION,
                 "a submission during the interview");
}

// ------------------------------------------------------------ all at once

// Four hostile clients at once, each cycling through every kind of bad
// input and reconnecting when closed, while the room beside is checked.
TEST_F(Hostile, ConcurrentBarrageLeavesTheRoomBesideUntouched) {
  constexpr int clients = 4, rounds = 60;
  std::atomic<int> done{0};
  std::array<std::atomic<int>, 5> wrong{};  // by kind of input, as below
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(1000 + t);
      const auto wire = t % 2 ? encoding::json : encoding::binary;
      const bool binary = wire == encoding::binary;
      std::unique_ptr<client> c;
      for (int i = 0; i < rounds; ++i) {
        if (!c || !c->is_open()) c = server_.connect(wire, true, "storm");
        if (!c) {
          ++wrong[4];
          break;
        }
        const auto kind = rng() % 5;
        switch (kind) {
          case 0: {  // noise: an Error
            const auto frame = binary ? random_bytes(rng, 1 + rng() % 200) : random_json(rng);
            v1::ClientMessage m;
            if (!decode(frame, wire, m)) break;
            if (!c->send_raw(frame, binary)) ++wrong[kind];
            auto r = c->wait_for([](const auto& x) { return x.has_error(); });
            if (!r) ++wrong[kind];
            break;
          }
          case 1: {  // over the limit: 1009, or a reset if we were still writing (docs/protocol.md)
            c->send_raw(std::string(frame_limit + 1 + rng() % 100'000, '['), binary);
            auto closed = c->wait_closed(10s);
            if (closed ? closed->code != 1009 : closed.error().kind == client_error::timeout) ++wrong[kind];
            c.reset();
            break;
          }
          case 2: {  // wrong frame type: 1003
            c->send_raw(encode(ping(), wire), !binary);
            auto closed = c->wait_closed(10s);
            if (!closed || closed->code != 1003) ++wrong[kind];
            c.reset();
            break;
          }
          case 3: {  // deep nesting: an Error
            c->send_raw(binary ? nested_groups(20'000) : std::string(100'000, '['), binary);
            auto r = c->wait_for([](const auto& x) { return x.has_error(); });
            if (!r || r->error().code() != v1::ERROR_CODE_DECODE_FAILED) ++wrong[kind];
            break;
          }
          default: {  // out of order: refused
            auto r = c->request(save_scorecard());
            if (!r || !r->has_error() || r->error().code() != v1::ERROR_CODE_FAILED_PRECONDITION) ++wrong[kind];
          }
        }
      }
      ++done;
    });
  }
  int checks = 0;
  while (done.load() < clients && checks < 20)
    expect_room_alive("during the barrage, check " + std::to_string(++checks));
  for (auto& t : threads) t.join();
  EXPECT_GE(checks, 1);
  const char* kinds[] = {"noise", "over the frame limit", "wrong frame type", "deep nesting",
                         "out of order (or a failed reconnect)"};
  for (size_t k = 0; k < wrong.size(); ++k)
    EXPECT_EQ(wrong[k].load(), 0) << kinds[k] << ": answers other than the specified ones";
  EXPECT_TRUE(eventually([&] { return server_.stats().connections.load() == baseline_connections_; }, 10s))
      << server_.stats().connections.load() << " sessions open, " << baseline_connections_ << " expected";
}

}  // namespace
}  // namespace mockloop::testing
