// The imperative shell: one port serving HTTP (health, metrics, REST, the
// web client's files) and the WebSocket protocol at /ws. Speaks std types
// only; Asio and Beast stay in the .cpp files.
#pragma once

#include <cstdint>
#include <memory>

#include "mockloop/core/config.h"
#include "mockloop/core/metrics.h"

namespace mockloop {

class server {
 public:
  explicit server(server_config cfg);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds and starts accepting. Throws std::runtime_error when the address
  // cannot be bound: start-up is the one place for exceptions.
  void start();

  // The bound port (useful with port 0).
  uint16_t port() const;

  // Runs the I/O threads until a shutdown completes. With handle_signals,
  // SIGINT and SIGTERM begin a graceful shutdown.
  void run(bool handle_signals);

  // Graceful shutdown from any thread: stop accepting, close every session
  // with 1001 (going away), wait up to shutdown_grace_ms, stop.
  void shutdown();

  const mockloop::metrics& stats() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace mockloop
