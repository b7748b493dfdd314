#include "mockloop/core/config.h"

#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>

namespace mockloop {
namespace {

using member = std::variant<std::string server_config::*, uint16_t server_config::*, uint32_t server_config::*,
                            bool server_config::*>;

struct setting {
  std::string_view key;  // file key; the flag is --key with '_' as '-'
  member field;
  std::string_view help;
};

// The one table of settings: flags, config file keys and --help come from it.
const setting settings[] = {
    {"host", &server_config::host, "address to listen on"},
    {"port", &server_config::port, "port to listen on; 0 picks a free one"},
    {"data_dir", &server_config::data_dir, "directory for the SQLite store (created if missing)"},
    {"store_commit_interval_ms", &server_config::store_commit_interval_ms,
     "least time between store commits; writes meanwhile share one sync"},
    {"scenarios", &server_config::scenarios_dir, "directory of *.textproto scenarios"},
    {"web_root", &server_config::web_root, "directory of the browser client's static files"},
    {"threads", &server_config::threads, "I/O threads; 0 = one per core"},
    {"max_frame_bytes", &server_config::max_frame_bytes, "largest client message; larger closes with 1009"},
    {"ws_handshake_timeout_ms", &server_config::ws_handshake_timeout_ms,
     "WebSocket opening/closing handshake deadline"},
    {"hello_timeout_ms", &server_config::hello_timeout_ms, "time a client has to send Hello"},
    {"idle_timeout_ms", &server_config::idle_timeout_ms, "silence before a connection is dropped (pings at half)"},
    {"max_queue_bytes", &server_config::max_queue_bytes, "outbound bytes queued per client before it is cut (1013)"},
    {"close_grace_ms", &server_config::close_grace_ms, "time a cut client gets to read its close frame"},
    {"messages_per_second", &server_config::messages_per_second, "messages a client may send per second"},
    {"max_connections", &server_config::max_connections, "WebSocket sessions at once; more get HTTP 503"},
    {"max_connections_per_ip", &server_config::max_connections_per_ip,
     "WebSocket sessions from one address (HTTP 429 beyond); 0 = no limit"},
    {"messages_per_second_per_ip", &server_config::messages_per_second_per_ip,
     "messages per second from one address, all its connections; 0 = no limit"},
    {"allowed_origins", &server_config::allowed_origins,
     "comma-separated browser origins allowed besides the server's own; * = any"},
    {"real_ip_header", &server_config::real_ip_header,
     "header naming the client address behind a loopback proxy, e.g. X-Forwarded-For"},
    {"http_body_limit", &server_config::http_body_limit, "largest HTTP request body"},
    {"http_timeout_ms", &server_config::http_timeout_ms, "HTTP request deadline"},
    {"briefing_seconds", &server_config::briefing_seconds, "reading time before the first phase"},
    {"max_room_participants", &server_config::max_room_participants, "people in one room"},
    {"reconnect_grace_seconds", &server_config::reconnect_grace_seconds,
     "how long a dropped participant's seat is held"},
    {"max_rooms_per_user", &server_config::max_rooms_per_user,
     "rooms and committees one user may have open as creator"},
    {"max_board_objects", &server_config::max_board_objects, "objects on one round's shared board"},
    {"max_board_ops", &server_config::max_board_ops, "changes to one round's board"},
    {"ice_servers", &server_config::ice_servers,
     "comma-separated STUN/TURN URLs for the room's call; empty = host candidates only"},
    {"turn_secret", &server_config::turn_secret, "coturn static-auth-secret: issue time-limited TURN credentials"},
    {"turn_ttl_seconds", &server_config::turn_ttl_seconds, "lifetime of issued TURN credentials"},
    {"ice_relay_only", &server_config::ice_relay_only,
     "true: relayed candidates only, peers never see each other's address"},
    {"max_call_speakers", &server_config::max_call_speakers, "publishers in one call (full mesh)"},
    {"max_call_members", &server_config::max_call_members, "speakers plus listeners in one call"},
    {"signals_per_second", &server_config::signals_per_second,
     "WebRTC signals a client may send per second (burst 4x)"},
    {"widen_after_seconds", &server_config::widen_after_seconds, "queue wait before a search widens"},
    {"ticket_max_wait_seconds", &server_config::ticket_max_wait_seconds, "default lifetime of a queue ticket"},
    {"match_join_timeout_seconds", &server_config::match_join_timeout_seconds, "time a matched peer has to join"},
    {"schedule_slot_seconds", &server_config::schedule_slot_seconds, "grid of bookable start times (UTC)"},
    {"schedule_min_lead_seconds", &server_config::schedule_min_lead_seconds, "how far ahead a slot must be booked"},
    {"check_in_before_seconds", &server_config::check_in_before_seconds, "check-in opens this long before the start"},
    {"check_in_after_seconds", &server_config::check_in_after_seconds,
     "check-in closes this long after the start; then no-shows"},
    {"late_cancel_seconds", &server_config::late_cancel_seconds,
     "a paired booking cancelled nearer its start is a late cancel"},
    {"no_show_cooldown_seconds", &server_config::no_show_cooldown_seconds,
     "no booking for this long after two no-shows in a row"},
    {"zoneinfo_dir", &server_config::zoneinfo_dir, "compiled IANA time zones (tzdata)"},
    {"shutdown_grace_ms", &server_config::shutdown_grace_ms, "time clients get to close on shutdown"},
    {"log_level", &server_config::log_level, "trace, debug, info, warn or error"},
};

template <class T>
std::string parse_number(std::string_view key, std::string_view value, T& out) {
  uint64_t v = 0;
  const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || p != value.data() + value.size() || value.empty())
    return std::string(key) + ": expected a whole number, got '" + std::string(value) + "'";
  if (v > std::numeric_limits<T>::max())
    return std::string(key) + ": " + std::string(value) + " is out of range (max " +
           std::to_string(std::numeric_limits<T>::max()) + ")";
  out = static_cast<T>(v);
  return {};
}

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string validate(const server_config& c) {
  if (c.max_frame_bytes < 1024) return "max_frame_bytes must be at least 1024";
  if (c.max_queue_bytes < c.max_frame_bytes) return "max_queue_bytes must be at least max_frame_bytes";
  if (c.messages_per_second == 0) return "messages_per_second must be positive";
  if (c.max_connections == 0) return "max_connections must be positive";
  if (c.max_rooms_per_user == 0) return "max_rooms_per_user must be positive";
  if (c.max_room_participants < 2) return "max_room_participants must be at least 2";
  if (c.hello_timeout_ms == 0 || c.idle_timeout_ms == 0 || c.ws_handshake_timeout_ms == 0)
    return "timeouts must be positive";
  if (c.max_board_objects == 0 || c.max_board_ops == 0) return "max_board_objects and max_board_ops must be positive";
  if (c.max_call_speakers < 2) return "max_call_speakers must be at least 2";
  if (c.max_call_members < c.max_call_speakers) return "max_call_members must be at least max_call_speakers";
  if (c.signals_per_second == 0) return "signals_per_second must be positive";
  if (c.turn_ttl_seconds == 0) return "turn_ttl_seconds must be positive";
  if (c.schedule_slot_seconds == 0) return "schedule_slot_seconds must be positive";
  if (c.ice_relay_only && c.ice_servers.find("turn") == std::string::npos)
    return "ice_relay_only needs a turn: or turns: URL in ice_servers";
  static const std::string_view levels[] = {"trace", "debug", "info", "warn", "error"};
  bool level_ok = false;
  for (auto l : levels) level_ok |= c.log_level == l;
  if (!level_ok) return "log_level must be one of trace, debug, info, warn, error";
  return {};
}

}  // namespace

std::string apply_setting(server_config& cfg, std::string_view key, std::string_view value) {
  for (const auto& s : settings) {
    if (s.key != key) continue;
    return std::visit(
        [&](auto m) -> std::string {
          using T = std::remove_reference_t<decltype(cfg.*m)>;
          if constexpr (std::is_same_v<T, std::string>) {
            cfg.*m = std::string(value);
            return {};
          } else if constexpr (std::is_same_v<T, bool>) {
            if (value == "true" || value == "1")
              cfg.*m = true;
            else if (value == "false" || value == "0")
              cfg.*m = false;
            else
              return std::string(key) + ": expected true or false, got '" + std::string(value) + "'";
            return {};
          } else {
            return parse_number(key, value, cfg.*m);
          }
        },
        s.field);
  }
  return "unknown setting '" + std::string(key) + "' (see --help)";
}

std::string apply_config_text(server_config& cfg, std::string_view text, std::string_view file_name) {
  int line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos)
      return std::string(file_name) + ":" + std::to_string(line_no) + ": expected 'key = value'";
    if (auto err = apply_setting(cfg, trim(line.substr(0, eq)), trim(line.substr(eq + 1))); !err.empty())
      return std::string(file_name) + ":" + std::to_string(line_no) + ": " + err;
  }
  return {};
}

config_result parse_config(int argc, const char* const* argv) {
  config_result r;
  server_config cfg;
  std::vector<std::pair<std::string, std::string>> flags;

  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      r.help = true;
      return r;
    }
    if (!arg.starts_with("--")) {
      r.error = "unexpected argument '" + std::string(arg) + "' (see --help)";
      return r;
    }
    arg.remove_prefix(2);
    std::string key, value;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      key = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else {
      key = arg;
      if (i + 1 >= argc) {
        r.error = "--" + key + " needs a value";
        return r;
      }
      value = argv[++i];
    }
    for (auto& ch : key)
      if (ch == '-') ch = '_';
    flags.emplace_back(std::move(key), std::move(value));
  }

  // The file first, so flags win whatever their order on the command line.
  for (const auto& [k, v] : flags) {
    if (k != "config") continue;
    std::ifstream in(v);
    if (!in) {
      r.error = "cannot read config file '" + v + "'";
      return r;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    if (auto err = apply_config_text(cfg, ss.str(), v); !err.empty()) {
      r.error = err;
      return r;
    }
    cfg.config_file = v;
  }
  for (const auto& [k, v] : flags) {
    if (k == "config") continue;
    if (k == "check_scenarios") {
      r.commands.emplace_back(k, v);
      continue;
    }
    if (auto err = apply_setting(cfg, k, v); !err.empty()) {
      r.error = "--" + err;
      return r;
    }
  }
  if (auto err = validate(cfg); !err.empty()) {
    r.error = err;
    return r;
  }
  r.config = std::move(cfg);
  return r;
}

std::string usage_text() {
  std::ostringstream out;
  const server_config defaults;
  out << "usage: mockloop-server [--config FILE] [--key value ...]\n"
         "       mockloop-server --check-scenarios DIR\n\n"
         "Serves the mockloop web client, REST endpoints and the WebSocket protocol on one port.\n"
         "Every setting below is also a 'key = value' line in the --config file; flags win.\n\n";
  for (const auto& s : settings) {
    std::string flag = "--" + std::string(s.key);
    for (auto& ch : flag)
      if (ch == '_') ch = '-';
    const std::string def = std::visit(
        [&](auto m) -> std::string {
          if constexpr (std::is_same_v<std::remove_cvref_t<decltype(defaults.*m)>, std::string>)
            return defaults.*m;
          else if constexpr (std::is_same_v<std::remove_cvref_t<decltype(defaults.*m)>, bool>)
            return defaults.*m ? "true" : "false";
          else
            return std::to_string(defaults.*m);
        },
        s.field);
    out << "  " << flag << std::string(flag.size() < 28 ? 28 - flag.size() : 1, ' ') << s.help << " [" << def
        << "]\n";
  }
  out << "  --config FILE               read settings from FILE first\n"
         "  --check-scenarios DIR       validate a scenario directory and exit (non-zero on error)\n"
         "  --help                      this text\n";
  return out.str();
}

}  // namespace mockloop
