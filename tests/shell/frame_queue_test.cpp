// The outbound queue: order, draining, and no memory while empty.
#include "shell/frame_queue.h"

#include <gtest/gtest.h>

namespace mockloop {
namespace {

frame_queue::frame f(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

TEST(FrameQueue, EmptyHoldsNoMemory) {
  frame_queue q;
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.capacity(), 0u);
}

TEST(FrameQueue, FirstInFirstOut) {
  frame_queue q;
  q.push_back(f("a"));
  q.push_back(f("b"));
  q.push_back(f("c"));
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(*q.front(), "a");
  EXPECT_EQ(*q.back(), "c");
  q.pop_front();
  EXPECT_EQ(*q.front(), "b");
  q.push_back(f("d"));
  q.pop_front();
  q.pop_front();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(*q.front(), "d");
}

TEST(FrameQueue, ReleasesAFrameAsSoonAsItIsPopped) {
  frame_queue q;
  auto first = f("first");
  q.push_back(first);
  q.push_back(f("second"));
  EXPECT_EQ(first.use_count(), 2);
  q.pop_front();
  EXPECT_EQ(first.use_count(), 1);  // not kept in a spent slot
}

TEST(FrameQueue, ABurstIsGivenBackOnceDrained) {
  frame_queue q;
  for (int i = 0; i < 100; ++i) q.push_back(f(std::to_string(i)));
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(*q.front(), std::to_string(i));
    q.pop_front();
  }
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.capacity(), 0u);
}

TEST(FrameQueue, ASteadyStreamThatNeverDrainsStaysBounded) {
  frame_queue q;
  q.push_back(f("0"));
  for (int i = 1; i < 10'000; ++i) {
    q.push_back(f(std::to_string(i)));
    ASSERT_EQ(*q.front(), std::to_string(i - 1));
    q.pop_front();
    ASSERT_EQ(q.size(), 1u);
  }
  EXPECT_LE(q.capacity(), 128u);
}

TEST(FrameQueue, PopBackDropsTheNewest) {
  frame_queue q;
  q.push_back(f("keep"));
  q.push_back(f("drop1"));
  q.push_back(f("drop2"));
  q.pop_back();
  q.pop_back();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(*q.front(), "keep");
  q.pop_back();
  EXPECT_TRUE(q.empty());
}

}  // namespace
}  // namespace mockloop
