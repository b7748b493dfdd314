// Every limit and setting of the server, in one place.
//
// Each field's default is the embedded default a newcomer runs with; each
// can be set by a flag (--max-frame-bytes 65536) or a line in the config
// file (max_frame_bytes = 65536). Flags override the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace mockloop {

struct server_config {
  // ---- where
  std::string host = "127.0.0.1";  // loopback by default; put nginx in front for the world
  uint16_t port = 8080;            // 0 picks a free port and logs it
  std::string data_dir = "mockloop-data";  // SQLite store; created if missing
  // Least time between two commits of the store's writer. Writes in one
  // interval share one transaction and one fsync: at 2,800 writes a second
  // a sync per write cost a tenth of a core (docs/load.md). A lone write on
  // an idle server commits at once; under load a save's reply waits up to
  // this much longer. 0 commits whatever is waiting each time the last ends.
  uint32_t store_commit_interval_ms = 10;
  std::string scenarios_dir = "scenarios"; // *.textproto scenario library
  std::string web_root = "client/web";     // static files for the browser client
  std::string config_file;                 // optional key = value file

  // ---- process
  uint32_t threads = 0;  // I/O threads; 0 = one per core

  // ---- WebSocket limits
  // Largest frame or message a client may send (Beast read_message_max);
  // bigger closes the connection with 1009. Our largest request is a
  // scorecard with evidence text, a few KiB; 64 KiB leaves headroom.
  uint32_t max_frame_bytes = 64 * 1024;
  // Time from TCP accept to a finished WebSocket upgrade, and for the
  // closing handshake (Beast timeout::handshake_timeout).
  uint32_t ws_handshake_timeout_ms = 10'000;
  // Time from the upgrade to the client's Hello; a silent socket is closed
  // with 1008 so half-open connections do not pile up.
  uint32_t hello_timeout_ms = 10'000;
  // No data from the client for this long closes the connection. Beast pings
  // at half of it, so a live but quiet browser tab is kept (timeout::idle).
  uint32_t idle_timeout_ms = 60'000;
  // Bytes queued for one client beyond what the socket took. A client over
  // this is a slow consumer: closed with 1013 and counted. 1 MiB is minutes
  // of ticks and state for a room, so only a stuck client reaches it.
  uint32_t max_queue_bytes = 1024 * 1024;
  // After a slow consumer's close frame is queued, how long it gets to read
  // it before the TCP connection is cut.
  uint32_t close_grace_ms = 2'000;
  // Sustained messages per second a client may send, with a burst of the
  // same size (token bucket). A person clicks a few times a second at most.
  uint32_t messages_per_second = 20;
  // WebSocket sessions at once; the next upgrade gets HTTP 503. Sized for a
  // 2-core node, well below the 20,000 open files a process may hold here.
  uint32_t max_connections = 18'000;
  // WebSocket sessions from one client address; more get HTTP 429. A
  // household or office behind one NAT is a few dozen people at most.
  // 0 = no limit (a load test from one address).
  uint32_t max_connections_per_ip = 256;
  // Messages per second from one address, across all its connections
  // (token bucket, burst of the same size); over it gets RATE_LIMITED.
  // 0 = no limit.
  uint32_t messages_per_second_per_ip = 400;
  // Browsers send Origin on the upgrade. Accepted: no Origin (native
  // clients), the server's own origin (Origin's host equals Host), and these
  // comma-separated origins, e.g. "https://mock.example.org". "*" = any.
  std::string allowed_origins;
  // Behind a reverse proxy every peer is the proxy: with this set (e.g.
  // "X-Forwarded-For") and the peer on loopback, the client address is the
  // last entry of that header. Empty: the TCP peer address.
  std::string real_ip_header;

  // ---- HTTP limits
  uint32_t http_body_limit = 16 * 1024;  // bytes; no endpoint takes a large body
  uint32_t http_timeout_ms = 30'000;     // whole-request read/write deadline

  // ---- rooms
  // Minutes to read the prompt (candidate) or rubric (interviewer) before
  // the first phase; the interviewer can skip it.
  uint32_t briefing_seconds = 120;
  // People in one room: a coaching group of a coach, a candidate and
  // observers who all score.
  uint32_t max_room_participants = 50;
  // A dropped participant's seat is held this long for them to reconnect
  // with their resume token; then a peer mock is forfeited and a coaching
  // seat freed.
  uint32_t reconnect_grace_seconds = 120;
  // Rooms and committees one user (user key, or session) may have open at
  // once as their creator.
  uint32_t max_rooms_per_user = 10;

  // ---- the room's board (docs/board.md)
  // Objects on one round's board, removed ones included: a system-design
  // sketch is 10-40 boxes and arrows; 200 keeps every push small.
  uint32_t max_board_objects = 200;
  // Changes in one round, each one event in the room's log (max 20,000).
  uint32_t max_board_ops = 2000;

  // ---- the room's call: WebRTC, signalled through the room (docs/call.md)
  // ICE servers given to browsers, comma-separated URLs (stun:host:3478,
  // turn:host:3478?transport=udp, turns:host:5349). Empty: host candidates
  // only, which connects people on one network (and loopback tests) but
  // not strangers behind NATs: give a STUN and a TURN server for that.
  std::string ice_servers;
  // coturn's static-auth-secret (use-auth-secret). With it, turn:/turns:
  // URLs come with a username "<expiry>:<participant>" and an HMAC-SHA1
  // credential that coturn checks without asking us. Empty: no TURN
  // credentials are issued.
  std::string turn_secret;
  // How long TURN credentials stay valid: a mock with its swap and debrief
  // fits in an hour; a browser keeps its allocation past expiry.
  uint32_t turn_ttl_seconds = 3600;
  // Relayed candidates only: peers matched as strangers never learn each
  // other's address. Needs a TURN server in ice_servers.
  bool ice_relay_only = false;
  // Publishers in one call's full mesh; each sends a stream per other member.
  uint32_t max_call_speakers = 4;
  // Speakers plus listeners in one call (a coaching group).
  uint32_t max_call_members = 16;
  // WebRTC signals per second per connection, with a burst of four times
  // it: a separate bucket from messages_per_second, since ICE trickles a
  // burst of candidates to each peer as a call starts.
  uint32_t signals_per_second = 50;

  // ---- matchmaking
  // A waiting ticket widens its search after this long (any company
  // style), and again after twice it (levels two steps apart).
  uint32_t widen_after_seconds = 30;
  // A ticket that names no max wait expires after this long.
  uint32_t ticket_max_wait_seconds = 600;
  // A matched peer must join the room within this long or forfeit.
  uint32_t match_join_timeout_seconds = 60;

  // ---- scheduled mocks (docs/schedule.md)
  // Slots start on this grid of the UTC clock: on the half hour.
  uint32_t schedule_slot_seconds = 1800;
  // How far ahead a slot must be booked: time to find a partner. Nearer
  // than this, the live queue is the way.
  uint32_t schedule_min_lead_seconds = 900;
  // Check-in opens this long before the start (with the last reminder)...
  uint32_t check_in_before_seconds = 600;
  // ...and closes this long after it: then a missing partner is a no-show
  // and a standby who checked in takes their place.
  uint32_t check_in_after_seconds = 300;
  // Cancelling a paired booking nearer its start than this is a late
  // cancel on the record: a day is what a partner needs to plan around it.
  uint32_t late_cancel_seconds = 86'400;
  // Two no-shows in a row block booking this long (the queue stays open).
  uint32_t no_show_cooldown_seconds = 7 * 86'400;
  // Compiled IANA zones (Debian's tzdata) for local times.
  std::string zoneinfo_dir = "/usr/share/zoneinfo";

  // ---- shutdown
  // On SIGINT/SIGTERM, how long clients get to answer the going-away close.
  uint32_t shutdown_grace_ms = 3'000;

  std::string log_level = "info";  // trace, debug, info, warn, error
};

struct config_result {
  std::optional<server_config> config;  // set on success
  std::string error;                    // set on failure
  bool help = false;                    // --help was asked for
  // Flags that are commands rather than settings (e.g. --check-scenarios DIR).
  std::vector<std::pair<std::string, std::string>> commands;
};

// Parses argv, reading --config FILE first so that flags override it.
config_result parse_config(int argc, const char* const* argv);

// Applies one "key = value" setting; returns an error message or empty.
std::string apply_setting(server_config& cfg, std::string_view key, std::string_view value);

// Parses a config file's text (key = value lines, # comments).
std::string apply_config_text(server_config& cfg, std::string_view text, std::string_view file_name);

std::string usage_text();

}  // namespace mockloop
