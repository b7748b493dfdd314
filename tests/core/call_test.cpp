// The room's call: who publishes and who listens, where a signal may go,
// and the TURN credentials coturn's use-auth-secret scheme checks.
#include "mockloop/core/call.h"

#include <gtest/gtest.h>

#include "mockloop/core/ice.h"
#include "requests.h"

namespace mockloop {
namespace {

using testing::offer;

struct seat {
  const char* pid;
  v1::Role role;
};

call_roster full(call_settings cs, std::initializer_list<seat> seats) {
  call_roster c(cs);
  for (const auto& x : seats) {
    const auto j = c.join(x.pid, std::string("s-") + x.pid, x.pid, x.role, v1::JoinCall{}, 1);
    EXPECT_FALSE(j.error) << x.pid;
  }
  return c;
}

std::vector<std::string> speakers(const call_roster& c) {
  std::vector<std::string> out;
  const auto state = c.state("r");
  for (const auto& m : state.members())
    if (m.speaker()) out.push_back(m.participant_id());
  return out;
}

v1::ErrorCode route_error(const call_roster& c, const std::string& from_session, const v1::ClientMessage& m) {
  const auto r = c.route(from_session, m.rtc_signal(), 7);
  const auto* e = std::get_if<v1::ServerMessage>(&r);
  if (!e) return v1::ERROR_CODE_UNSPECIFIED;
  EXPECT_EQ(e->request_id(), 7u);
  return e->error().code();
}

TEST(CallRoster, APeerMocksSeatsSpeakAndObserversFillTheMeshUpToFour) {
  const auto c = full({}, {{"ob1", v1::ROLE_OBSERVER},
                           {"iv", v1::ROLE_INTERVIEWER},
                           {"ob2", v1::ROLE_OBSERVER},
                           {"ca", v1::ROLE_CANDIDATE},
                           {"ob3", v1::ROLE_OBSERVER}});
  EXPECT_EQ(speakers(c), (std::vector<std::string>{"ob1", "iv", "ob2", "ca"}))
      << "the interview's seats always speak; observers take the free seats in joining order";
}

TEST(CallRoster, InCoachingRoomsTheCandidateAndCoachPublishAndObserversListen) {
  const auto c = full(
      {.coaching = true},
      {{"co", v1::ROLE_COACH}, {"ob1", v1::ROLE_OBSERVER}, {"ca", v1::ROLE_CANDIDATE}, {"ob2", v1::ROLE_OBSERVER}});
  EXPECT_EQ(speakers(c), (std::vector<std::string>{"co", "ca"}));
}

TEST(CallRoster, ASignalGoesOnlyToANamedMemberAndCarriesTheServersWordForTheSender) {
  const auto c = full(
      {.coaching = true},
      {{"co", v1::ROLE_COACH}, {"ca", v1::ROLE_CANDIDATE}, {"ob1", v1::ROLE_OBSERVER}, {"ob2", v1::ROLE_OBSERVER}});
  auto forged = offer("ca", "v=0 sdp");
  forged.mutable_rtc_signal()->set_from_participant_id("co");
  const auto r = c.route("s-ob1", forged.rtc_signal(), 0);
  const auto* relay = std::get_if<call_roster::relay>(&r);
  ASSERT_NE(relay, nullptr) << "a listener receives from (and answers) a speaker";
  EXPECT_EQ(relay->to_session, "s-ca");
  EXPECT_EQ(relay->message.rtc_signal().from_participant_id(), "ob1") << "the sender cannot pose as the coach";
  EXPECT_EQ(relay->message.rtc_signal().description().sdp(), "v=0 sdp");

  EXPECT_EQ(route_error(c, "s-stranger", offer("ca")), v1::ERROR_CODE_FAILED_PRECONDITION) << "not in the call";
  EXPECT_EQ(route_error(c, "s-co", offer("nobody")), v1::ERROR_CODE_NOT_FOUND);
  EXPECT_EQ(route_error(c, "s-co", offer("co")), v1::ERROR_CODE_INVALID_ARGUMENT);
  EXPECT_EQ(route_error(c, "s-ob1", offer("ob2")), v1::ERROR_CODE_PERMISSION_DENIED) << "two listeners";
}

TEST(CallRoster, ASecondDeviceTakesThePlaceOfTheFirst) {
  call_roster c({});
  c.join("ca", "s-phone", "Cal", v1::ROLE_CANDIDATE, v1::JoinCall{}, 1);
  c.join("iv", "s-iv", "Ivy", v1::ROLE_INTERVIEWER, v1::JoinCall{}, 1);
  const auto j = c.join("ca", "s-laptop", "Cal", v1::ROLE_CANDIDATE, v1::JoinCall{}, 2);
  EXPECT_EQ(j.replaced_session, "s-phone");
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c.state("r").members(0).participant_id(), "ca") << "keeps their place";
  const auto r = c.route("s-iv", offer("ca").rtc_signal(), 0);
  ASSERT_TRUE(std::holds_alternative<call_roster::relay>(r));
  EXPECT_EQ(std::get<call_roster::relay>(r).to_session, "s-laptop");
  EXPECT_FALSE(c.leave("s-phone")) << "the replaced connection is no longer in the call";
}

TEST(CallRoster, IsBoundedAndAFreedSpeakerSeatGoesToTheNextObserver) {
  auto c = full({.max_speakers = 2, .max_members = 3},
                {{"ob1", v1::ROLE_OBSERVER}, {"ob2", v1::ROLE_OBSERVER}, {"ob3", v1::ROLE_OBSERVER}});
  EXPECT_EQ(speakers(c), (std::vector<std::string>{"ob1", "ob2"}));
  const auto j = c.join("ob4", "s-ob4", "ob4", v1::ROLE_OBSERVER, v1::JoinCall{}, 9);
  ASSERT_TRUE(j.error);
  EXPECT_EQ(j.error->error().code(), v1::ERROR_CODE_FAILED_PRECONDITION);
  EXPECT_EQ(j.error->request_id(), 9u);
  EXPECT_TRUE(c.leave("s-ob1"));
  EXPECT_EQ(speakers(c), (std::vector<std::string>{"ob2", "ob3"}));
}

TEST(CallRoster, TheHotSeatMovesTheMicrophoneInACoachingRoom) {
  auto c = full({.coaching = true}, {{"co", v1::ROLE_COACH}, {"ca", v1::ROLE_CANDIDATE}, {"ob", v1::ROLE_OBSERVER}});
  EXPECT_TRUE(c.set_role("ca", v1::ROLE_OBSERVER));
  EXPECT_TRUE(c.set_role("ob", v1::ROLE_CANDIDATE));
  EXPECT_FALSE(c.set_role("ob", v1::ROLE_CANDIDATE)) << "no change, nothing to send";
  EXPECT_EQ(speakers(c), (std::vector<std::string>{"co", "ob"}));
}

TEST(CallRoster, MuteAndCameraAreShownToOthers) {
  call_roster c({});
  v1::JoinCall req;
  req.set_muted(true);
  c.join("ca", "s-ca", "Cal", v1::ROLE_CANDIDATE, req, 1);
  EXPECT_TRUE(c.state("r").members(0).muted());
  v1::CallUpdate u;
  u.set_video(true);
  EXPECT_FALSE(c.update("s-ca", u, 2));
  EXPECT_FALSE(c.state("r").members(0).muted());
  EXPECT_TRUE(c.state("r").members(0).video());
  ASSERT_TRUE(c.update("s-other", u, 3));
  EXPECT_EQ(c.update("s-other", u, 3)->error().code(), v1::ERROR_CODE_FAILED_PRECONDITION);
}

// ---------------------------------------------------------------- ICE

std::string hex(const std::array<uint8_t, 20>& d) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto b : d) out += {digits[b >> 4], digits[b & 15]};
  return out;
}

TEST(Ice, Sha1AndHmacSha1MatchTheirStandardsVectors) {
  EXPECT_EQ(hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");  // FIPS 180
  EXPECT_EQ(hex(sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  // RFC 2202 test cases 1, 2 and 6 (a key longer than the block).
  EXPECT_EQ(hex(hmac_sha1(std::string(20, '\x0b'), "Hi There")), "b617318655057264e28bc0b6fb378c8ef146be00");
  EXPECT_EQ(hex(hmac_sha1("Jefe", "what do ya want for nothing?")), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(hex(hmac_sha1(std::string(80, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

TEST(Ice, TurnCredentialsAreCoturnsRestApiScheme) {
  ice_config ice;
  ice.urls =
      split_urls(" stun:stun.example.org:3478 , turn:turn.example.org:3478?transport=udp,turns:turn.example.org:5349");
  ice.turn_secret = "north-wind";
  ice.ttl_seconds = 3600;
  const auto j = call_joined(ice, "alice", 1'800'000'000'123);
  ASSERT_EQ(j.ice_servers_size(), 2);
  EXPECT_EQ(j.ice_servers(0).urls_size(), 1);
  EXPECT_EQ(j.ice_servers(0).urls(0), "stun:stun.example.org:3478");
  EXPECT_TRUE(j.ice_servers(0).username().empty()) << "STUN needs no credentials";
  EXPECT_EQ(j.ice_servers(1).urls_size(), 2);
  EXPECT_EQ(j.ice_servers(1).username(), "1800003600:alice");
  // From `echo -n 1800003600:alice | openssl dgst -sha1 -hmac north-wind -binary | base64`.
  EXPECT_EQ(j.ice_servers(1).credential(), "vM5EID8HelKycm1fVLDFOvkP7No=");
  EXPECT_EQ(j.credentials_expire_ms(), 1'800'003'600'000);

  EXPECT_EQ(call_joined(ice_config{}, "alice", 0).ice_servers_size(), 0) << "no servers: host candidates only";
  ice.turn_secret.clear();
  EXPECT_TRUE(call_joined(ice, "alice", 0).ice_servers(1).credential().empty());
}

TEST(Ice, Base64PadsAsRfc4648Says) {
  auto b64 = [](std::string_view s) { return base64(reinterpret_cast<const uint8_t*>(s.data()), s.size()); };
  EXPECT_EQ(b64(""), "");
  EXPECT_EQ(b64("f"), "Zg==");
  EXPECT_EQ(b64("fo"), "Zm8=");
  EXPECT_EQ(b64("foo"), "Zm9v");
  EXPECT_EQ(b64("foobar"), "Zm9vYmFy");
}

}  // namespace
}  // namespace mockloop
