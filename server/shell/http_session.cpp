#include "http_session.h"

#include "scheduling.h"

#include <fstream>

#include <boost/beast/websocket.hpp>
#include <google/protobuf/util/json_util.h>
#include <spdlog/spdlog.h>

#include "clock.h"
#include "matchmaking.h"
#include "mockloop/core/access.h"
#include "mockloop/core/debrief_markdown.h"
#include "store.h"
#include "store_writer.h"
#include "room_directory.h"
#include "static_files.h"
#include "websocket_session.h"

namespace mockloop {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;

namespace {

using request = http::request<http::string_body>;

http::response<http::string_body> text_response(const request& req, http::status status, std::string body,
                                                std::string_view content_type = "text/plain; charset=utf-8") {
  http::response<http::string_body> res{status, req.version()};
  res.set(http::field::server, "mockloop/" + std::string(server_version));
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

http::message_generator healthz(const request& req, hub& h) {
  const auto body = fmt::format(R"({{"status":"ok","version":"{}","uptimeSeconds":{:.3f},"connections":{}}})",
                                server_version, h.uptime_seconds(),
                                h.metrics().connections.load(std::memory_order_relaxed));
  return text_response(req, http::status::ok, body, "application/json");
}

http::message_generator metrics_page(const request& req, hub& h) {
  metrics_gauges g;
  g.uptime_seconds = h.uptime_seconds();
  g.rooms = h.rooms ? static_cast<int64_t>(h.rooms->size()) : 0;
  g.queue_depth = h.matching ? static_cast<int64_t>(h.matching->queue_depth()) : 0;
  g.sessions = static_cast<int64_t>(h.session_count());
  g.held_seats = static_cast<int64_t>(h.held_resumes(monotonic_unix_ms()));
  return text_response(req, http::status::ok, render_prometheus(h.metrics(), g), "text/plain; version=0.0.4");
}

// {"<name>":[...]}: each item as `to_message` gives it, in protobuf's
// canonical JSON.
template <class Items, class ToMessage>
http::message_generator json_list(const request& req, std::string_view name, const Items& items, ToMessage to_message) {
  std::string body = "{\"" + std::string(name) + "\":[";
  bool first = true;
  for (const auto& item : items) {
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(to_message(*item), &json, {});
    if (!first) body += ',';
    body += json;
    first = false;
  }
  body += "]}";
  return text_response(req, http::status::ok, std::move(body), "application/json");
}

// GET /api/scenarios: the lobby's list. Summaries only: never rubric,
// brief or script text.
http::message_generator scenario_list(const request& req, hub& h) {
  return json_list(req, "scenarios", h.scenarios()->scenarios, [](const v1::Scenario& sc) { return summarize(sc); });
}

// GET /api/loops: the loop templates, each round naming a scenario of
// /api/scenarios. Nothing in a loop is staff-only.
http::message_generator loop_list(const request& req, hub& h) {
  return json_list(req, "loops", h.scenarios()->loops, [](const v1::LoopTemplate& l) -> const auto& { return l; });
}

// GET /api/calibration: the example packets a committee can practise on,
// id, title, level and what the rounds were; the records come with the
// committee (they are staff copies), the example's outcome after its decision.
http::message_generator calibration_list(const request& req, hub& h) {
  return json_list(req, "packets", h.scenarios()->examples, [](const v1::ExamplePacket& e) {
    v1::ExamplePacket summary;
    summary.set_id(e.id());
    summary.set_title(e.title());
    summary.set_target_level(e.target_level());
    for (const auto& r : e.records()) {
      auto* s = summary.add_records();
      s->set_id(r.id());
      s->set_scenario_id(r.scenario_id());
      s->set_scenario_title(r.scenario_title());
      s->set_round_type(r.round_type());
    }
    return summary;
  });
}

// The bearer token of a request: "Authorization: Bearer X", or ?token=X
// for links a browser opens (print view).
std::string request_token(const request& req) {
  const std::string_view auth = req[http::field::authorization];
  if (auth.starts_with("Bearer ")) return std::string(auth.substr(7));
  const std::string_view target = req.target();
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto item = query.substr(0, amp);
    if (item.starts_with("token=")) return std::string(item.substr(6));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

struct page {
  http::status status;
  std::string body;
  std::string type = "text/plain; charset=utf-8";
};

// GET /api/debriefs/{id}[.md]: the record in JSON (protobuf's mapping) or
// Markdown, for holders of one of the room's codes only. An unknown id and
// a wrong token look the same (403), so ids cannot be probed. Run on the
// store's thread: an I/O thread never reads SQLite.
page debrief_page(store& db, std::string id, const std::string& token) {
  const bool markdown = std::string_view(id).ends_with(".md");
  if (markdown) id.resize(id.size() - 3);
  const auto role = token.empty() ? std::nullopt : db.debrief_access(id, token);
  if (!role) return {http::status::forbidden, "this debrief needs a code from its room\n"};
  auto record = db.debrief(id);
  if (!record) return {http::status::not_found, "no such debrief\n"};
  if (*role == v1::ROLE_CANDIDATE) record = for_candidate(std::move(*record));
  if (markdown) return {http::status::ok, render_markdown(*record), "text/markdown; charset=utf-8"};
  std::string body;
  (void)google::protobuf::util::MessageToJsonString(*record, &body, {});
  return {http::status::ok, std::move(body), "application/json"};
}

http::message_generator static_file(const request& req, const std::string& root) {
  const auto path = static_file_path(root, req.target());
  if (!path) return text_response(req, http::status::bad_request, "illegal request target\n");
  beast::error_code ec;
  http::file_body::value_type body;
  body.open(path->c_str(), beast::file_mode::scan, ec);
  if (ec) return text_response(req, http::status::not_found, "not found: " + std::string(req.target()) + "\n");
  const auto size = body.size();
  if (req.method() == http::verb::head) {
    http::response<http::empty_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, mime_type(*path));
    res.content_length(size);
    res.keep_alive(req.keep_alive());
    return res;
  }
  http::response<http::file_body> res{std::piecewise_construct, std::make_tuple(std::move(body)),
                                      std::make_tuple(http::status::ok, req.version())};
  res.set(http::field::server, "mockloop/" + std::string(server_version));
  res.set(http::field::content_type, mime_type(*path));
  res.content_length(size);
  res.keep_alive(req.keep_alive());
  return res;
}

}  // namespace

http_session::http_session(net::ip::tcp::socket&& socket, std::shared_ptr<hub> h)
    : stream_(std::move(socket)), hub_(std::move(h)) {}

void http_session::run() {
  // Start on our strand: the listener's thread is not ours.
  net::dispatch(stream_.get_executor(), beast::bind_front_handler(&http_session::do_read, shared_from_this()));
}

void http_session::fail(beast::error_code ec, const char* what) {
  if (ec == net::error::operation_aborted || ec == http::error::end_of_stream) return;
  spdlog::debug("http {}: {}", what, ec.message());
}

void http_session::do_read() {
  parser_.emplace();
  parser_->body_limit(hub_->config().http_body_limit);
  parser_->header_limit(8 * 1024);
  stream_.expires_after(std::chrono::milliseconds(hub_->config().http_timeout_ms));
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

void http_session::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream) {
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
    return;
  }
  if (ec == http::error::body_limit || ec == http::error::header_limit) {
    request req;
    req.version(11);
    req.keep_alive(false);
    return do_write(text_response(req, http::status::payload_too_large, "request too large\n"));
  }
  if (ec) return fail(ec, "read");

  auto& req = parser_->get();
  const std::string_view target = req.target();
  const auto path = target.substr(0, target.find('?'));
  if (websocket::is_upgrade(req)) return upgrade();

  hub_->metrics().http_requests.fetch_add(1, std::memory_order_relaxed);
  if (req.method() != http::verb::get && req.method() != http::verb::head)
    return do_write(text_response(req, http::status::method_not_allowed, "only GET and HEAD are served here\n"));
  if (path == "/healthz") return do_write(healthz(req, *hub_));
  if (path == "/metrics") return do_write(metrics_page(req, *hub_));
  if (path == "/api/scenarios") return do_write(scenario_list(req, *hub_));
  if (path == "/api/loops") return do_write(loop_list(req, *hub_));
  if (path == "/api/calibration") return do_write(calibration_list(req, *hub_));
  if (path.starts_with("/api/debriefs/")) return debrief(std::string(path.substr(14)));
  if (path.starts_with("/calendar/") && hub_->schedule) return calendar(std::string(path.substr(10)));
  if (path == "/ws")
    return do_write(text_response(req, http::status::upgrade_required,
                                  "this endpoint speaks WebSocket: subprotocol mockloop.v1.json or mockloop.v1.proto\n"));
  return do_write(static_file(req, hub_->config().web_root));
}

void http_session::upgrade() {
  auto& req = parser_->get();
  const std::string_view target = req.target();
  auto refuse = [&](http::status status, std::string why) {
    hub_->metrics().connections_refused.fetch_add(1, std::memory_order_relaxed);
    auto res = text_response(req, status, std::move(why));
    res.keep_alive(false);
    do_write(std::move(res));
  };
  if (target.substr(0, target.find('?')) != "/ws")
    return refuse(http::status::not_found, "WebSocket endpoint is /ws\n");
  const auto offered = req[http::field::sec_websocket_protocol];
  const auto enc = negotiate_subprotocol(offered);
  if (!enc)
    return refuse(http::status::bad_request,
                  "no supported subprotocol offered (got '" + std::string(offered) +
                      "'); offer mockloop.v1.json (text frames, JSON) or mockloop.v1.proto (binary frames, protobuf)\n");
  const auto& cfg = hub_->config();
  if (!origin_allowed(req[http::field::origin], req[http::field::host], cfg.allowed_origins)) {
    hub_->metrics().refused_origin.fetch_add(1, std::memory_order_relaxed);
    return refuse(http::status::forbidden, "origin '" + std::string(req[http::field::origin]) +
                                               "' may not connect here (see allowed_origins)\n");
  }
  if (hub_->shutting_down()) return refuse(http::status::service_unavailable, "server is shutting down\n");
  beast::error_code ec;
  const auto peer = stream_.socket().remote_endpoint(ec);
  if (ec) return fail(ec, "remote_endpoint");
  std::string_view forwarded;
  if (!cfg.real_ip_header.empty()) forwarded = req[cfg.real_ip_header];
  const auto ip = client_address(peer.address().to_string(), peer.address().is_loopback(), forwarded);
  if (!hub_->try_add_ip(ip)) {
    hub_->metrics().refused_per_ip.fetch_add(1, std::memory_order_relaxed);
    return refuse(http::status::too_many_requests,
                  "too many connections from your address (" + std::to_string(cfg.max_connections_per_ip) + ")\n");
  }
  if (!hub_->try_reserve_session()) {
    hub_->remove_ip(ip);
    return refuse(http::status::service_unavailable, "server is at its connection limit; try again later\n");
  }

  // The reservation and the address's count now belong to the WebSocket session.
  std::make_shared<websocket_session>(stream_.release_socket(), hub_, *enc, ip)->run(parser_->release());
}

// A user's calendar feed (webcal://) or one booking's .ics, from the
// scheduler's strand; the request stays in parser_ until the write is done.
void http_session::calendar(std::string rest) {
  hub_->schedule->calendar(std::move(rest), [self = shared_from_this()](unsigned status, std::string body,
                                                                         std::string type) {
    net::post(self->stream_.get_executor(), [self, status, body = std::move(body), type = std::move(type)]() mutable {
      self->do_write(text_response(self->parser_->get(), static_cast<http::status>(status), std::move(body), type));
    });
  });
}

// A debrief page, read on the store's thread; the request stays in parser_
// until the write is done.
void http_session::debrief(std::string id) {
  if (!hub_->db || !hub_->writer)
    return do_write(text_response(parser_->get(), http::status::forbidden, "this debrief needs a code from its room\n"));
  auto answer = std::make_shared<page>();
  hub_->writer->submit(
      [answer, id = std::move(id), token = request_token(parser_->get())](store& db, std::string*) {
        *answer = debrief_page(db, id, token);
        return true;
      },
      [self = shared_from_this(), answer](bool ok, const std::string& error) {
        if (!ok) *answer = {http::status::service_unavailable, "the store could not answer: " + error + "\n"};
        net::post(self->stream_.get_executor(), [self, answer] {
          self->do_write(text_response(self->parser_->get(), answer->status, std::move(answer->body), answer->type));
        });
      });
}

void http_session::do_write(http::message_generator msg) {
  const bool keep_alive = msg.keep_alive();
  beast::async_write(stream_, std::move(msg),
                     beast::bind_front_handler(&http_session::on_write, shared_from_this(), keep_alive));
}

void http_session::on_write(bool keep_alive, beast::error_code ec, std::size_t) {
  if (ec) return fail(ec, "write");
  if (!keep_alive) {
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
    return;
  }
  do_read();
}

}  // namespace mockloop
