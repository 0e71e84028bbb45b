#ifndef EXECGW_ADAPTERS_UPSTREAM_POSITION_H_
#define EXECGW_ADAPTERS_UPSTREAM_POSITION_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace execgw {

// The fields adapters lay their UpstreamPosition bytes out with (the
// gateway's page tokens use the same): integers big-endian of a fixed
// width; a time as int64 unix seconds then uint32 nanoseconds
// (0..999999999); bytes as a uint32 length then the bytes.
class PositionWriter {
 public:
  // The low `bytes` bytes of `value` (1..8).
  PositionWriter& Uint(uint64_t value, int bytes);
  // Precondition: `t` is finite.
  PositionWriter& Time(absl::Time t);
  PositionWriter& LengthPrefixed(absl::string_view bytes);
  // Appends `bytes` as they are.
  PositionWriter& Raw(absl::string_view bytes);

  const std::string& bytes() const { return bytes_; }
  // The bytes written; the writer is not used afterwards.
  std::string Take() { return std::move(bytes_); }

 private:
  std::string bytes_;
};

// Reads what PositionWriter wrote, front to back. Every read checks that
// its bytes exist (and, for a time, that the nanoseconds are in range) and
// returns false otherwise, consuming nothing useful: positions and tokens
// come from the network.
class PositionReader {
 public:
  explicit PositionReader(absl::string_view data) : rest_(data) {}

  bool Uint(int bytes, uint64_t* out);
  bool Time(absl::Time* out);
  // At most `max_size` bytes.
  bool LengthPrefixed(size_t max_size, absl::string_view* out);
  bool Raw(size_t n, absl::string_view* out);

  // Nothing left: a layout ends exactly where its last field does.
  bool empty() const { return rest_.empty(); }

 private:
  absl::string_view rest_;
};

// The answer to a position an adapter cannot read: INVALID_ARGUMENT, reason
// INVALID_PAGE_TOKEN, metadata field=page_token and backend, the message the
// gateway gives any token it cannot read ("page_token: is not a valid page
// token"). Tokens issued by an older release can carry such positions.
absl::Status UnreadablePositionStatus(absl::string_view backend);

}  // namespace execgw

#endif  // EXECGW_ADAPTERS_UPSTREAM_POSITION_H_
