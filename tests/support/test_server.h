// Test support: the real server, in this process, on an ephemeral loopback
// port, plus helpers to reach it the way real clients do.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "mockloop/client.h"
#include "mockloop/core/config.h"
#include "mockloop/shell/server.h"

namespace mockloop::testing {

class test_server {
 public:
  explicit test_server(const std::function<void(server_config&)>& tweak = {});
  ~test_server();

  uint16_t port() const { return server_->port(); }
  const metrics& stats() const { return server_->stats(); }
  void shutdown() { server_->shutdown(); }
  // Waits for run() to return (after shutdown()).
  void join();

  client_options options(encoding wire) const;
  // A connected client, after Hello unless `hello` is false. Fails the
  // current test (and returns null) if either step fails.
  std::unique_ptr<client> connect(encoding wire, bool hello = true, const std::string& name = "tester");

 private:
  server_config config_;
  std::string own_data_dir_;  // removed at the end unless a tweak chose another
  std::unique_ptr<server> server_;
  std::thread thread_;
};

struct http_reply {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

// One blocking HTTP/1.1 request to 127.0.0.1:port. Never throws: with no
// response at all, status is 0 and body says why.
http_reply http_get(uint16_t port, const std::string& target, const std::string& method = "GET",
                    const std::string& body = {});

// Polls `pred` every few milliseconds until it holds or `limit` passes.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = std::chrono::seconds(5));

}  // namespace mockloop::testing
