#include "adapters/json_value.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rapidjson/error/en.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace execgw {
namespace {

void WriteValue(const google::protobuf::Value& value,
                rapidjson::Writer<rapidjson::StringBuffer>& w);

void WriteStruct(const google::protobuf::Struct& s, rapidjson::Writer<rapidjson::StringBuffer>& w) {
  w.StartObject();
  for (const auto& [key, field] : s.fields()) {
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    WriteValue(field, w);
  }
  w.EndObject();
}

void WriteValue(const google::protobuf::Value& value,
                rapidjson::Writer<rapidjson::StringBuffer>& w) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kNumberValue: {
      const double d = value.number_value();
      if (!std::isfinite(d)) {
        w.Null();
      } else if (d == std::floor(d) && std::fabs(d) < 9007199254740992.0) {
        w.Int64(static_cast<int64_t>(d));
      } else {
        w.Double(d);
      }
      break;
    }
    case google::protobuf::Value::kStringValue:
      w.String(value.string_value().data(),
               static_cast<rapidjson::SizeType>(value.string_value().size()));
      break;
    case google::protobuf::Value::kBoolValue:
      w.Bool(value.bool_value());
      break;
    case google::protobuf::Value::kStructValue:
      WriteStruct(value.struct_value(), w);
      break;
    case google::protobuf::Value::kListValue:
      w.StartArray();
      for (const auto& v : value.list_value().values()) WriteValue(v, w);
      w.EndArray();
      break;
    case google::protobuf::Value::kNullValue:
    case google::protobuf::Value::KIND_NOT_SET:
      w.Null();
      break;
  }
}

// The deepest nesting of arrays and objects in `body` (strings skipped).
int NestingDepth(absl::string_view body) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

// Length of the valid UTF-8 sequence at the start of `s`, or 0.
size_t Utf8SequenceLength(absl::string_view s) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](size_t i) { return i < s.size() && (b(i) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(1) >= 0xA0) return 0;  // surrogates
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;   // overlong
    if (c == 0xF4 && b(1) >= 0x90) return 0;  // beyond U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

std::string SanitizeUtf8(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const size_t n = Utf8SequenceLength(text);
    if (n == 0) {
      out.append("\xEF\xBF\xBD");  // U+FFFD REPLACEMENT CHARACTER
      text.remove_prefix(1);
    } else {
      out.append(text.data(), n);
      text.remove_prefix(n);
    }
  }
  return out;
}

std::string TruncateUtf8(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t cut = max_bytes;
  // Back off over continuation bytes so no character is split.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut));
}

namespace {

// Offset of the first byte of `text` that is not part of a valid UTF-8
// sequence, or npos. Upstream bodies are nearly all ASCII: eight bytes are
// checked at a time until a byte above 0x7F turns up.
size_t FirstInvalidUtf8(absl::string_view text) {
  size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, text.data() + i, sizeof(word));
    if ((word & 0x8080808080808080ULL) != 0) break;
  }
  while (i < text.size()) {
    const size_t n = Utf8SequenceLength(text.substr(i));
    if (n == 0) return i;
    i += n;
  }
  return absl::string_view::npos;
}

// Forwards the parser's events to a document, refusing to go deeper than
// kMaxJsonDepth: RapidJSON's recursive parser then recurses at most that
// deep, so a hostile body cannot exhaust the stack.
class DepthLimitedHandler {
 public:
  explicit DepthLimitedHandler(rapidjson::Document& doc) : doc_(doc) {}

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned i) { return doc_.Uint(i); }
  bool Int64(int64_t i) { return doc_.Int64(i); }
  bool Uint64(uint64_t i) { return doc_.Uint64(i); }
  bool Double(double d) { return doc_.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return doc_.RawNumber(s, n, copy);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return doc_.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return doc_.Key(s, n, copy); }
  bool StartObject() { return ++depth_ <= kMaxJsonDepth && doc_.StartObject(); }
  bool EndObject(rapidjson::SizeType members) {
    --depth_;
    return doc_.EndObject(members);
  }
  bool StartArray() { return ++depth_ <= kMaxJsonDepth && doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) {
    --depth_;
    return doc_.EndArray(elements);
  }

 private:
  rapidjson::Document& doc_;
  int depth_ = 0;
};

}  // namespace

namespace {

// Whether `body` may hold a \u escape of a low surrogate (\uDC00-\uDFFF).
// Debian's RapidJSON (1.1) decodes one that no high surrogate precedes into
// the three bytes of a surrogate code point (ED B0 80...), which is not
// UTF-8; a valid pair matches too (its second half), harmlessly.
bool MayHoldLoneSurrogate(absl::string_view body) {
  for (size_t i = body.find("\\u"); i != absl::string_view::npos; i = body.find("\\u", i + 2)) {
    if (i + 3 < body.size() && (body[i + 2] == 'd' || body[i + 2] == 'D') &&
        absl::string_view("cdefCDEF").find(body[i + 3]) != absl::string_view::npos) {
      return true;
    }
  }
  return false;
}

// Every string (and member name) of `root` made valid UTF-8 (SanitizeUtf8).
void SanitizeStrings(rapidjson::Value& root, rapidjson::Document::AllocatorType& allocator) {
  ForEachString(root, [&](rapidjson::Value& v) {
    const absl::string_view text(v.GetString(), v.GetStringLength());
    if (FirstInvalidUtf8(text) == absl::string_view::npos) return;
    const std::string clean = SanitizeUtf8(text);
    v.SetString(clean.data(), static_cast<rapidjson::SizeType>(clean.size()), allocator);
  });
}

}  // namespace

void ForEachString(rapidjson::Value& root, absl::FunctionRef<void(rapidjson::Value&)> fn) {
  std::vector<rapidjson::Value*> pending = {&root};
  while (!pending.empty()) {
    rapidjson::Value& v = *pending.back();
    pending.pop_back();
    if (v.IsString()) {
      fn(v);
    } else if (v.IsArray()) {
      for (auto& item : v.GetArray()) pending.push_back(&item);
    } else if (v.IsObject()) {
      for (auto& m : v.GetObject()) {
        fn(m.name);
        pending.push_back(&m.value);
      }
    }
  }
}

absl::StatusOr<rapidjson::Document> ParseJson(absl::string_view body) {
  // Upstream strings become proto3 strings, which must be valid UTF-8:
  // replace invalid bytes rather than lose the whole document.
  std::string sanitized;
  absl::string_view text = body;
  if (FirstInvalidUtf8(body) != absl::string_view::npos) {
    sanitized = SanitizeUtf8(body);
    text = sanitized;
  }
  // Parsed in situ: a copy of the text, owned by the document's allocator
  // (so it lives exactly as long as the document), is parsed in place and
  // its strings are used where they lie instead of being copied again.
  rapidjson::Document doc;
  char* copy = static_cast<char*>(doc.GetAllocator().Malloc(text.size() + 1));
  std::memcpy(copy, text.data(), text.size());
  copy[text.size()] = '\0';
  rapidjson::Reader reader;
  auto parse = [&](rapidjson::Document& handler) {
    rapidjson::InsituStringStream in(copy);
    DepthLimitedHandler limited(handler);
    // Without kParseStopWhenDoneFlag, anything but whitespace after the
    // value is an error too (as is a NUL byte before the end of the text,
    // which ends the copy early: no upstream body holds one).
    return !reader.Parse<rapidjson::kParseInsituFlag>(in, limited).IsError();
  };
  doc.Populate(parse);
  if (!reader.HasParseError()) {
    // An escaped lone surrogate decodes to bytes that are not UTF-8.
    if (MayHoldLoneSurrogate(text)) SanitizeStrings(doc, doc.GetAllocator());
    return doc;
  }
  // Nesting this deep is no execution document; this error comes first, as
  // when the depth is checked before parsing.
  if (const int depth = NestingDepth(body); depth > kMaxJsonDepth) {
    return absl::InternalError(
        absl::StrCat("JSON nested ", depth, " levels deep (at most ", kMaxJsonDepth, ")"));
  }
  return absl::InternalError(absl::StrCat("invalid JSON at byte ", reader.GetErrorOffset(), ": ",
                                          rapidjson::GetParseError_En(reader.GetParseErrorCode())));
}

namespace {

void FillStruct(const rapidjson::Value& json, int level, google::protobuf::Struct& out);

// `json` converted as a value inside `enclosing` levels of structs and lists.
google::protobuf::Value ToValue(const rapidjson::Value& json, int enclosing) {
  google::protobuf::Value out;
  if ((json.IsObject() || json.IsArray()) && enclosing + 1 >= kMaxValueNesting) {
    (*out.mutable_struct_value()->mutable_fields())[std::string(kDeepJsonField)].set_string_value(
        JsonToString(json));
    return out;
  }
  switch (json.GetType()) {
    case rapidjson::kNullType:
      out.set_null_value(google::protobuf::NULL_VALUE);
      break;
    case rapidjson::kFalseType:
      out.set_bool_value(false);
      break;
    case rapidjson::kTrueType:
      out.set_bool_value(true);
      break;
    case rapidjson::kStringType:
      out.set_string_value(std::string(json.GetString(), json.GetStringLength()));
      break;
    case rapidjson::kNumberType:
      out.set_number_value(json.GetDouble());
      break;
    case rapidjson::kArrayType: {
      auto* list = out.mutable_list_value();
      for (const auto& item : json.GetArray()) *list->add_values() = ToValue(item, enclosing + 1);
      break;
    }
    case rapidjson::kObjectType:
      FillStruct(json, enclosing + 1, *out.mutable_struct_value());
      break;
  }
  return out;
}

// Fills `out`, at nesting `level`, from the JSON object `json`.
void FillStruct(const rapidjson::Value& json, int level, google::protobuf::Struct& out) {
  for (const auto& m : json.GetObject()) {
    (*out.mutable_fields())[std::string(m.name.GetString(), m.name.GetStringLength())] =
        ToValue(m.value, level);
  }
}

}  // namespace

google::protobuf::Value JsonToValue(const rapidjson::Value& json) { return ToValue(json, 0); }

google::protobuf::Struct JsonToStruct(const rapidjson::Value& json) {
  google::protobuf::Struct out;
  if (json.IsObject()) FillStruct(json, 1, out);
  return out;
}

std::string JsonToString(const rapidjson::Value& json) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  json.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string ValueToJson(const google::protobuf::Value& value) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  WriteValue(value, w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string StructToJson(const google::protobuf::Struct& value) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  WriteStruct(value, w);
  return std::string(buf.GetString(), buf.GetSize());
}

const rapidjson::Value* JsonMember(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(key);
  if (it == object.MemberEnd()) return nullptr;
  return &it->value;
}

std::optional<std::string> JsonString(const rapidjson::Value& object, const char* key) {
  const rapidjson::Value* v = JsonMember(object, key);
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return std::string(v->GetString(), v->GetStringLength());
}

std::optional<int64_t> JsonInt(const rapidjson::Value& object, const char* key) {
  const rapidjson::Value* v = JsonMember(object, key);
  if (v == nullptr) return std::nullopt;
  if (v->IsInt64()) return v->GetInt64();
  if (v->IsUint64()) return std::nullopt;  // beyond int64
  if (v->IsDouble()) {
    const double d = v->GetDouble();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18) {
      return static_cast<int64_t>(d);
    }
    return std::nullopt;
  }
  if (v->IsString()) {
    int64_t out;
    if (absl::SimpleAtoi(absl::string_view(v->GetString(), v->GetStringLength()), &out)) return out;
  }
  return std::nullopt;
}

std::optional<bool> JsonBool(const rapidjson::Value& object, const char* key) {
  const rapidjson::Value* v = JsonMember(object, key);
  if (v == nullptr || !v->IsBool()) return std::nullopt;
  return v->GetBool();
}

}  // namespace execgw
