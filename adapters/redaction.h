#ifndef EXECGW_ADAPTERS_REDACTION_H_
#define EXECGW_ADAPTERS_REDACTION_H_

// Redaction of the credentials a backend sends upstream from text the
// upstream sends back, in the spellings an echo of one can take.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace execgw {

// What a redacted secret reads as.
inline constexpr absl::string_view kRedacted = "[redacted]";

// Each of `secrets` (empty ones skipped) with the spellings
// of it that are matched besides byte for byte:
//  - every byte may be escaped on its own, as percent-encoding (%2F, %2f),
//    a numeric HTML character reference (&#47; &#x2F;, ';' optional as
//    HTML allows), a named one of the five XML names (&amp; &lt; &gt;
//    &quot; &apos;) or a JSON escape (\u002F, \/), escaped and plain bytes
//    mixed freely; one layer only (%252F is not undone), and only ASCII
//    bytes take the HTML and JSON forms;
//  - base64, standard or URL-safe alphabet, as the secret alone or inside
//    a longer encoded text (user:secret in a Basic credential): the
//    characters that encode the secret's bits only, at each of the three
//    alignments, each character raw or escaped as above (base64 in a URL
//    has its '+' and '/' percent-encoded). Secrets under 8 bytes are not
//    matched in base64 (their few characters would match innocent text).
// Not matched: a space spelt '+' (form encoding), two layers of escapes,
// other encodings (hex, quoted-printable...).
// Built once per set of secrets (a few base64 encodings each), then used
// for any number of texts.
class SecretSpellings {
 public:
  explicit SecretSpellings(absl::Span<const std::string> secrets);

  bool empty() const { return secrets_.empty(); }

  // Whether `text` holds a spelling of one of the secrets. One pass over
  // the text, a table lookup a byte, where it holds none.
  bool FoundIn(absl::string_view text) const;

  // `text` with every spelling of a secret replaced by kRedacted, from the
  // left, the longest spelling of any secret at each position (a secret
  // containing another is replaced whole). Two overlapping echoes leave
  // the second one's tail (in "ababab", with secret "abab": "[redacted]ab").
  std::string Redact(absl::string_view text) const;

 private:
  struct Secret {
    std::string raw;
    std::vector<std::string> base64;  // the alignments' characters, both alphabets
  };
  // Bits of the table of byte pairs that begin a secret or a base64 form.
  static constexpr size_t kPairBits = 4096;
  static size_t PairBit(unsigned char a, unsigned char b) { return (a * 67u + b) % kPairBits; }

  // Whether a spelling of a secret may start at text[at]: true where one
  // does, and at few other places (pairs that share a bit of the table,
  // about 1 in 100 for a few secrets, and the escape characters).
  bool MayStartAt(absl::string_view text, size_t at) const {
    const auto a = static_cast<unsigned char>(text[at]);
    if (single_[a]) return true;
    if (at + 1 == text.size()) return false;
    const size_t bit = PairBit(a, static_cast<unsigned char>(text[at + 1]));
    return (pairs_[bit / 64] >> (bit % 64) & 1) != 0;
  }
  // The end of the longest spelling of a secret that starts at text[at],
  // or npos.
  size_t SpellingEnd(absl::string_view text, size_t at) const;
  void AddStart(absl::string_view pattern);

  std::vector<Secret> secrets_;
  std::array<uint64_t, kPairBits / 64> pairs_ = {};  // PairBit(a, b): a pattern starts "ab"
  // A spelling may start at this byte whatever follows: an escape character,
  // or a secret of one byte.
  std::array<bool, 256> single_ = {};
};

// `text` with every occurrence of each of `secrets` (credentials the gateway
// sent upstream), in any of the spellings above, replaced by kRedacted.
// Redact upstream text as soon as it is read and before it is cut short
// anywhere: a cut through a secret leaves a prefix that no later redaction
// recognises. Redact decoded text (JSON strings after parsing) where there
// is one; the escapes above catch a secret escaped once more inside it.
std::string RedactSecrets(absl::string_view text, absl::Span<const std::string> secrets);

}  // namespace execgw

#endif  // EXECGW_ADAPTERS_REDACTION_H_
