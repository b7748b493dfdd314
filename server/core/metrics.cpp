#include "mockloop/core/metrics.h"

#include <cctype>
#include <sstream>

namespace mockloop {
namespace {

void family(std::ostringstream& out, std::string_view name, std::string_view type, std::string_view help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

template <class T>
void sample(std::ostringstream& out, std::string_view name, std::string_view type, std::string_view help, T value) {
  family(out, name, type, help);
  out << name << ' ' << value << '\n';
}

// ERROR_CODE_RATE_LIMITED -> rate_limited
std::string error_label(int code) {
  std::string name = v1::ErrorCode_Name(static_cast<v1::ErrorCode>(code));
  constexpr std::string_view prefix = "ERROR_CODE_";
  if (name.starts_with(prefix)) name.erase(0, prefix.size());
  for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return name;
}

}  // namespace

std::string render_prometheus(const metrics& m, const metrics_gauges& g) {
  constexpr auto r = std::memory_order_relaxed;
  std::ostringstream out;
  sample(out, "mockloop_connections", "gauge", "Open WebSocket sessions.", m.connections.load(r));
  sample(out, "mockloop_connections_total", "counter", "WebSocket upgrades accepted.", m.connections_total.load(r));
  sample(out, "mockloop_connections_refused_total", "counter", "WebSocket upgrades refused.",
         m.connections_refused.load(r));
  sample(out, "mockloop_rooms", "gauge", "Rooms open.", g.rooms);
  sample(out, "mockloop_queue_depth", "gauge", "Tickets waiting in the matchmaker.", g.queue_depth);
  sample(out, "mockloop_sessions", "gauge", "Sessions registered (handshaken or not).", g.sessions);
  sample(out, "mockloop_held_seats", "gauge", "Dropped sessions whose seat waits for a resume.", g.held_seats);
  sample(out, "mockloop_refused_per_ip_total", "counter", "Upgrades refused over max_connections_per_ip.",
         m.refused_per_ip.load(r));
  sample(out, "mockloop_refused_origin_total", "counter", "Upgrades refused for their Origin.", m.refused_origin.load(r));
  sample(out, "mockloop_ip_rate_limited_total", "counter", "Messages dropped over messages_per_second_per_ip.",
         m.ip_rate_limited.load(r));
  sample(out, "mockloop_resumes_total", "counter", "Sessions resumed with a resume token.", m.resumes.load(r));
  sample(out, "mockloop_resumes_refused_total", "counter", "Resume tokens unknown or past their window.",
         m.resumes_refused.load(r));
  sample(out, "mockloop_rooms_refused_total", "counter", "Rooms refused over max_rooms_per_user.",
         m.rooms_refused.load(r));
  sample(out, "mockloop_outbound_queued_bytes", "gauge", "Bytes queued for clients, all sessions.",
         m.queued_bytes.load(r));
  sample(out, "mockloop_messages_in_total", "counter", "Messages received from clients.", m.messages_in.load(r));
  sample(out, "mockloop_messages_out_total", "counter", "Messages sent to clients.", m.messages_out.load(r));
  sample(out, "mockloop_bytes_in_total", "counter", "Payload bytes received from clients.", m.bytes_in.load(r));
  sample(out, "mockloop_bytes_out_total", "counter", "Payload bytes sent to clients.", m.bytes_out.load(r));
  sample(out, "mockloop_slow_consumer_closes_total", "counter", "Sessions closed for exceeding the outbound queue.",
         m.slow_consumer_closes.load(r));
  sample(out, "mockloop_protocol_violation_closes_total", "counter", "Sessions closed for protocol violations.",
         m.protocol_violation_closes.load(r));
  sample(out, "mockloop_http_requests_total", "counter", "Plain HTTP requests served.", m.http_requests.load(r));
  family(out, "mockloop_errors_total", "counter", "Error replies sent, by code.");
  for (int code = 1; code < v1::ErrorCode_ARRAYSIZE; ++code) {
    if (!v1::ErrorCode_IsValid(code)) continue;
    out << "mockloop_errors_total{code=\"" << error_label(code) << "\"} " << m.errors[code].load(r) << '\n';
  }
  sample(out, "mockloop_uptime_seconds", "gauge", "Seconds since the server started.", g.uptime_seconds);
  return out.str();
}

}  // namespace mockloop
