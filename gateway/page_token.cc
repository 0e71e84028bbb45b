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
#include "adapters/upstream_position.h"

namespace execgw::gateway {
namespace {

// Token layout (the fields of upstream_position.h: integers big-endian; a
// time is int64 unix seconds followed by uint32 nanoseconds, 0..999999999):
//   u8 version
//   payload:
//     32 bytes  SHA-256(fingerprint)
//     time      issued
//     u32       position length, then the position's bytes
//   32 bytes    HMAC-SHA256(key, kMacDomain | version | payload)
// Version 1 (before positions became the adapters' own bytes) held an
// offset, a snapshot and a cursor: such tokens are refused as invalid.
constexpr uint8_t kVersion = 2;
constexpr size_t kDigestSize = 32;
constexpr size_t kTimeSize = 12;
constexpr size_t kMinPayloadSize = kDigestSize + kTimeSize + 4;
constexpr size_t kMaxPayloadSize = kMinPayloadSize + PageTokenCodec::kMaxPositionSize;
constexpr size_t kMaxRawSize = 1 + kMaxPayloadSize + kDigestSize;
// Longer text cannot be a token; it is refused before any work is done.
constexpr size_t kMaxTokenSize = (kMaxRawSize + 2) / 3 * 4;
// Keeps this MAC from being valid for anything else the key might sign.
constexpr absl::string_view kMacDomain("execgw.dev/page-token\0", 22);

absl::Status InvalidToken() {
  return FieldError("page_token", "is not a valid page token", reason::kInvalidPageToken, {});
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

struct Payload {
  absl::string_view fingerprint_digest;
  absl::Time issued;
  UpstreamPosition position;
};

std::optional<Payload> ParsePayload(absl::string_view data) {
  PositionReader reader(data);
  Payload payload;
  absl::string_view position;
  if (!reader.Raw(kDigestSize, &payload.fingerprint_digest) || !reader.Time(&payload.issued) ||
      !reader.LengthPrefixed(PageTokenCodec::kMaxPositionSize, &position) || !reader.empty()) {
    return std::nullopt;
  }
  payload.position = UpstreamPosition(position);
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
  return FieldError(field, absl::StrCat("a page token key must be at least ", kMinKeySize,
                                        " bytes, found ", key.size()));
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
  std::string raw = PositionWriter()
                        .Uint(kVersion, 1)
                        .Raw(Sha256(fingerprint))
                        .Time(clock_->Now())
                        .LengthPrefixed(position)
                        .Take();
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
    return FieldError("page_token",
                      "was issued for a different query (parent, filter and order_by must stay "
                      "the same while paging)",
                      reason::kInvalidPageToken, {});
  }
  const absl::Time now = clock_->Now();
  if (now - payload->issued > options_.max_age) {
    return FieldError("page_token", "has expired", reason::kInvalidPageToken, {});
  }
  if (payload->issued - now > options_.max_clock_skew) {
    return FieldError("page_token", "was issued in the future", reason::kInvalidPageToken, {});
  }
  return std::move(payload->position);
}

}  // namespace execgw::gateway
