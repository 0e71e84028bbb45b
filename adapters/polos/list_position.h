#ifndef EXECGW_ADAPTERS_POLOS_LIST_POSITION_H_
#define EXECGW_ADAPTERS_POLOS_LIST_POSITION_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/backend.h"

namespace execgw::polos {

// Where a Polos listing stands: what the Polos backend's UpstreamPositions
// hold (see ListExecutions in polos_backend.h).
struct ListPosition {
  // The upstream offset.
  int64_t offset = 0;
  // A create-time ceiling fixed on the first page, so that runs created
  // while a caller pages do not shift the offsets of later pages.
  std::optional<absl::Time> snapshot;

  bool operator==(const ListPosition&) const = default;
};

// The position's bytes: 'P' (this layout), int64 offset, uint8 flags (bit 0:
// a snapshot follows), the snapshot as a time (upstream_position.h). Never
// empty. Precondition: the snapshot, if any, is finite.
UpstreamPosition EncodeListPosition(const ListPosition& position);

// The position `bytes` hold; the first page's for empty bytes. Bytes of
// another layout give UnreadablePositionStatus(backend).
absl::StatusOr<ListPosition> DecodeListPosition(absl::string_view bytes, absl::string_view backend);

}  // namespace execgw::polos

#endif  // EXECGW_ADAPTERS_POLOS_LIST_POSITION_H_
