// Origin checks and the client address behind a proxy.
#include "mockloop/core/access.h"

#include <gtest/gtest.h>

namespace mockloop {
namespace {

TEST(Origin, NativeClientsSendNoneAndAreAccepted) { EXPECT_TRUE(origin_allowed("", "mock.example:8080", "")); }

TEST(Origin, TheServersOwnOriginIsAccepted) {
  EXPECT_TRUE(origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080", ""));
  EXPECT_TRUE(origin_allowed("https://Mock.Example.org", "mock.example.org", ""));
}

TEST(Origin, AnotherSiteIsRefusedUnlessListed) {
  EXPECT_FALSE(origin_allowed("https://evil.example", "mock.example.org", ""));
  EXPECT_FALSE(origin_allowed("http://127.0.0.1:9999", "127.0.0.1:8080", ""));
  EXPECT_FALSE(origin_allowed("null", "mock.example.org", ""));
  EXPECT_FALSE(origin_allowed("ftp://mock.example.org", "mock.example.org", ""));
  EXPECT_TRUE(origin_allowed("https://app.example", "mock.example.org", "https://a.example, https://app.example"));
  EXPECT_FALSE(origin_allowed("https://app.example.evil", "mock.example.org", "https://app.example"));
  EXPECT_TRUE(origin_allowed("https://anything.example", "mock.example.org", "*"));
}

TEST(ClientAddress, ThePeerUnlessAProxyOnLoopbackForwards) {
  EXPECT_EQ(client_address("203.0.113.9", false, "10.0.0.1"), "203.0.113.9");  // only a local proxy is believed
  EXPECT_EQ(client_address("127.0.0.1", true, ""), "127.0.0.1");
  EXPECT_EQ(client_address("127.0.0.1", true, "198.51.100.7"), "198.51.100.7");
  // A client may send its own X-Forwarded-For; nginx appends the real one last.
  EXPECT_EQ(client_address("127.0.0.1", true, "1.2.3.4, 198.51.100.7"), "198.51.100.7");
}

}  // namespace
}  // namespace mockloop
