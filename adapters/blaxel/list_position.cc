#include "adapters/blaxel/list_position.h"

#include <string>

#include "adapters/upstream_position.h"

namespace execgw::blaxel {
namespace {

// The first byte of this layout. Another layout takes another byte, as
// Polos' positions do.
constexpr char kLayout = 'B';

}  // namespace

UpstreamPosition EncodeListPosition(const ListPosition& position) {
  return PositionWriter()
      .Raw(absl::string_view(&kLayout, 1))
      .Uint(static_cast<uint64_t>(position.offset), 8)
      .LengthPrefixed(position.cursor)
      .Take();
}

absl::StatusOr<ListPosition> DecodeListPosition(absl::string_view bytes,
                                                absl::string_view backend) {
  if (bytes.empty()) return ListPosition();
  PositionReader reader(bytes);
  absl::string_view layout, cursor;
  uint64_t offset = 0;
  if (!reader.Raw(1, &layout) || layout[0] != kLayout || !reader.Uint(8, &offset) ||
      !reader.LengthPrefixed(kMaxCursorSize, &cursor) || !reader.empty()) {
    return UnreadablePositionStatus(backend);
  }
  ListPosition position;
  position.cursor = std::string(cursor);
  position.offset = static_cast<int64_t>(offset);
  return position;
}

}  // namespace execgw::blaxel
