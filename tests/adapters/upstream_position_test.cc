#include "adapters/upstream_position.h"

#include <string>

#include "absl/time/time.h"
#include "adapters/upstream_error.h"
#include "gtest/gtest.h"

namespace execgw {
namespace {

TEST(PositionFieldsTest, RoundTripBigEndian) {
  const absl::Time t = absl::FromUnixSeconds(-5) + absl::Nanoseconds(999999999);
  const std::string bytes =
      PositionWriter().Uint(0x0102, 2).Time(t).LengthPrefixed(std::string("a\0b", 3)).Take();
  EXPECT_EQ(bytes.substr(0, 2), "\x01\x02");
  EXPECT_EQ(bytes.size(), 2u + 12u + 4u + 3u);

  PositionReader reader(bytes);
  uint64_t n = 0;
  absl::Time read_t;
  absl::string_view blob;
  ASSERT_TRUE(reader.Uint(2, &n));
  EXPECT_EQ(n, 0x0102u);
  ASSERT_TRUE(reader.Time(&read_t));
  EXPECT_EQ(read_t, t);
  ASSERT_TRUE(reader.LengthPrefixed(3, &blob));
  EXPECT_EQ(blob, absl::string_view("a\0b", 3));
  EXPECT_TRUE(reader.empty());
}

TEST(PositionFieldsTest, ReadsNeverPassTheEnd) {
  const std::string bytes = PositionWriter().LengthPrefixed("abcd").Take();
  absl::string_view blob;
  EXPECT_FALSE(PositionReader(bytes).LengthPrefixed(3, &blob));               // longer than allowed
  EXPECT_FALSE(PositionReader(bytes.substr(0, 6)).LengthPrefixed(8, &blob));  // cut short
  uint64_t n = 0;
  EXPECT_FALSE(PositionReader("abc").Uint(4, &n));
  absl::Time t;
  // Nanoseconds out of range.
  EXPECT_FALSE(PositionReader(std::string(8, '\0') + "\xff\xff\xff\xff").Time(&t));
}

TEST(UnreadablePositionStatusTest, IsAnInvalidPageToken) {
  const absl::Status s = UnreadablePositionStatus("bx");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "page_token: is not a valid page token");
  EXPECT_EQ(ErrorReasonOf(s), reason::kInvalidPageToken);
}

}  // namespace
}  // namespace execgw
