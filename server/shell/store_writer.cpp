#include "store_writer.h"

#include "store.h"

namespace mockloop {

store_writer::store_writer(std::shared_ptr<store> db, std::chrono::milliseconds commit_interval)
    : db_(std::move(db)), interval_(commit_interval), thread_([this] { run(); }) {}

store_writer::~store_writer() { stop(); }

void store_writer::submit(write_fn write, done_fn done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back(job{std::move(write), std::move(done)});
      // A writer gathering or committing takes this on its next pass; a
      // wake-up per write would cost more than the write (docs/load.md).
      if (idle_) wake_.notify_one();
      return;
    }
  }
  std::vector<job> late{job{std::move(write), std::move(done)}};
  commit(late);
}

void store_writer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_one();  // idle or gathering
  }
  if (thread_.joinable()) thread_.join();
}

uint64_t store_writer::commits() const {
  std::lock_guard lock(mutex_);
  return commits_;
}

uint64_t store_writer::writes() const {
  std::lock_guard lock(mutex_);
  return writes_;
}

void store_writer::run() {
  std::vector<job> jobs;
  auto last_commit = std::chrono::steady_clock::now() - interval_;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      idle_ = true;
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      idle_ = false;
      // Gather until an interval has passed since the last commit began;
      // stop() cuts it short. Whatever arrives during a sync waits too, so
      // under load a commit takes what came in one interval.
      wake_.wait_until(lock, last_commit + interval_, [&] { return stopping_; });
      if (queue_.empty()) return;  // stopping, and nothing left
      jobs.swap(queue_);
    }
    last_commit = std::chrono::steady_clock::now();
    commit(jobs);
    jobs.clear();
  }
}

void store_writer::commit(std::vector<job>& jobs) {
  std::vector<char> ok(jobs.size(), 0);
  std::vector<std::string> errors(jobs.size());
  std::string batch_error;
  const bool committed =
      !db_->in_transaction() &&  // a transaction left open elsewhere would make our COMMIT a RELEASE
      db_->atomically(
          [&](std::string*) {
            for (size_t i = 0; i < jobs.size(); ++i) {
              // If SQLite rolled the batch back by itself (an I/O error, a
              // full disk), what is left would commit on its own: not run.
              if (!db_->in_transaction()) {
                errors[i] = "the batch was rolled back";
                continue;
              }
              // Each write whole or not at all: a savepoint of its own.
              ok[i] = db_->atomically([&](std::string* e) { return jobs[i].write(*db_, e); }, &errors[i]);
            }
            return true;
          },
          &batch_error);
  if (!committed && batch_error.empty()) batch_error = "a transaction was already open";
  {
    std::lock_guard lock(mutex_);
    ++commits_;
    writes_ += jobs.size();
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (!jobs[i].done) continue;
    if (!committed)
      jobs[i].done(false, batch_error);
    else
      jobs[i].done(ok[i] != 0, errors[i]);
  }
}

}  // namespace mockloop
