// Writes to the store off the I/O threads, with group commit. Rooms and
// sessions hand it writes; one thread runs all that are waiting in one
// transaction (one fsync however many rooms wrote) and reports each one's
// outcome. An I/O thread never waits on the disk, so a slow sync delays
// the rooms that wrote, not every tick on the server (docs/load.md).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mockloop {

class store;

class store_writer {
 public:
  // A write: calls of the store's write methods; false with *error set if
  // one of them failed (that write alone is rolled back).
  using write_fn = std::function<bool(store&, std::string* error)>;
  // Called on the writer thread once the write is durable (ok) or not: post
  // to your own executor from it.
  using done_fn = std::function<void(bool ok, const std::string& error)>;

  // `commit_interval`: the least time from one commit's start to the next.
  // Writes that arrive meanwhile wait and go in the next commit together, so
  // a busy server syncs at most 1 s / interval times a second instead of
  // once per write; an idle writer commits a lone write at once.
  explicit store_writer(std::shared_ptr<store> db,
                        std::chrono::milliseconds commit_interval = std::chrono::milliseconds{0});
  ~store_writer();  // stop()
  store_writer(const store_writer&) = delete;
  store_writer& operator=(const store_writer&) = delete;

  // Thread-safe. Writes are committed in the order they were submitted.
  // After stop(), a write is run at once on the caller's thread.
  void submit(write_fn write, done_fn done);

  // Runs what is waiting, then joins the thread. Idempotent.
  void stop();

  // Group commits so far, and writes in them (for tests and /metrics).
  uint64_t commits() const;
  uint64_t writes() const;

 private:
  struct job {
    write_fn write;
    done_fn done;
  };
  void run();
  void commit(std::vector<job>& jobs);

  std::shared_ptr<store> db_;
  const std::chrono::milliseconds interval_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<job> queue_;
  bool stopping_ = false;
  bool idle_ = false;  // waiting for a first write: only then does submit() wake it
  uint64_t commits_ = 0, writes_ = 0;
  std::thread thread_;
};

}  // namespace mockloop
