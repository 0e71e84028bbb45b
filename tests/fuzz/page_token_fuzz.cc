// Page tokens (gateway/page_token.h) and the positions the adapters seal in
// them (adapters/{blaxel,polos}/list_position.h). The input is, in turn, a
// token a caller sends, a position an adapter hands out, and the bytes a
// token could carry.
//  - A token nobody signed never decodes; its error is one of the
//    documented INVALID_PAGE_TOKEN errors naming page_token.
//  - A position sealed into a token decodes to the same bytes, for the
//    same query only; a token altered in any byte does not decode.
//  - Position bytes an adapter decodes re-encode to the same bytes (one
//    spelling per position); others are UnreadablePositionStatus.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/escaping.h"
#include "adapters/blaxel/list_position.h"
#include "adapters/polos/list_position.h"
#include "adapters/upstream_position.h"
#include "gateway/page_token.h"
#include "tests/fuzz/fuzz_checks.h"

namespace execgw::fuzz {
namespace {

class FixedClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::FromUnixSeconds(1767225600); }  // 2026-01-01
};

const gateway::PageTokenCodec& Codec() {
  static const FixedClock* clock = new FixedClock;
  static const gateway::PageTokenCodec* codec =
      new gateway::PageTokenCodec("fuzz-page-token-key-0123456789", clock);
  return *codec;
}

void CheckTokenError(const absl::Status& status) {
  CheckFieldError(status, "page_token");
  FUZZ_CHECK(ErrorReasonOf(status) == reason::kInvalidPageToken, status.ToString());
}

template <typename Position>
void CheckPosition(absl::string_view bytes, const absl::StatusOr<Position>& decoded,
                   UpstreamPosition (*encode)(const Position&)) {
  if (!decoded.ok()) {
    CheckTokenError(decoded.status());
    // (Statuses are compared by message: ErrorInfo's metadata map
    // serialises in no fixed order.)
    FUZZ_CHECK(decoded.status().message() == UnreadablePositionStatus("fuzz").message(),
               decoded.status().ToString());
    return;
  }
  if (bytes.empty()) {
    FUZZ_CHECK(*decoded == Position(), "empty bytes are not the first page");
    return;
  }
  const UpstreamPosition again = encode(*decoded);
  FUZZ_CHECK(again == bytes, "position bytes ", absl::CHexEscape(bytes), " re-encode as ",
             absl::CHexEscape(again));
}

}  // namespace
}  // namespace execgw::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace execgw;
  using namespace execgw::fuzz;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const gateway::PageTokenCodec& codec = Codec();

  // A token from a caller: only the empty one (the first page) opens.
  absl::StatusOr<UpstreamPosition> opened = codec.Decode(input, "query");
  if (input.empty()) {
    FUZZ_CHECK(opened.ok() && opened->empty(), opened.status().ToString());
  } else {
    FUZZ_CHECK(!opened.ok(), "an unsigned token decoded: ", absl::CHexEscape(input));
    CheckTokenError(opened.status());
  }

  // A position the adapter hands out, sealed and opened again.
  if (input.size() <= gateway::PageTokenCodec::kMaxPositionSize) {
    const std::string token = codec.Encode("query", UpstreamPosition(input));
    FUZZ_CHECK(!token.empty(), "an empty token");
    opened = codec.Decode(token, "query");
    FUZZ_CHECK(opened.ok() && *opened == input, opened.status().ToString());
    absl::StatusOr<UpstreamPosition> other = codec.Decode(token, "another query");
    FUZZ_CHECK(!other.ok(), "a token opened for another query");
    CheckTokenError(other.status());
    // One byte of the token altered (which and how from the input).
    if (size > 0) {
      std::string altered = token;
      const size_t at = (data[0] * 131u + size) % altered.size();
      altered[at] = altered[at] == 'A' ? 'B' : 'A';
      other = codec.Decode(altered, "query");
      FUZZ_CHECK(!other.ok(), "an altered token decoded: ", altered);
      CheckTokenError(other.status());
    }
  }

  // The bytes a (signed) token carries, as each adapter reads them.
  CheckPosition<blaxel::ListPosition>(input, blaxel::DecodeListPosition(input, "fuzz"),
                                      blaxel::EncodeListPosition);
  CheckPosition<polos::ListPosition>(input, polos::DecodeListPosition(input, "fuzz"),
                                     polos::EncodeListPosition);
  return 0;
}
