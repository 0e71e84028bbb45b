#include "gateway/page_token.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/time/time.h"
#include "adapters/upstream_error.h"
#include "gateway/list_query.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/simulated_event_loop.h"

namespace execgw::gateway {
namespace {

using ::execgw::testing::SimulatedEventLoop;

constexpr char kInvalid[] = "page_token: is not a valid page token";
constexpr char kOtherQuery[] =
    "page_token: was issued for a different query (parent, filter and order_by must stay the "
    "same while paging)";
constexpr char kExpired[] = "page_token: has expired";
constexpr char kFuture[] = "page_token: was issued in the future";
constexpr char kFingerprint[] = "executions;parent=26:backends/prod/jobs/nightly;order=desc";

// The status is the given INVALID_PAGE_TOKEN error.
void ExpectTokenError(const absl::StatusOr<UpstreamPosition>& decoded, const char* message) {
  ASSERT_FALSE(decoded.ok()) << "accepted, " << decoded->size() << " bytes of position";
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(decoded.status().message(), message);
  EXPECT_EQ(ErrorReasonOf(decoded.status()), reason::kInvalidPageToken);
}

class PageTokenCodecTest : public ::testing::Test {
 protected:
  std::string Raw(const std::string& token) {
    std::string raw;
    EXPECT_TRUE(absl::WebSafeBase64Unescape(token, &raw));
    return raw;
  }

  SimulatedEventLoop clock_;
  PageTokenCodec codec_{std::string(32, 'k'), &clock_};
  // An adapter's bytes: the codec reads nothing in them.
  const UpstreamPosition position_ = std::string("B\0\0\0\0\0\0\0\x28\0\0\0\ncursor-abc", 23);
};

TEST_F(PageTokenCodecTest, RoundTrips) {
  std::string longest(PageTokenCodec::kMaxPositionSize, 'c');
  longest[7] = '\0';
  const std::vector<UpstreamPosition> positions = {
      UpstreamPosition(),
      "eyJ0IjoxfQ",
      std::string(1, '\0'),
      std::string(8, '\xff'),
      std::string("\0\xff\n", 3),
      std::string(255, '\x80'),
      longest,
      position_,
  };
  for (const UpstreamPosition& position : positions) {
    const std::string token = codec_.Encode(kFingerprint, position);
    ASSERT_FALSE(token.empty());
    EXPECT_EQ(
        token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos)
        << token;
    absl::StatusOr<UpstreamPosition> decoded = codec_.Decode(token, kFingerprint);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, position);
  }
}

// Version 1 tokens (before positions became the adapters' bytes) held an
// offset, a snapshot and a cursor; signed with the same key, they are still
// not valid.
TEST_F(PageTokenCodecTest, TokensOfTheFormerLayoutAreRejected) {
  std::string raw(1, '\x01');
  unsigned char digest[32];
  ASSERT_EQ(
      EVP_Digest(kFingerprint, sizeof(kFingerprint) - 1, digest, nullptr, EVP_sha256(), nullptr),
      1);
  raw.append(reinterpret_cast<const char*>(digest), sizeof(digest));
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  for (int shift = 56; shift >= 0; shift -= 8) raw.push_back(static_cast<char>(now >> shift));
  raw.append(std::string(4, '\0'));                      // nanoseconds
  raw.append(std::string(8, '\0'));                      // offset 0
  raw.push_back('\0');                                   // flags: no snapshot
  raw.append(std::string("\0\0\0\x01", 4)).append("c");  // cursor "c"
  const std::string signed_bytes = std::string("execgw.dev/page-token\0", 22) + raw;
  const std::string key(32, 'k');
  unsigned char mac[32];
  unsigned int mac_size = 0;
  ASSERT_NE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                 reinterpret_cast<const unsigned char*>(signed_bytes.data()), signed_bytes.size(),
                 mac, &mac_size),
            nullptr);
  raw.append(reinterpret_cast<const char*>(mac), mac_size);
  ExpectTokenError(codec_.Decode(absl::WebSafeBase64Escape(raw), kFingerprint), kInvalid);
}

TEST_F(PageTokenCodecTest, EmptyTokenIsTheFirstPage) {
  absl::StatusOr<UpstreamPosition> decoded = codec_.Decode("", kFingerprint);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, UpstreamPosition());
}

TEST_F(PageTokenCodecTest, EveryAlteredByteIsRejected) {
  const std::string raw = Raw(codec_.Encode(kFingerprint, position_));
  for (size_t i = 0; i < raw.size(); ++i) {
    for (unsigned char flip : {0x01, 0x80, 0xff}) {
      std::string altered = raw;
      altered[i] = static_cast<char>(altered[i] ^ flip);
      SCOPED_TRACE(::testing::Message() << "byte " << i << " ^ " << int{flip});
      ExpectTokenError(codec_.Decode(absl::WebSafeBase64Escape(altered), kFingerprint), kInvalid);
    }
  }
}

TEST_F(PageTokenCodecTest, TruncatedAndExtendedTokensAreRejected) {
  const std::string token = codec_.Encode(kFingerprint, position_);
  const std::string raw = Raw(token);
  for (size_t n = 1; n < raw.size(); ++n) {
    SCOPED_TRACE(::testing::Message() << "raw prefix " << n);
    ExpectTokenError(codec_.Decode(absl::WebSafeBase64Escape(raw.substr(0, n)), kFingerprint),
                     kInvalid);
  }
  for (size_t n = 1; n < token.size(); ++n) {
    SCOPED_TRACE(::testing::Message() << "text prefix " << n);
    ExpectTokenError(codec_.Decode(token.substr(0, n), kFingerprint), kInvalid);
  }
  ExpectTokenError(codec_.Decode(absl::WebSafeBase64Escape(raw + "x"), kFingerprint), kInvalid);
  ExpectTokenError(codec_.Decode(absl::WebSafeBase64Escape(raw + raw), kFingerprint), kInvalid);
  ExpectTokenError(codec_.Decode(token + "A", kFingerprint), kInvalid);
}

TEST_F(PageTokenCodecTest, OnlyTheCanonicalSpellingIsAccepted) {
  const std::string token = codec_.Encode(kFingerprint, position_);
  const std::string raw = Raw(token);
  // Padding, standard-alphabet base64 and surrounding whitespace all decode
  // to the same bytes in lenient decoders; none is a token.
  std::string padded = token;
  while (padded.size() % 4 != 0) padded.push_back('=');
  if (padded != token) ExpectTokenError(codec_.Decode(padded, kFingerprint), kInvalid);
  const std::string standard = absl::Base64Escape(raw);
  if (standard != token) ExpectTokenError(codec_.Decode(standard, kFingerprint), kInvalid);
  ExpectTokenError(codec_.Decode(" " + token, kFingerprint), kInvalid);
  ExpectTokenError(codec_.Decode(token + "\n", kFingerprint), kInvalid);
}

TEST_F(PageTokenCodecTest, GarbageIsRejected) {
  const std::vector<std::string> garbage = {
      "x",
      "not a token",
      "!!!!",
      "AAAA",
      "====",
      "AQ",
      std::string(200, 'A'),
      std::string(1 << 20, 'A'),
      absl::WebSafeBase64Escape(std::string(200, '\x01')),
      absl::WebSafeBase64Escape(std::string(1 + 32 + 12 + 8 + 1 + 4 + 32, '\0')),
      std::string("\0\0\0\0", 4),
  };
  for (const std::string& token : garbage) {
    SCOPED_TRACE(token.substr(0, 40));
    ExpectTokenError(codec_.Decode(token, kFingerprint), kInvalid);
  }
}

TEST_F(PageTokenCodecTest, WrongVersionIsRejected) {
  std::string raw = Raw(codec_.Encode(kFingerprint, position_));
  ASSERT_EQ(raw[0], '\x02');
  for (char version : {'\x00', '\x01', '\x03', '\xff'}) {
    raw[0] = version;
    ExpectTokenError(codec_.Decode(absl::WebSafeBase64Escape(raw), kFingerprint), kInvalid);
  }
}

TEST_F(PageTokenCodecTest, TokensOfAnotherKeyAreRejected) {
  PageTokenCodec other(std::string(32, 'K'), &clock_);
  ExpectTokenError(other.Decode(codec_.Encode(kFingerprint, position_), kFingerprint), kInvalid);
  ExpectTokenError(codec_.Decode(other.Encode(kFingerprint, position_), kFingerprint), kInvalid);
}

TEST_F(PageTokenCodecTest, ReplicasSharingAKeyAcceptEachOthersTokens) {
  PageTokenCodec replica(std::string(32, 'k'), &clock_);
  absl::StatusOr<UpstreamPosition> decoded =
      replica.Decode(codec_.Encode(kFingerprint, position_), kFingerprint);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, position_);
}

TEST_F(PageTokenCodecTest, TokenOfAnotherFingerprintIsRejected) {
  const std::string token = codec_.Encode(kFingerprint, position_);
  ExpectTokenError(codec_.Decode(token, "executions;something else"), kOtherQuery);
  ExpectTokenError(codec_.Decode(token, ""), kOtherQuery);
}

v1::ListExecutionsRequest Request(const std::string& parent, const std::string& filter,
                                  const std::string& order_by, int page_size) {
  v1::ListExecutionsRequest request;
  request.set_parent(parent);
  request.set_filter(filter);
  request.set_order_by(order_by);
  request.set_page_size(page_size);
  return request;
}

std::string FingerprintOf(const v1::ListExecutionsRequest& request) {
  absl::StatusOr<ListExecutionsQuery> query = ParseListExecutionsRequest(request);
  EXPECT_TRUE(query.ok()) << query.status();
  return query.ok() ? QueryFingerprint(*query) : "";
}

TEST_F(PageTokenCodecTest, ReplayIsBoundToTheQueryButNotThePageSize) {
  const v1::ListExecutionsRequest first =
      Request("backends/prod/jobs/nightly", "state = RUNNING", "", 10);
  const std::string token = codec_.Encode(FingerprintOf(first), position_);

  // Same listing, other page size or filter spelling: accepted.
  for (const auto& same :
       {Request("backends/prod/jobs/nightly", "state = RUNNING", "", 50),
        Request("backends/prod/jobs/nightly", "(state = STATE_RUNNING)", "create_time desc", 0)}) {
    absl::StatusOr<UpstreamPosition> decoded = codec_.Decode(token, FingerprintOf(same));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, position_);
  }
  // Another parent, filter or order: rejected.
  for (const auto& other :
       {Request("backends/prod/jobs/weekly", "state = RUNNING", "", 10),
        Request("backends/prod/workflows/nightly", "state = RUNNING", "", 10),
        Request("backends/prod/jobs/nightly", "state = FAILED", "", 10),
        Request("backends/prod/jobs/nightly", "", "", 10),
        Request("backends/prod/jobs/nightly",
                "state = RUNNING AND create_time > \"2026-01-01T00:00:00Z\"", "", 10),
        Request("backends/prod/jobs/nightly", "state = RUNNING", "create_time asc", 10)}) {
    SCOPED_TRACE(other.ShortDebugString());
    ExpectTokenError(codec_.Decode(token, FingerprintOf(other)), kOtherQuery);
  }
  // Nor is a task listing's token good for executions, or the reverse.
  const ExecutionName execution{"prod", "nightly", "exec-1"};
  ExpectTokenError(codec_.Decode(codec_.Encode(TaskQueryFingerprint(execution), position_),
                                 FingerprintOf(first)),
                   kOtherQuery);
  ExpectTokenError(codec_.Decode(token, TaskQueryFingerprint(execution)), kOtherQuery);
}

TEST_F(PageTokenCodecTest, TokensExpireAfterMaxAge) {
  const std::string token = codec_.Encode(kFingerprint, position_);
  clock_.Advance(absl::Hours(24));
  EXPECT_TRUE(codec_.Decode(token, kFingerprint).ok());
  clock_.Advance(absl::Nanoseconds(1));
  ExpectTokenError(codec_.Decode(token, kFingerprint), kExpired);
  // A fresh token is good again.
  EXPECT_TRUE(codec_.Decode(codec_.Encode(kFingerprint, position_), kFingerprint).ok());
}

TEST_F(PageTokenCodecTest, MaxAgeIsAnOption) {
  PageTokenOptions options;
  options.max_age = absl::Minutes(5);
  PageTokenCodec codec(std::string(16, 'k'), &clock_, options);
  const std::string token = codec.Encode(kFingerprint, position_);
  clock_.Advance(absl::Minutes(5));
  EXPECT_TRUE(codec.Decode(token, kFingerprint).ok());
  clock_.Advance(absl::Seconds(1));
  ExpectTokenError(codec.Decode(token, kFingerprint), kExpired);
}

// A replica whose clock runs ahead issues tokens "in the future" for the
// others: up to max_clock_skew (60 s by default) is tolerated, no more.
TEST_F(PageTokenCodecTest, TokensIssuedInTheFutureAreRejectedBeyondTheSkew) {
  SimulatedEventLoop ahead(clock_.Now() + absl::Seconds(60));
  const PageTokenCodec replica(std::string(32, 'k'), &ahead);
  EXPECT_TRUE(codec_.Decode(replica.Encode(kFingerprint, position_), kFingerprint).ok());
  ahead.Advance(absl::Nanoseconds(1));
  const std::string token = replica.Encode(kFingerprint, position_);
  ExpectTokenError(codec_.Decode(token, kFingerprint), kFuture);
  // Far in the future (a year ahead) is refused too, not taken as fresh.
  ahead.Advance(absl::Hours(24 * 365));
  ExpectTokenError(codec_.Decode(replica.Encode(kFingerprint, position_), kFingerprint), kFuture);
  // Once this replica's clock catches up, the same token is good.
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(codec_.Decode(token, kFingerprint).ok());
}

TEST_F(PageTokenCodecTest, MaxClockSkewIsAnOption) {
  PageTokenOptions options;
  options.max_clock_skew = absl::ZeroDuration();
  const PageTokenCodec strict(std::string(32, 'k'), &clock_, options);
  SimulatedEventLoop ahead(clock_.Now() + absl::Nanoseconds(1));
  const PageTokenCodec replica(std::string(32, 'k'), &ahead);
  EXPECT_TRUE(strict.Decode(codec_.Encode(kFingerprint, position_), kFingerprint).ok());
  ExpectTokenError(strict.Decode(replica.Encode(kFingerprint, position_), kFingerprint), kFuture);
}

TEST_F(PageTokenCodecTest, AnotherQueryIsReportedBeforeExpiry) {
  const std::string token = codec_.Encode(kFingerprint, position_);
  clock_.Advance(absl::Hours(48));
  ExpectTokenError(codec_.Decode(token, "executions;other"), kOtherQuery);
}

TEST(PageTokenKeyTest, ValidateKey) {
  EXPECT_TRUE(PageTokenCodec::ValidateKey(std::string(16, 'k')).ok());
  EXPECT_TRUE(PageTokenCodec::ValidateKey(PageTokenCodec::RandomKey()).ok());
  absl::Status short_key = PageTokenCodec::ValidateKey(std::string(15, 'k'));
  EXPECT_EQ(short_key.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(short_key.message()), ::testing::StartsWith("pageTokenKey: "));
  EXPECT_THAT(std::string(PageTokenCodec::ValidateKey("", "page_token_key").message()),
              ::testing::StartsWith("page_token_key: "));
}

TEST(PageTokenKeyTest, RandomKeysAre32FreshBytes) {
  const std::string a = PageTokenCodec::RandomKey();
  const std::string b = PageTokenCodec::RandomKey();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

TEST(PageTokenKeyDeathTest, ShortKeyIsABug) {
  SimulatedEventLoop clock;
  EXPECT_DEATH(PageTokenCodec(std::string(15, 'k'), &clock), "shorter than kMinKeySize");
}

}  // namespace
}  // namespace execgw::gateway
