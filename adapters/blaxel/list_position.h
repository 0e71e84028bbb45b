#ifndef EXECGW_ADAPTERS_BLAXEL_LIST_POSITION_H_
#define EXECGW_ADAPTERS_BLAXEL_LIST_POSITION_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "adapters/backend.h"

namespace execgw::blaxel {

// Where a Blaxel listing (executions or tasks) stands: what the Blaxel
// backend's UpstreamPositions hold.
struct ListPosition {
  // An upstream cursor (Blaxel-Version 2026-04-28 and later); empty for the
  // first upstream page.
  std::string cursor;
  // With a cursor: how many items of the upstream page at `cursor` were
  // already returned (an upstream that answers more than asked is never
  // returned past page_size; the next page continues exactly where this one
  // stopped). Under a legacy Blaxel-Version: the upstream offset.
  int64_t offset = 0;

  bool operator==(const ListPosition&) const = default;
};

// Blaxel refuses cursors longer than this in an answer (no Blaxel cursor
// comes near it): the position must fit kMaxUpstreamPositionSize.
inline constexpr size_t kMaxCursorSize = 8192;

// The position's bytes: 'B' (this layout), int64 offset, the cursor
// length-prefixed (upstream_position.h). Never empty.
UpstreamPosition EncodeListPosition(const ListPosition& position);

// The position `bytes` hold; the first page's for empty bytes. Bytes of
// another layout give UnreadablePositionStatus(backend).
absl::StatusOr<ListPosition> DecodeListPosition(absl::string_view bytes, absl::string_view backend);

}  // namespace execgw::blaxel

#endif  // EXECGW_ADAPTERS_BLAXEL_LIST_POSITION_H_
