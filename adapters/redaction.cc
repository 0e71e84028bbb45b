#include "adapters/redaction.h"

#include <algorithm>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace execgw {
namespace {

constexpr size_t kNoMatch = absl::string_view::npos;
// Below this, a secret's base64 characters are too few to tell from text.
constexpr size_t kMinBase64Secret = 8;

using Ends = absl::InlinedVector<size_t, 4>;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The value of the `count` hex digits at text[at], or -1.
int HexValue(absl::string_view text, size_t at, size_t count) {
  if (at + count > text.size()) return -1;
  int value = 0;
  for (size_t i = at; i < at + count; ++i) {
    const int d = HexDigit(text[i]);
    if (d < 0) return -1;
    value = value * 16 + d;
  }
  return value;
}

// The byte a JSON short escape ("\/") stands for, or -1.
int JsonShortEscape(char c) {
  switch (c) {
    case '"':
      return '"';
    case '\\':
      return '\\';
    case '/':
      return '/';
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    default:
      return -1;
  }
}

// Appends to `ends` the end of each HTML character reference for `byte`
// that starts at text[at] (an '&'): with and without its ';'.
void AddHtmlReferenceEnds(absl::string_view text, size_t at, unsigned char byte, Ends& ends) {
  struct Named {
    absl::string_view name;
    char byte;
  };
  static constexpr Named kNamed[] = {{"amp", '&'},  {"AMP", '&'},  {"lt", '<'},
                                     {"LT", '<'},   {"gt", '>'},   {"GT", '>'},
                                     {"quot", '"'}, {"QUOT", '"'}, {"apos", '\''}};
  size_t q = at + 1;
  long value = -1;
  if (q < text.size() && text[q] == '#') {
    ++q;
    const bool hex = q < text.size() && (text[q] == 'x' || text[q] == 'X');
    if (hex) ++q;
    const size_t digits = q;
    while (q < text.size() && text[q] == '0') ++q;  // leading zeros, any number of them
    const size_t significant = q;
    value = 0;
    // (At most 7 significant digits: no code point needs more, and the
    // value stays small.)
    while (q < text.size() && q - significant < 7 &&
           (hex ? absl::ascii_isxdigit(text[q]) : absl::ascii_isdigit(text[q]))) {
      value = value * (hex ? 16 : 10) + HexDigit(text[q]);
      ++q;
    }
    if (q == digits) return;
  } else {
    for (const Named& named : kNamed) {
      if (absl::StartsWith(text.substr(q), named.name)) {
        value = static_cast<unsigned char>(named.byte);
        q += named.name.size();
        break;
      }
    }
  }
  if (value != byte) return;
  ends.push_back(q);
  if (q < text.size() && text[q] == ';') ends.push_back(q + 1);
}

// Appends to `ends` the end of each spelling of `byte` that starts at
// text[at]: the byte itself or one escape of it.
void AddByteEnds(absl::string_view text, size_t at, unsigned char byte, Ends& ends) {
  if (at >= text.size()) return;
  const char c = text[at];
  if (static_cast<unsigned char>(c) == byte) ends.push_back(at + 1);
  if (c == '%' && HexValue(text, at + 1, 2) == byte) ends.push_back(at + 3);
  if (byte >= 0x80) return;  // HTML and JSON escape code points, not bytes
  if (c == '\\' && at + 1 < text.size()) {
    if (text[at + 1] == 'u') {
      if (HexValue(text, at + 2, 4) == byte) ends.push_back(at + 6);
    } else if (JsonShortEscape(text[at + 1]) == byte) {
      ends.push_back(at + 2);
    }
  }
  if (c == '&') AddHtmlReferenceEnds(text, at, byte, ends);
}

// The end of the longest spelling of `secret`, byte by byte, that starts
// at text[at], or kNoMatch. Every spelling is followed at once (an '&'
// may be itself or begin an escape), so no input makes this backtrack:
// the work is the secret's length times the number of distinct ends
// alive, which only a secret with runs of '\' (spelt "\" or "\\") makes
// more than a few.
size_t EscapedEnd(absl::string_view text, size_t at, absl::string_view secret) {
  const char first = text[at];
  if (first != secret[0] && first != '%' && first != '&' && first != '\\') return kNoMatch;
  Ends here = {at};
  Ends next;
  for (const char b : secret) {
    next.clear();
    for (const size_t p : here) AddByteEnds(text, p, static_cast<unsigned char>(b), next);
    if (next.empty()) return kNoMatch;
    std::sort(next.begin(), next.end());
    next.erase(std::unique(next.begin(), next.end()), next.end());
    here.swap(next);
  }
  return here.back();
}

// The characters of `secret`'s base64 encodings (standard alphabet, then
// URL-safe where it differs) that depend on its bits alone, when the
// secret starts 0, 1 or 2 bytes into the encoded text.
std::vector<std::string> Base64Cores(absl::string_view secret) {
  std::vector<std::string> cores;
  if (secret.size() < kMinBase64Secret) return cores;
  for (size_t offset = 0; offset < 3; ++offset) {
    const std::string encoded = absl::Base64Escape(absl::StrCat(std::string(offset, '\0'), secret));
    const size_t first = (8 * offset + 5) / 6;               // the first whole character
    const size_t last = (8 * (offset + secret.size())) / 6;  // one past the last
    std::string core = encoded.substr(first, last - first);
    std::string web = core;
    std::replace(web.begin(), web.end(), '+', '-');
    std::replace(web.begin(), web.end(), '/', '_');
    cores.push_back(std::move(core));
    if (web != cores.back()) cores.push_back(std::move(web));
  }
  return cores;
}

}  // namespace

SecretSpellings::SecretSpellings(absl::Span<const std::string> secrets) {
  for (const char escape : {'%', '&', '\\'}) single_[static_cast<unsigned char>(escape)] = true;
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    secrets_.push_back({secret, Base64Cores(secret)});
    AddStart(secret);
    // The first byte raw, the second escaped.
    for (const char escape : {'%', '&', '\\'}) AddStart(std::string{secret[0], escape});
    for (const std::string& core : secrets_.back().base64) {
      AddStart(core);
      for (const char escape : {'%', '&', '\\'}) AddStart(std::string{core[0], escape});
    }
  }
}

void SecretSpellings::AddStart(absl::string_view pattern) {
  const auto a = static_cast<unsigned char>(pattern[0]);
  if (pattern.size() == 1) {
    single_[a] = true;
    return;
  }
  const size_t bit = PairBit(a, static_cast<unsigned char>(pattern[1]));
  pairs_[bit / 64] |= uint64_t{1} << (bit % 64);
}

size_t SecretSpellings::SpellingEnd(absl::string_view text, size_t at) const {
  size_t longest = kNoMatch;
  auto keep = [&longest](size_t end) {
    if (end != kNoMatch && (longest == kNoMatch || end > longest)) longest = end;
  };
  for (const Secret& secret : secrets_) {
    keep(EscapedEnd(text, at, secret.raw));
    // (Base64 in a URL or a form body has its '+', '/' and '=' escaped.)
    for (const std::string& core : secret.base64) keep(EscapedEnd(text, at, core));
  }
  return longest;
}

bool SecretSpellings::FoundIn(absl::string_view text) const {
  if (secrets_.empty()) return false;
  for (size_t at = 0; at < text.size(); ++at) {
    if (MayStartAt(text, at) && SpellingEnd(text, at) != kNoMatch) return true;
  }
  return false;
}

std::string SecretSpellings::Redact(absl::string_view text) const {
  if (!FoundIn(text)) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    const size_t end = MayStartAt(text, at) ? SpellingEnd(text, at) : kNoMatch;
    if (end == kNoMatch) {
      out.push_back(text[at++]);
    } else {
      out.append(kRedacted.data(), kRedacted.size());
      at = end;
    }
  }
  return out;
}

std::string RedactSecrets(absl::string_view text, absl::Span<const std::string> secrets) {
  return SecretSpellings(secrets).Redact(text);
}

}  // namespace execgw
