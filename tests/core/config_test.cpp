#include "mockloop/core/config.h"

#include <cstdio>
#include <fstream>
#include <vector>

#include <gtest/gtest.h>

namespace mockloop {
namespace {

config_result parse(std::vector<const char*> args) {
  args.insert(args.begin(), "mockloop-server");
  return parse_config(static_cast<int>(args.size()), args.data());
}

TEST(Config, DefaultsAreTheDocumentedOnes) {
  auto r = parse({});
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(r.config->host, "127.0.0.1");
  EXPECT_EQ(r.config->port, 8080);
  EXPECT_EQ(r.config->max_frame_bytes, 64u * 1024);
  EXPECT_EQ(r.config->scenarios_dir, "scenarios");
}

TEST(Config, FlagsInBothSpellings) {
  auto r = parse({"--port", "0", "--max-frame-bytes=2048", "--data-dir", "/tmp/x", "--messages-per-second", "5"});
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(r.config->port, 0);
  EXPECT_EQ(r.config->max_frame_bytes, 2048u);
  EXPECT_EQ(r.config->data_dir, "/tmp/x");
  EXPECT_EQ(r.config->messages_per_second, 5u);
}

TEST(Config, FileIsReadAndFlagsWin) {
  const std::string path = ::testing::TempDir() + "mockloop_config_test.conf";
  {
    std::ofstream f(path);
    f << "# a comment\nport = 9000\n  max_queue_bytes=131072  # trailing\n\nhost = 0.0.0.0\n";
  }
  auto r = parse({"--port", "9001", "--config", path.c_str()});
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(r.config->port, 9001) << "the flag overrides the file whatever the order";
  EXPECT_EQ(r.config->max_queue_bytes, 131072u);
  EXPECT_EQ(r.config->host, "0.0.0.0");
  std::remove(path.c_str());
}

TEST(Config, ErrorsNameTheProblem) {
  EXPECT_NE(parse({"--port", "70000"}).error.find("out of range"), std::string::npos);
  EXPECT_NE(parse({"--port", "80x"}).error.find("whole number"), std::string::npos);
  EXPECT_NE(parse({"--frobnicate", "1"}).error.find("unknown setting 'frobnicate'"), std::string::npos);
  EXPECT_NE(parse({"--port"}).error.find("needs a value"), std::string::npos);
  EXPECT_NE(parse({"--config", "/nonexistent/file"}).error.find("cannot read"), std::string::npos);
  EXPECT_NE(parse({"--max-frame-bytes", "10"}).error.find("at least 1024"), std::string::npos);
  EXPECT_NE(parse({"--log-level", "loud"}).error.find("log_level"), std::string::npos);
  EXPECT_NE(parse({"stray"}).error.find("unexpected argument"), std::string::npos);
}

TEST(Config, FileErrorsCarryFileAndLine) {
  server_config cfg;
  EXPECT_EQ(apply_config_text(cfg, "port = 1\nnonsense\n", "x.conf"), "x.conf:2: expected 'key = value'");
  EXPECT_EQ(apply_config_text(cfg, "port = 1\n\nbogus = 2\n", "x.conf"), "x.conf:3: unknown setting 'bogus' (see --help)");
}

TEST(Config, HelpListsEverySettingWithItsDefault) {
  EXPECT_TRUE(parse({"--help"}).help);
  const auto text = usage_text();
  for (const char* flag : {"--host", "--port", "--data-dir", "--scenarios", "--config", "--max-frame-bytes",
                           "--hello-timeout-ms", "--idle-timeout-ms", "--max-queue-bytes", "--messages-per-second",
                           "--max-connections", "--check-scenarios"})
    EXPECT_NE(text.find(flag), std::string::npos) << flag;
  EXPECT_NE(text.find("[65536]"), std::string::npos);
}

TEST(Config, CheckScenariosIsACommand) {
  auto r = parse({"--check-scenarios", "scenarios"});
  ASSERT_TRUE(r.config);
  ASSERT_EQ(r.commands.size(), 1u);
  EXPECT_EQ(r.commands[0].second, "scenarios");
}

}  // namespace
}  // namespace mockloop
