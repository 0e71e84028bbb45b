#include "gateway/page_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "adapters/upstream_error.h"

namespace execgw::gateway {
namespace {

// Token layout (integers big-endian; a time is int64 unix seconds followed
// by uint32 nanoseconds, 0..999999999):
//   u8 version
//   payload:
//     32 bytes  SHA-256(fingerprint)
//     time      issued
//     i64       offset
//     u8        flags (kHasSnapshot; other bits zero)
//     time      snapshot (only with kHasSnapshot)
//     u32       cursor length, then the cursor's bytes
//   32 bytes    HMAC-SHA256(key, kMacDomain | version | payload)
constexpr uint8_t kVersion = 1;
constexpr uint8_t kHasSnapshot = 0x01;
constexpr size_t kDigestSize = 32;
constexpr size_t kTimeSize = 12;
constexpr size_t kMinPayloadSize = kDigestSize + kTimeSize + 8 + 1 + 4;
constexpr size_t kMaxPayloadSize = kMinPayloadSize + kTimeSize + PageTokenCodec::kMaxCursorSize;
constexpr size_t kMaxRawSize = 1 + kMaxPayloadSize + kDigestSize;
// Longer text cannot be a token; it is refused before any work is done.
constexpr size_t kMaxTokenSize = (kMaxRawSize + 2) / 3 * 4;
// Keeps this MAC from being valid for anything else the key might sign.
constexpr absl::string_view kMacDomain("execgw.dev/page-token\0", 22);

absl::Status InvalidToken() {
  return MakeError(absl::StatusCode::kInvalidArgument, "page_token: is not a valid page token",
                   reason::kInvalidPageToken, {{"field", "page_token"}});
}

[[noreturn]] void Die(const char* message) {
  std::fprintf(stderr, "PageTokenCodec: %s\n", message);
  std::abort();
}

std::string Sha256(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1 ||
      size != kDigestSize) {
    Die("SHA-256 failed");
  }
  return std::string(reinterpret_cast<const char*>(digest), size);
}

void PutUint(uint64_t value, int bytes, std::string* out) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

void PutTime(absl::Time t, std::string* out) {
  const int64_t seconds = absl::ToUnixSeconds(t);  // rounds down
  const int64_t nanos = absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds));
  PutUint(static_cast<uint64_t>(seconds), 8, out);
  PutUint(static_cast<uint64_t>(nanos), 4, out);
}

// Reads the payload front to back; every read checks that the bytes exist.
class PayloadReader {
 public:
  explicit PayloadReader(absl::string_view data) : rest_(data) {}

  bool Bytes(size_t n, absl::string_view* out) {
    if (rest_.size() < n) return false;
    *out = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return true;
  }

  bool Uint(int bytes, uint64_t* out) {
    absl::string_view raw;
    if (!Bytes(static_cast<size_t>(bytes), &raw)) return false;
    uint64_t value = 0;
    for (char c : raw) value = (value << 8) | static_cast<unsigned char>(c);
    *out = value;
    return true;
  }

  bool Time(absl::Time* out) {
    uint64_t seconds = 0;
    uint64_t nanos = 0;
    if (!Uint(8, &seconds) || !Uint(4, &nanos) || nanos >= 1000000000) return false;
    *out = absl::FromUnixSeconds(static_cast<int64_t>(seconds)) +
           absl::Nanoseconds(static_cast<int64_t>(nanos));
    return true;
  }

  bool empty() const { return rest_.empty(); }

 private:
  absl::string_view rest_;
};

struct Payload {
  absl::string_view fingerprint_digest;
  absl::Time issued;
  UpstreamPosition position;
};

std::optional<Payload> ParsePayload(absl::string_view data) {
  PayloadReader reader(data);
  Payload payload;
  uint64_t offset = 0;
  uint64_t flags = 0;
  uint64_t cursor_size = 0;
  absl::string_view cursor;
  if (!reader.Bytes(kDigestSize, &payload.fingerprint_digest) || !reader.Time(&payload.issued) ||
      !reader.Uint(8, &offset) || !reader.Uint(1, &flags) || (flags & ~kHasSnapshot) != 0) {
    return std::nullopt;
  }
  payload.position.offset = static_cast<int64_t>(offset);
  if (flags & kHasSnapshot) {
    absl::Time snapshot;
    if (!reader.Time(&snapshot)) return std::nullopt;
    payload.position.snapshot = snapshot;
  }
  if (!reader.Uint(4, &cursor_size) || cursor_size > PageTokenCodec::kMaxCursorSize ||
      !reader.Bytes(cursor_size, &cursor) || !reader.empty()) {
    return std::nullopt;
  }
  payload.position.cursor = std::string(cursor);
  return payload;
}

}  // namespace

PageTokenCodec::PageTokenCodec(std::string key, const Clock* clock, PageTokenOptions options)
    : key_(std::move(key)), clock_(clock), options_(options) {
  if (!ValidateKey(key_).ok()) Die("the key is shorter than kMinKeySize bytes");
  if (clock_ == nullptr) Die("no clock");
}

absl::Status PageTokenCodec::ValidateKey(absl::string_view key, absl::string_view field) {
  if (key.size() >= kMinKeySize) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": a page token key must be at least ",
                                                 kMinKeySize, " bytes, found ", key.size()));
}

std::string PageTokenCodec::RandomKey() {
  unsigned char key[32];
  if (RAND_bytes(key, sizeof(key)) != 1) Die("RAND_bytes failed");
  return std::string(reinterpret_cast<const char*>(key), sizeof(key));
}

std::string PageTokenCodec::Mac(absl::string_view signed_bytes) const {
  std::string message = absl::StrCat(kMacDomain, signed_bytes);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac,
           &size) == nullptr ||
      size != kDigestSize) {
    Die("HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(mac), size);
}

std::string PageTokenCodec::Encode(absl::string_view fingerprint,
                                   const UpstreamPosition& position) const {
  std::string raw;
  raw.push_back(static_cast<char>(kVersion));
  raw.append(Sha256(fingerprint));
  PutTime(clock_->Now(), &raw);
  PutUint(static_cast<uint64_t>(position.offset), 8, &raw);
  raw.push_back(static_cast<char>(position.snapshot.has_value() ? kHasSnapshot : 0));
  if (position.snapshot.has_value()) PutTime(*position.snapshot, &raw);
  PutUint(position.cursor.size(), 4, &raw);
  raw.append(position.cursor);
  raw.append(Mac(raw));
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<UpstreamPosition> PageTokenCodec::Decode(absl::string_view token,
                                                        absl::string_view fingerprint) const {
  if (token.empty()) return UpstreamPosition();
  if (token.size() > kMaxTokenSize) return InvalidToken();
  std::string raw;
  // Only the canonical spelling (what Encode produces) is accepted.
  if (!absl::WebSafeBase64Unescape(token, &raw) || absl::WebSafeBase64Escape(raw) != token) {
    return InvalidToken();
  }
  if (raw.size() < 1 + kMinPayloadSize + kDigestSize || static_cast<uint8_t>(raw[0]) != kVersion) {
    return InvalidToken();
  }
  const absl::string_view signed_bytes = absl::string_view(raw).substr(0, raw.size() - kDigestSize);
  const absl::string_view mac = absl::string_view(raw).substr(raw.size() - kDigestSize);
  const std::string expected_mac = Mac(signed_bytes);
  if (CRYPTO_memcmp(mac.data(), expected_mac.data(), kDigestSize) != 0) return InvalidToken();

  std::optional<Payload> payload = ParsePayload(signed_bytes.substr(1));
  if (!payload.has_value()) return InvalidToken();
  const std::string digest = Sha256(fingerprint);
  if (CRYPTO_memcmp(payload->fingerprint_digest.data(), digest.data(), kDigestSize) != 0) {
    return MakeError(absl::StatusCode::kInvalidArgument,
                     "page_token: was issued for a different query (parent, filter and "
                     "order_by must stay the same while paging)",
                     reason::kInvalidPageToken, {{"field", "page_token"}});
  }
  const absl::Time now = clock_->Now();
  if (now - payload->issued > options_.max_age) {
    return MakeError(absl::StatusCode::kInvalidArgument, "page_token: has expired",
                     reason::kInvalidPageToken, {{"field", "page_token"}});
  }
  if (payload->issued - now > options_.max_clock_skew) {
    return MakeError(absl::StatusCode::kInvalidArgument, "page_token: was issued in the future",
                     reason::kInvalidPageToken, {{"field", "page_token"}});
  }
  return std::move(payload->position);
}

}  // namespace execgw::gateway
