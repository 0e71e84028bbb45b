#include "adapters/upstream_position.h"

#include <string>

#include "adapters/upstream_error.h"

namespace execgw {

PositionWriter& PositionWriter::Uint(uint64_t value, int bytes) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
    bytes_.push_back(static_cast<char>((value >> shift) & 0xff));
  }
  return *this;
}

PositionWriter& PositionWriter::Time(absl::Time t) {
  const int64_t seconds = absl::ToUnixSeconds(t);  // rounds down
  const int64_t nanos = absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds));
  Uint(static_cast<uint64_t>(seconds), 8);
  return Uint(static_cast<uint64_t>(nanos), 4);
}

PositionWriter& PositionWriter::LengthPrefixed(absl::string_view bytes) {
  Uint(bytes.size(), 4);
  return Raw(bytes);
}

PositionWriter& PositionWriter::Raw(absl::string_view bytes) {
  bytes_.append(bytes.data(), bytes.size());
  return *this;
}

bool PositionReader::Raw(size_t n, absl::string_view* out) {
  if (rest_.size() < n) return false;
  *out = rest_.substr(0, n);
  rest_.remove_prefix(n);
  return true;
}

bool PositionReader::Uint(int bytes, uint64_t* out) {
  absl::string_view raw;
  if (!Raw(static_cast<size_t>(bytes), &raw)) return false;
  uint64_t value = 0;
  for (char c : raw) value = (value << 8) | static_cast<unsigned char>(c);
  *out = value;
  return true;
}

bool PositionReader::Time(absl::Time* out) {
  uint64_t seconds = 0;
  uint64_t nanos = 0;
  if (!Uint(8, &seconds) || !Uint(4, &nanos) || nanos >= 1000000000) return false;
  *out = absl::FromUnixSeconds(static_cast<int64_t>(seconds)) +
         absl::Nanoseconds(static_cast<int64_t>(nanos));
  return true;
}

bool PositionReader::LengthPrefixed(size_t max_size, absl::string_view* out) {
  uint64_t size = 0;
  return Uint(4, &size) && size <= max_size && Raw(size, out);
}

absl::Status UnreadablePositionStatus(absl::string_view backend) {
  return FieldError("page_token", "is not a valid page token", reason::kInvalidPageToken,
                    {{"backend", std::string(backend)}});
}

}  // namespace execgw
