#include "adapters/etag.h"

#include <cstdint>

#include "absl/strings/str_format.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace execgw {

// Two independent 64-bit FNV-1a lanes.
std::string StableDigest(absl::string_view bytes) {
  uint64_t a = 0xcbf29ce484222325ULL;
  uint64_t b = 0x84222325cbf29ce4ULL;
  for (unsigned char c : bytes) {
    a = (a ^ c) * 0x100000001b3ULL;
    b = (b ^ (c + 0x9e)) * 0x100000001b3ULL;
    b ^= b >> 29;
  }
  return absl::StrFormat("%016x%016x", a, b);
}

void SetEtag(v1::Execution& execution) {
  execution.clear_etag();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    execution.SerializeToCodedStream(&coded);
  }
  execution.set_etag(StableDigest(bytes));
}

}  // namespace execgw
