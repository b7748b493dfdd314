// The terminal client in scripted mode, as a user runs it: the real
// `mockloop` binary as child processes against the real server binary on
// an ephemeral port with a fresh data directory.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "mockloop/v1/scenario.pb.h"
#include "mockloop/v1/wire.pb.h"
#include "server_process.h"

namespace mockloop::testing {
namespace {

namespace fs = std::filesystem;

// Long enough for a loaded CI machine; nothing here waits on a timer.
constexpr auto generous = std::chrono::seconds(120);

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A scratch directory per test.
fs::path scratch(const std::string& name) {
  const auto dir = fs::path(::testing::TempDir()) / ("mockloop-cli-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// One `mockloop` run: its stdout and stderr in files, extra environment.
class cli_run {
 public:
  cli_run(const fs::path& dir, const std::string& name, std::vector<std::string> args,
          std::map<std::string, std::string> env = {}, bool piped_stdin = false) {
    out_ = dir / (name + ".out");
    int in[2] = {-1, -1};
    if (piped_stdin && ::pipe(in) != 0) ADD_FAILURE() << "pipe";
    err_ = dir / (name + ".err");
    // A user key of its own, unless the test sets XDG_CONFIG_HOME itself.
    if (!env.count("XDG_CONFIG_HOME")) env["XDG_CONFIG_HOME"] = (dir / (name + "-config")).string();
    args.insert(args.begin(), MOCKLOOP_CLI_BINARY);
    pid_ = ::fork();
    if (pid_ == 0) {
      const int out = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (in[0] >= 0) {
        ::dup2(in[0], 0);
        ::close(in[1]);
      } else {
        ::dup2(::open("/dev/null", O_RDONLY), 0);
      }
      ::dup2(out, 1);
      ::dup2(err, 2);
      for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    if (in[0] >= 0) {
      ::close(in[0]);
      stdin_ = in[1];
    }
  }
  ~cli_run() {
    if (stdin_ >= 0) ::close(stdin_);
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  cli_run(const cli_run&) = delete;
  cli_run& operator=(const cli_run&) = delete;

  std::string out() const { return slurp(out_); }

  // Types into the client's stdin (with piped_stdin).
  void type(const std::string& text) {
    ASSERT_GE(stdin_, 0);
    ASSERT_EQ(::write(stdin_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  std::string err() const { return slurp(err_); }

  // Exit status, or -1 if it is still running after `limit`.
  int wait_exit(std::chrono::milliseconds limit = generous) {
    int status = 0;
    if (!eventually([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, limit)) return -1;
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // The rest of the first stdout line starting with `prefix`, once printed.
  std::string wait_for_line(const std::string& prefix) const {
    std::string found;
    eventually(
        [&] {
          const auto text = "\n" + out();
          const auto at = text.find("\n" + prefix);
          if (at == std::string::npos) return false;
          const auto end = text.find('\n', at + 1);
          if (end == std::string::npos) return false;  // not complete yet
          found = text.substr(at + 1 + prefix.size(), end - at - 1 - prefix.size());
          return true;
        },
        generous);
    return found;
  }

 private:
  fs::path out_, err_;
  int stdin_ = -1;
  pid_t pid_ = -1;
  bool exited_ = false;
};

fs::path write_script(const fs::path& dir, const std::string& name, const std::string& text) {
  const auto p = dir / name;
  std::ofstream(p) << text;
  return p;
}

v1::Scenario load_scenario(const std::string& id) {
  v1::Scenario sc;
  const auto text = slurp(fs::path(MOCKLOOP_SOURCE_DIR) / "scenarios" / (id + ".textproto"));
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &sc)) << id;
  return sc;
}

const v1::FollowUp& follow_up(const v1::Scenario& sc, const std::string& id) {
  for (const auto& f : sc.follow_ups())
    if (f.id() == id) return f;
  ADD_FAILURE() << "no follow-up " << id;
  return sc.follow_ups(0);
}

class CliScript : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch(::testing::UnitTest::GetInstance()->current_test_info()->name());
    server_ = std::make_unique<server_process>(
        std::vector<std::string>{"--port", "0", "--data-dir", (dir_ / "data").string(), "--scenarios",
                                 std::string(MOCKLOOP_SOURCE_DIR) + "/scenarios"});
    port_ = server_->wait_for_port();
    ASSERT_NE(port_, 0) << server_->log();
  }

  std::vector<std::string> connect_args(const std::string& name) const {
    return {"--url", "ws://127.0.0.1:" + std::to_string(port_) + "/ws", "--name", name};
  }

  fs::path dir_;
  std::unique_ptr<server_process> server_;
  uint16_t port_ = 0;
};

// Two scripted clients play a created room end to end: the interviewer
// creates it and hands the candidate code over, both follow the phases, the
// interviewer asks a scripted and a free-text follow-up, scores, submits,
// and the candidate receives the debrief. The two speak different encodings.
TEST_F(CliScript, InterviewerAndCandidatePlayARoomToTheDebrief) {
  const auto sc = load_scenario("failed-canary-release");
  ASSERT_EQ(sc.phases_size(), 4);
  std::string skips;
  for (int i = 0; i < sc.phases_size(); ++i) skips += "skip\n";
  const auto interviewer = write_script(dir_, "interviewer.mls",
                                        "# the interviewer\n"
                                        "create failed-canary-release\n"
                                        "print CANDIDATE_CODE $candidate_code\n"
                                        "wait participant candidate\n"
                                        "start\n"
                                        "skip   # the briefing\n"
                                        "wait phase respond\n"
                                        "ask roll_forward\n"
                                        "ask \"What do you tell the VP of payments right now?\"\n"
                                        "mark rollback_first\n"
                                        "note Rolled back before debugging\n" +
                                            skips +
                                            "wait scoring\n"
                                            "score scoping 3 \"CARD-EVIDENCE named the checkout success rate\"\n"
                                            "score prioritization 4 rollback first\n"
                                            "recommend strong-yes\n"
                                            "summary CARD-SUMMARY solid incident handling\n"
                                            "submit\n"
                                            "wait revealed\n"
                                            "state\n"
                                            "mocks\n");
  const auto candidate = write_script(dir_, "candidate.mls",
                                      "join $CODE\n"
                                      "wait phase respond\n"
                                      "wait followup roll_forward\n"
                                      "wait followup \"VP of payments\"\n"
                                      "wait debrief\n"
                                      "print DEBRIEF $debrief_id\n"
                                      "mocks\n"
                                      "rate $rater_id 4 the rollback question helped\n"
                                      "mocks 10\n");

  auto iv_args = connect_args("Ivy");
  iv_args.insert(iv_args.end(), {"--script", interviewer.string()});
  cli_run iv(dir_, "interviewer", iv_args);
  const auto code = iv.wait_for_line("CANDIDATE_CODE ");
  ASSERT_EQ(code.size(), 32u) << iv.out() << iv.err();

  auto ca_args = connect_args("Cal");
  ca_args.insert(ca_args.end(), {"--json", "--script", candidate.string()});
  cli_run ca(dir_, "candidate", ca_args, {{"CODE", code}});

  ASSERT_EQ(ca.wait_exit(), 0) << ca.out() << ca.err();
  ASSERT_EQ(iv.wait_exit(), 0) << iv.out() << iv.err();

  const auto c = ca.out();
  EXPECT_NE(c.find("(server 0.1.0, mockloop.v1.json)"), std::string::npos) << c;
  EXPECT_NE(c.find("joined: room "), std::string::npos);
  EXPECT_NE(c.find(" as candidate "), std::string::npos);
  EXPECT_NE(c.find("prompt: " + sc.candidate().prompt()), std::string::npos) << "the candidate sees the prompt";
  EXPECT_NE(c.find("phase: 1/4 respond \"" + sc.phases(0).name() + "\""), std::string::npos) << c;
  EXPECT_NE(c.find("followup: \"" + follow_up(sc, "roll_forward").text() + "\""), std::string::npos)
      << "the scripted follow-up's text reaches the candidate\n"
      << c;
  EXPECT_NE(c.find("followup: \"What do you tell the VP of payments right now?\""), std::string::npos);
  EXPECT_NE(c.find("debrief: "), std::string::npos);
  EXPECT_NE(c.find("scorecard: \"Ivy\" (interviewer): strong-yes - CARD-SUMMARY"), std::string::npos) << c;
  EXPECT_NE(c.find("CARD-EVIDENCE named the checkout success rate"), std::string::npos);
  const auto debrief_id = ca.wait_for_line("DEBRIEF ");
  EXPECT_FALSE(debrief_id.empty());
  // My mocks from the terminal: the round under each user key, the card
  // received, rated from the candidate's side.
  EXPECT_NE(c.find("mock: " + debrief_id + " \"" + sc.title() + "\" as candidate with \"Ivy\""), std::string::npos)
      << c;
  EXPECT_NE(c.find("  received: "), std::string::npos) << c;
  EXPECT_NE(c.find("  feedback: \"Ivy\" (interviewer) ["), std::string::npos) << c;
  EXPECT_NE(c.find("rated: "), std::string::npos) << c;
  EXPECT_NE(c.find("; you rated it 4/5"), std::string::npos) << c;
  // Nothing staff-only reached the candidate's screen.
  EXPECT_EQ(c.find(sc.interviewer().briefing()), std::string::npos);
  EXPECT_EQ(c.find(follow_up(sc, "roll_forward").purpose()), std::string::npos);
  EXPECT_EQ(c.find("[roll_forward]"), std::string::npos) << "follow-up ids are staff-only on screen";
  EXPECT_EQ(c.find(sc.markers(0).label()), std::string::npos);
  EXPECT_EQ(c.find("Rolled back before debugging"), std::string::npos) << "notes are private";

  const auto i = iv.out();
  EXPECT_NE(i.find("(server 0.1.0, mockloop.v1.proto)"), std::string::npos);
  EXPECT_NE(i.find("participant: \"Cal\" joined as candidate"), std::string::npos) << i;
  EXPECT_NE(i.find("followup: \"" + follow_up(sc, "roll_forward").text() + "\" [roll_forward]"), std::string::npos);
  EXPECT_NE(i.find("marker: rollback_first"), std::string::npos);
  EXPECT_NE(i.find("note: \"Ivy\": Rolled back before debugging"), std::string::npos);
  EXPECT_NE(i.find("stage: scoring"), std::string::npos);
  // Each scoring command says what the server now holds.
  const auto dims = std::to_string(sc.rubric_size());
  EXPECT_NE(i.find("draft saved: 1 of " + dims + " dimensions rated, no recommendation yet"), std::string::npos) << i;
  EXPECT_NE(i.find("draft saved: 2 of " + dims + " dimensions rated, recommendation strong-yes\n"), std::string::npos)
      << i;
  EXPECT_NE(i.find("draft saved: 2 of " + dims + " dimensions rated, recommendation strong-yes, a summary"),
            std::string::npos)
      << i;
  EXPECT_NE(i.find("scorecard: submitted"), std::string::npos);
  EXPECT_NE(i.find("revealed: 1 scorecard(s); debrief " + debrief_id), std::string::npos) << i;
  EXPECT_NE(i.find("mock: " + debrief_id + " \"" + sc.title() + "\" as interviewer with \"Cal\""), std::string::npos)
      << i;
  EXPECT_NE(i.find("  gave: strong-yes - CARD-SUMMARY"), std::string::npos) << i;
  EXPECT_TRUE(iv.err().empty()) << iv.err();
  EXPECT_TRUE(ca.err().empty()) << ca.err();
}

// A technical screen at a target level from the terminal: the candidate
// reads the numbered code excerpt; the interviewer lists the bad moves,
// ticks one and its pushback reaches the candidate at once; the cards and
// the debrief carry the L6 reading.
TEST_F(CliScript, ATechnicalScreenAtL6PushesBackAndReadsTheLevel) {
  const auto sc = load_scenario("technical-screen-race-condition");
  const v1::Marker* bad = nullptr;
  for (const auto& m : sc.markers())
    if (m.bad_move() && !bad) bad = &m;
  ASSERT_TRUE(bad);
  const v1::FollowUp* pushback = nullptr;
  for (const auto& f : sc.follow_ups())
    if (f.has_on_move() && f.on_move().marker_id() == bad->id() && f.on_move().after_follow_up().empty()) pushback = &f;
  ASSERT_TRUE(pushback);
  std::string scores, skips;
  for (const auto& d : sc.rubric()) scores += "score " + d.id() + " 4 walked the interleaving\n";
  for (int i = 0; i < sc.phases_size(); ++i) skips += "skip\n";
  const auto interviewer = write_script(dir_, "interviewer.mls",
                                        "create technical-screen-race-condition L6\n"
                                        "print CANDIDATE_CODE $candidate_code\n"
                                        "wait participant candidate\n"
                                        "script\n"
                                        "rubric\n"
                                        "start\n"
                                        "skip\n"
                                        "wait phase " + sc.phases(0).id() + "\n"
                                        "mark " + bad->id() + "\n" + skips +
                                            "wait scoring\n" + scores +
                                            "recommend yes\n"
                                            "submit\n"
                                            "wait revealed\n");
  const auto candidate = write_script(dir_, "candidate.mls",
                                      "join $CODE\n"
                                      "wait followup " + pushback->id() + "\n"
                                      "wait debrief\n");
  auto iv_args = connect_args("Ivy");
  iv_args.insert(iv_args.end(), {"--script", interviewer.string()});
  cli_run iv(dir_, "interviewer", iv_args);
  const auto code = iv.wait_for_line("CANDIDATE_CODE ");
  ASSERT_EQ(code.size(), 32u) << iv.out() << iv.err();
  auto ca_args = connect_args("Cal");
  ca_args.insert(ca_args.end(), {"--script", candidate.string()});
  cli_run ca(dir_, "candidate", ca_args, {{"CODE", code}});
  ASSERT_EQ(ca.wait_exit(), 0) << ca.out() << ca.err();
  ASSERT_EQ(iv.wait_exit(), 0) << iv.out() << iv.err();

  const auto c = ca.out();
  EXPECT_NE(c.find("code (go):"), std::string::npos) << c;
  EXPECT_NE(c.find(" 1 | package "), std::string::npos) << "numbered lines\n" << c;
  EXPECT_NE(c.find("followup: \"" + pushback->text() + "\""), std::string::npos) << c;
  EXPECT_NE(c.find("scorecard: \"Ivy\" (interviewer): yes"), std::string::npos) << c;
  EXPECT_NE(c.find("  at L6 the level rule reads strong-yes"), std::string::npos) << c;
  EXPECT_NE(c.find("panel at L6 the level rule reads strong-yes"), std::string::npos) << c;
  EXPECT_EQ(c.find(bad->label()), std::string::npos) << "marker labels are staff-only";
  EXPECT_EQ(c.find(sc.sample_answers(0).excerpt()), std::string::npos) << "sample answers are staff-only";

  const auto i = iv.out();
  EXPECT_NE(i.find("bad move " + bad->id()), std::string::npos) << i;
  EXPECT_NE(i.find("pass lines: L4 "), std::string::npos) << i;
  EXPECT_NE(i.find("(this room: L6)"), std::string::npos) << i;
  EXPECT_NE(i.find("sample answer scoring about 2: "), std::string::npos) << i;
}

// Two clients on one machine share the default user key: the second,
// joining with the candidate's code, is told why it cannot take that seat
// (not seated as the interviewer); with --profile it has a key of its own
// and joins as the candidate, as docs/cli.md's example does.
TEST_F(CliScript, TwoClientsOnOneMachineNeedTwoProfiles) {
  const std::map<std::string, std::string> shared = {{"XDG_CONFIG_HOME", (dir_ / "one-machine").string()}};
  const auto interviewer = write_script(dir_, "interviewer.mls",
                                        "create failed-canary-release\n"
                                        "print CANDIDATE_CODE $candidate_code\n"
                                        "wait participant candidate 20s\n");
  auto iv_args = connect_args("Ivy");
  iv_args.insert(iv_args.end(), {"--script", interviewer.string()});
  cli_run iv(dir_, "interviewer", iv_args, shared);
  const auto code = iv.wait_for_line("CANDIDATE_CODE ");
  ASSERT_EQ(code.size(), 32u) << iv.out() << iv.err();

  const auto candidate = write_script(dir_, "candidate.mls", "join $CODE\nwhoami\n");
  auto same = shared;
  same["CODE"] = code;
  auto ca_args = connect_args("Cal");
  ca_args.insert(ca_args.end(), {"--script", candidate.string()});
  cli_run refused(dir_, "same-key", ca_args, same);
  EXPECT_EQ(refused.wait_exit(), 1) << refused.out() << refused.err();
  EXPECT_NE(refused.err().find("already sits in this room as the interviewer"), std::string::npos) << refused.err();
  EXPECT_NE(refused.err().find("--profile"), std::string::npos) << refused.err();
  EXPECT_EQ(refused.out().find("as interviewer"), std::string::npos) << "not seated as the interviewer\n" << refused.out();

  auto own_args = ca_args;
  own_args.insert(own_args.begin(), {"--profile", "cal"});
  cli_run own(dir_, "own-key", own_args, same);
  ASSERT_EQ(own.wait_exit(), 0) << own.out() << own.err();
  EXPECT_NE(own.out().find(" as candidate "), std::string::npos) << own.out();
  EXPECT_TRUE(fs::exists(dir_ / "one-machine" / "mockloop" / "user_key.cal"));
  EXPECT_EQ(iv.wait_exit(), 0) << iv.out() << iv.err();
}

// A server Error ends the script at that line, with the error's code.
// The board from the terminal: the candidate draws in the scenario's
// sketch phase, the interviewer's client follows every op and lists the
// board as the server ordered it.
TEST_F(CliScript, TheCandidateDrawsOnTheBoardAndTheInterviewerFollows) {
  const auto interviewer = write_script(dir_, "interviewer.mls",
                                        "create video-transcoding-pipeline\n"
                                        "print CANDIDATE_CODE $candidate_code\n"
                                        "wait participant candidate\n"
                                        "start\n"
                                        "skip   # the briefing\n"
                                        "skip   # clarify: the sketch phase follows\n"
                                        "wait board uploads\n"
                                        "board\n");
  const auto candidate = write_script(dir_, "candidate.mls",
                                      "join $CODE\n"
                                      "wait phase sketch\n"
                                      "box gw 100 100 API gateway\n"
                                      "box st 600 100 Storage\n"
                                      "move st 700 400\n"
                                      "arrow e gw st uploads\n"
                                      "board\n");
  auto iv_args = connect_args("Ivy");
  iv_args.insert(iv_args.end(), {"--script", interviewer.string()});
  cli_run iv(dir_, "interviewer", iv_args);
  const auto code = iv.wait_for_line("CANDIDATE_CODE ");
  ASSERT_EQ(code.size(), 32u) << iv.out() << iv.err();
  auto ca_args = connect_args("Cal");
  ca_args.insert(ca_args.end(), {"--script", candidate.string()});
  cli_run ca(dir_, "candidate", ca_args, {{"CODE", code}});
  ASSERT_EQ(ca.wait_exit(), 0) << ca.out() << ca.err();
  ASSERT_EQ(iv.wait_exit(), 0) << iv.out() << iv.err();

  const auto i = iv.out();
  EXPECT_NE(i.find("board: \"Cal\" drew box gw \"API gateway\""), std::string::npos) << i;
  EXPECT_NE(i.find("board: \"Cal\" moved st to 700,400"), std::string::npos) << i;
  EXPECT_NE(i.find("board: \"Cal\" drew arrow e gw -> st \"uploads\""), std::string::npos) << i;
  const auto listing = i.substr(i.find("board: 3 object(s)"));
  EXPECT_NE(listing.find("  gw  box at 100,100 (320x120) \"API gateway\""), std::string::npos) << i;
  EXPECT_NE(listing.find("  st  box at 700,400 (320x120) \"Storage\""), std::string::npos) << i;
  EXPECT_NE(listing.find("  e  arrow gw -> st \"uploads\""), std::string::npos) << i;
  EXPECT_NE(ca.out().find("board: 3 object(s)"), std::string::npos) << ca.out();
}

// Scheduled mocks from the terminal: two users (each its own key) book the
// same slot in their own zones, see each other's local time, check in and
// are matched into one room. This server opens check-in two days ahead, so
// a slot a day away can be checked in for at once.
TEST_F(CliScript, TwoUsersBookTheSameSlotCheckInAndAreMatched) {
  const auto data = dir_ / "schedule-data";
  server_process server({"--port", "0", "--data-dir", data.string(), "--scenarios",
                         std::string(MOCKLOOP_SOURCE_DIR) + "/scenarios", "--check-in-before-seconds", "172800"});
  const auto port = server.wait_for_port();
  ASSERT_NE(port, 0) << server.log();
  auto args_for = [&](const std::string& name, const fs::path& script) {
    return std::vector<std::string>{"--url",    "ws://127.0.0.1:" + std::to_string(port) + "/ws", "--name", name,
                                    "--script", script.string()};
  };
  const int64_t half_hour = 1'800'000;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const auto start = std::to_string((now + 86'400'000) / half_hour * half_hour);
  const auto ada_script = write_script(dir_, "ada.mls",
                                       "book @$START system-design L5 Europe/Berlin\n"
                                       "print BOOKED $booking_id\n"
                                       "wait booking\n"
                                       "checkin\n"
                                       "wait matched nojoin\n"
                                       "bookings\n");
  const auto bo_script = write_script(dir_, "bo.mls",
                                      "book @$START behavioral,system-design L6 America/New_York\n"
                                      "checkin\n"
                                      "wait matched nojoin\n"
                                      "# over already: the error ends the script with its code\n"
                                      "unbook\n");
  cli_run ada(dir_, "ada", args_for("Ada", ada_script), {{"START", start}});
  ASSERT_EQ(ada.wait_for_line("BOOKED ").size(), 32u) << ada.out() << ada.err();
  cli_run bo(dir_, "bo", args_for("Bo", bo_script), {{"START", start}});
  EXPECT_EQ(bo.wait_exit(), 1) << bo.out() << bo.err();
  ASSERT_EQ(ada.wait_exit(), 0) << ada.out() << ada.err();

  const auto a = ada.out(), b = bo.out();
  EXPECT_NE(a.find("finding a partner"), std::string::npos) << a;
  EXPECT_NE(a.find("booking: paired with Bo"), std::string::npos) << a;
  EXPECT_NE(a.find("(UTC+01:00) system-design: paired with \"Bo\" (for them "), std::string::npos) << a;
  EXPECT_NE(b.find("(UTC-05:00) behavioral-leadership,system-design: paired with \"Ada\""), std::string::npos) << b;
  EXPECT_NE(a.find("match: \"Bo\" and you"), std::string::npos) << a;
  EXPECT_NE(b.find("match: \"Ada\" and you"), std::string::npos) << b;
  EXPECT_NE(a.find("reliability: 100% attended over 1 session(s)"), std::string::npos) << a;
  EXPECT_NE(a.find(": started"), std::string::npos) << a;
  EXPECT_NE(a.find("calendar: http://127.0.0.1:"), std::string::npos) << a;
  EXPECT_NE(bo.err().find("bo.mls:5: unbook: FAILED_PRECONDITION: that booking is over already"), std::string::npos) << bo.err();
}

TEST_F(CliScript, AServerErrorStopsTheScriptWithItsCode) {
  const auto script = write_script(dir_, "bad.mls",
                                   "# one good command, then a bad one\n"
                                   "ping\n"
                                   "create no-such-scenario\n"
                                   "print NOT-REACHED\n");
  auto args = connect_args("Ivy");
  args.insert(args.end(), {"--script", script.string()});
  cli_run run(dir_, "bad", args);
  EXPECT_EQ(run.wait_exit(), 1) << run.out() << run.err();
  const auto err = run.err();
  EXPECT_NE(err.find("bad.mls:3: create no-such-scenario: NOT_FOUND: "), std::string::npos) << err;
  EXPECT_NE(run.out().find("pong: "), std::string::npos) << "the commands before it ran";
  EXPECT_EQ(run.out().find("NOT-REACHED"), std::string::npos) << "nothing after it ran";
}

// A command the role may not send: PERMISSION_DENIED, exit 1.
TEST_F(CliScript, ACandidateRunningTheClockIsRefused) {
  const auto staff = write_script(dir_, "staff.mls",
                                  "create failed-canary-release\n"
                                  "print CANDIDATE_CODE $candidate_code\n"
                                  "wait participant candidate\n");
  auto iv_args = connect_args("Ivy");
  iv_args.insert(iv_args.end(), {"--script", staff.string()});
  cli_run iv(dir_, "staff", iv_args);
  const auto code = iv.wait_for_line("CANDIDATE_CODE ");
  ASSERT_FALSE(code.empty()) << iv.err();

  const auto cand = write_script(dir_, "cand.mls", "join $CODE\nstart\n");
  auto ca_args = connect_args("Cal");
  ca_args.insert(ca_args.end(), {"--script", cand.string()});
  cli_run ca(dir_, "cand", ca_args, {{"CODE", code}});
  EXPECT_EQ(ca.wait_exit(), 1) << ca.out() << ca.err();
  EXPECT_NE(ca.err().find("cand.mls:2: start: PERMISSION_DENIED: "), std::string::npos) << ca.err();
  EXPECT_EQ(iv.wait_exit(), 0) << iv.out() << iv.err();
}

TEST_F(CliScript, UnknownCommandsAndBadArgumentsFailBeforeSendingAnything) {
  for (const auto& [line, message] : std::vector<std::pair<std::string, std::string>>{
           {"frobnicate", "unknown command 'frobnicate'"},
           {"join", "usage: join <code>"},
           {"queue design L9", "unknown level 'L9'"},
           {"recommend maybe", "a recommendation is strong-no|no|yes|strong-yes"},
           {"join $not_set_anywhere", "$not_set_anywhere is not set"},
       }) {
    const auto script = write_script(dir_, "bad.mls", line + "\n");
    auto args = connect_args("Ivy");
    args.insert(args.end(), {"--script", script.string()});
    cli_run run(dir_, "bad", args);
    EXPECT_EQ(run.wait_exit(), 1) << line;
    EXPECT_NE(run.err().find("bad.mls:1: " + line + ": " + message), std::string::npos) << run.err();
  }
}

// A wait that is never satisfied ends the script with exit code 3.
TEST_F(CliScript, AWaitThatTimesOutExitsWithThree) {
  const auto script = write_script(dir_, "wait.mls",
                                   "create failed-canary-release\n"
                                   "wait followup 1s\n"
                                   "print NOT-REACHED\n");
  auto args = connect_args("Ivy");
  args.insert(args.end(), {"--script", script.string()});
  cli_run run(dir_, "wait", args);
  EXPECT_EQ(run.wait_exit(), 3) << run.out() << run.err();
  EXPECT_NE(run.err().find("wait.mls:2: wait followup 1s: timed out after 1.0 s waiting for a follow-up"),
            std::string::npos)
      << run.err();
  EXPECT_EQ(run.out().find("NOT-REACHED"), std::string::npos);
}

// --json-out: every server message, one canonical-JSON object per line on
// stdout; the readable lines move to stderr.
TEST_F(CliScript, JsonOutPrintsEveryServerMessageAsJsonLines) {
  const auto script = write_script(dir_, "json.mls",
                                   "ping\n"
                                   "create failed-canary-release\n"
                                   "wait joined\n"
                                   "wait phase lobby\n");
  auto args = connect_args("Ivy");
  args.insert(args.end(), {"--json-out", "--script", script.string()});
  cli_run run(dir_, "json", args);
  ASSERT_EQ(run.wait_exit(), 0) << run.out() << run.err();
  std::map<int, int> seen;  // body case -> count
  std::istringstream lines(run.out());
  int n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    v1::ServerMessage m;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &m).ok()) << "not a ServerMessage: " << line;
    ++seen[m.body_case()];
  }
  EXPECT_GE(n, 6);
  EXPECT_EQ(seen[v1::ServerMessage::kWelcome], 1);
  EXPECT_EQ(seen[v1::ServerMessage::kPong], 1);
  EXPECT_EQ(seen[v1::ServerMessage::kRoomCreated], 1);
  EXPECT_EQ(seen[v1::ServerMessage::kJoined], 1);
  EXPECT_EQ(seen[v1::ServerMessage::kStaffBriefing], 1);
  EXPECT_GE(seen[v1::ServerMessage::kStaffRoomState], 1);
  EXPECT_NE(run.err().find("room: created "), std::string::npos) << "readable lines on stderr";
}

// Two strangers by invite: the inviter's code goes to the partner; both
// `wait matched`, which joins the room; one is candidate, one interviewer.
TEST_F(CliScript, InviteAndPartnerAreMatchedAndJoinTheirRoom) {
  const auto inviter = write_script(dir_, "inviter.mls",
                                    "invite system-design L5\n"
                                    "print INVITE_CODE $invite_code\n"
                                    "wait matched\n"
                                    "print ROLE $role\n"
                                    "wait participant $partner\n");
  auto a_args = connect_args("Ada");
  a_args.insert(a_args.end(), {"--script", inviter.string()});
  cli_run a(dir_, "inviter", a_args);
  const auto code = a.wait_for_line("INVITE_CODE ");
  ASSERT_FALSE(code.empty()) << a.out() << a.err();

  const auto partner = write_script(dir_, "partner.mls",
                                    "partner $CODE\n"
                                    "wait matched\n"
                                    "print ROLE $role\n"
                                    "wait participant $partner\n");
  auto b_args = connect_args("Bo");
  b_args.insert(b_args.end(), {"--json", "--script", partner.string()});
  cli_run b(dir_, "partner", b_args, {{"CODE", code}});

  ASSERT_EQ(a.wait_exit(), 0) << a.out() << a.err();
  ASSERT_EQ(b.wait_exit(), 0) << b.out() << b.err();
  EXPECT_NE(a.out().find("match: \"Bo\" and you"), std::string::npos) << a.out();
  EXPECT_NE(b.out().find("match: \"Ada\" and you"), std::string::npos) << b.out();
  const auto role_a = a.wait_for_line("ROLE "), role_b = b.wait_for_line("ROLE ");
  EXPECT_TRUE((role_a == "candidate" && role_b == "interviewer") || (role_a == "interviewer" && role_b == "candidate"))
      << role_a << " / " << role_b;
  EXPECT_NE(a.out().find("joined: room "), std::string::npos);
}

// The user key: created once under $XDG_CONFIG_HOME with 128 random bits,
// private to its owner, and the same on the next run.
TEST_F(CliScript, TheUserKeyIsCreatedOnceAndKept) {
  const auto config = dir_ / "config";
  const auto key_file = config / "mockloop" / "user_key";
  const auto script = write_script(dir_, "noop.mls", "print hello\n");
  auto args = connect_args("Ivy");
  args.insert(args.end(), {"--script", script.string()});
  {
    cli_run run(dir_, "first", args, {{"XDG_CONFIG_HOME", config.string()}});
    ASSERT_EQ(run.wait_exit(), 0) << run.err();
  }
  const auto key = slurp(key_file);
  ASSERT_EQ(key.size(), 33u) << key;  // 32 hex digits and a newline
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef\n"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  {
    cli_run run(dir_, "second", args, {{"XDG_CONFIG_HOME", config.string()}});
    ASSERT_EQ(run.wait_exit(), 0) << run.err();
  }
  EXPECT_EQ(slurp(key_file), key) << "kept, not replaced";
}

TEST(CliScriptNoServer, NoServerExitsWithFour) {
  const auto dir = scratch("noserver");
  const auto script = write_script(dir, "s.mls", "print NOT-REACHED\n");
  // Port 1 on loopback: nothing listens there, and nobody may bind it.
  cli_run run(dir, "noserver", {"--url", "ws://127.0.0.1:1/ws", "--script", script.string()});
  EXPECT_EQ(run.wait_exit(), 4) << run.out() << run.err();
  EXPECT_NE(run.err().find("cannot connect to ws://127.0.0.1:1/ws"), std::string::npos) << run.err();
}

TEST(CliScriptNoServer, BadOptionsExitWithTwo) {
  const auto dir = scratch("options");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--frobnicate"}, {"--url", "http://x"}, {"--port", "70000"}, {"--script"}}) {
    cli_run run(dir, "options", args);
    EXPECT_EQ(run.wait_exit(), 2) << args[0];
    EXPECT_NE(run.err().find("usage: mockloop"), std::string::npos) << run.err();
  }
}

// After a drop the client presents its resume token: the server keeps the
// seat and the same session (Welcome.resumed), and sends the room again.
TEST_F(CliScript, ReconnectResumesTheSessionAndTheRoom) {
  const auto script = write_script(dir_, "resume.mls",
                                   "create failed-canary-release\n"
                                   "print SESSION $session_id\n"
                                   "reconnect\n"
                                   "print RESUMED $resumed $session_id\n"
                                   "wait joined\n"
                                   "state\n");
  auto args = connect_args("Ivy");
  args.insert(args.end(), {"--script", script.string()});
  cli_run run(dir_, "resume", args);
  ASSERT_EQ(run.wait_exit(), 0) << run.out() << run.err();
  const auto session = run.wait_for_line("SESSION ");
  const auto room = run.wait_for_line("room: created ");
  EXPECT_EQ(run.wait_for_line("RESUMED "), "yes " + session);
  const auto out = run.out();
  const auto resumed_at = out.find("resumed: yes, session " + session);
  ASSERT_NE(resumed_at, std::string::npos) << out;
  EXPECT_NE(out.find("joined: room " + room + " as interviewer", resumed_at), std::string::npos)
      << "the server sends the room again after resuming\n"
      << out;
  EXPECT_NE(out.find("state: room " + room), std::string::npos);
}

// Interactive mode, its input a pipe: when the connection drops (here the
// server dies and a new one takes its port), the client reconnects by
// itself with its resume token and reports that the new server did not
// resume the session; typing goes on working.
TEST_F(CliScript, InteractiveModeReconnectsAfterTheServerIsReplaced) {
  auto args = connect_args("Ivy");
  cli_run run(dir_, "interactive", args, {}, /*piped_stdin=*/true);
  run.type("create failed-canary-release\n");
  ASSERT_FALSE(run.wait_for_line("room: created ").empty()) << run.out() << run.err();

  server_->signal(SIGKILL);
  ASSERT_GT(server_->wait_exit(generous), 0);
  server_process replacement({"--port", std::to_string(port_), "--data-dir", (dir_ / "data2").string(), "--scenarios",
                              std::string(MOCKLOOP_SOURCE_DIR) + "/scenarios"});
  ASSERT_EQ(replacement.wait_for_port(), port_) << replacement.log();

  const auto fresh = run.wait_for_line("resumed: no, new session ");
  ASSERT_FALSE(fresh.empty()) << run.out() << run.err();
  run.type("print ALIVE $resumed $session_id\nquit\n");
  EXPECT_EQ(run.wait_exit(), 0) << run.out() << run.err();
  const auto out = run.out();
  EXPECT_NE(out.find("connection lost: "), std::string::npos) << out;
  EXPECT_NE(out.find("ALIVE no " + fresh.substr(0, fresh.find(' '))), std::string::npos) << out;
}

}  // namespace
}  // namespace mockloop::testing
