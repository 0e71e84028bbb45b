#ifndef EXECGW_GATEWAY_PAGE_TOKEN_H_
#define EXECGW_GATEWAY_PAGE_TOKEN_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/backend.h"
#include "adapters/event_loop.h"

namespace execgw::gateway {

struct PageTokenOptions {
  // Decode rejects tokens issued longer ago than this.
  absl::Duration max_age = absl::Hours(24);
  // Decode rejects tokens issued further than this in the future: replicas
  // sharing a key may disagree this much about the time, no more.
  absl::Duration max_clock_skew = absl::Seconds(60);
};

// Seals an UpstreamPosition into an opaque, tamper-evident page token
// (AIP-158) bound to one query, and opens it again.
//
// A token is URL-safe base64 (no padding) of
//   version (2) | payload | HMAC-SHA256(key, domain label | version | payload)
// where the payload holds SHA-256(fingerprint), the issue time and the
// position: the adapter's bytes, which the codec does not read. Tokens are
// signed, not encrypted: whoever holds one can read the position inside
// (an upstream cursor, an offset), but cannot change it or use it for
// another query. Tokens of version 1 (earlier releases) are refused as not
// valid.
//
// Thread-safe. The clock must outlive the codec.
class PageTokenCodec {
 public:
  // Keys shorter than this are refused.
  static constexpr size_t kMinKeySize = 16;
  // Decode refuses tokens whose position is longer; Encode must not be given
  // one (see kMaxUpstreamPositionSize).
  static constexpr size_t kMaxPositionSize = kMaxUpstreamPositionSize;

  // Precondition: ValidateKey(key) is OK (the process aborts otherwise:
  // check configured keys with ValidateKey first). `clock` is not owned.
  PageTokenCodec(std::string key, const Clock* clock, PageTokenOptions options = {});

  // OK when `key` can sign tokens (at least kMinKeySize bytes); otherwise
  // INVALID_ARGUMENT "field: ...".
  static absl::Status ValidateKey(absl::string_view key, absl::string_view field = "pageTokenKey");

  // 32 random bytes, for a process whose configuration sets no key.
  static std::string RandomKey();

  // A token that Decode(token, fingerprint) turns back into `position`
  // until max_age has passed. Never empty. `fingerprint` identifies the
  // query (QueryFingerprint, TaskQueryFingerprint). Precondition:
  // `position` is at most kMaxPositionSize bytes.
  std::string Encode(absl::string_view fingerprint, const UpstreamPosition& position) const;

  // The position sealed in `token`, byte for byte; the first page's (empty)
  // position for an empty token. Errors, all INVALID_ARGUMENT with ErrorInfo reason
  // INVALID_PAGE_TOKEN (metadata field=page_token):
  //  - not a token this codec's key signed (malformed, truncated, another
  //    version, altered, another key):
  //    "page_token: is not a valid page token"
  //  - signed for a different fingerprint: "page_token: was issued for a
  //    different query (parent, filter and order_by must stay the same
  //    while paging)"
  //  - issued more than max_age ago: "page_token: has expired"
  //  - issued more than max_clock_skew in the future (a replica's clock far
  //    ahead, or a key in the wrong hands): "page_token: was issued in the
  //    future"
  // Nothing from a token is returned unless its signature verified.
  absl::StatusOr<UpstreamPosition> Decode(absl::string_view token,
                                          absl::string_view fingerprint) const;

 private:
  std::string Mac(absl::string_view signed_bytes) const;

  const std::string key_;
  const Clock* const clock_;
  const PageTokenOptions options_;
};

}  // namespace execgw::gateway

#endif  // EXECGW_GATEWAY_PAGE_TOKEN_H_
