#include "adapters/polos/list_position.h"

#include "adapters/upstream_position.h"

namespace execgw::polos {
namespace {

// The first byte of this layout. Another layout takes another byte, as
// Blaxel's positions do.
constexpr char kLayout = 'P';
constexpr uint64_t kHasSnapshot = 0x01;

}  // namespace

UpstreamPosition EncodeListPosition(const ListPosition& position) {
  PositionWriter writer;
  writer.Raw(absl::string_view(&kLayout, 1))
      .Uint(static_cast<uint64_t>(position.offset), 8)
      .Uint(position.snapshot.has_value() ? kHasSnapshot : 0, 1);
  if (position.snapshot.has_value()) writer.Time(*position.snapshot);
  return std::move(writer).Take();
}

absl::StatusOr<ListPosition> DecodeListPosition(absl::string_view bytes,
                                                absl::string_view backend) {
  if (bytes.empty()) return ListPosition();
  PositionReader reader(bytes);
  absl::string_view layout;
  uint64_t offset = 0;
  uint64_t flags = 0;
  ListPosition position;
  if (!reader.Raw(1, &layout) || layout[0] != kLayout || !reader.Uint(8, &offset) ||
      !reader.Uint(1, &flags) || (flags & ~kHasSnapshot) != 0) {
    return UnreadablePositionStatus(backend);
  }
  position.offset = static_cast<int64_t>(offset);
  if (flags & kHasSnapshot) {
    absl::Time snapshot;
    if (!reader.Time(&snapshot)) return UnreadablePositionStatus(backend);
    position.snapshot = snapshot;
  }
  if (!reader.empty()) return UnreadablePositionStatus(backend);
  return position;
}

}  // namespace execgw::polos
