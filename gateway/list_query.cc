#include "gateway/list_query.h"

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "adapters/upstream_error.h"
#include "adapters/upstream_time.h"
#include "execgw/v1/execution.pb.h"

namespace execgw::gateway {
namespace {

using State = v1::Execution::State;

constexpr absl::string_view kStatePrefix = "STATE_";

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return FieldError(field, problem, reason::kInvalidArgument, {});
}

absl::Status InvalidFilter(absl::string_view problem) { return Invalid("filter", problem); }

absl::StatusOr<int> NormalizePageSize(int page_size, int default_size, int max_size) {
  if (page_size < 0) return Invalid("page_size", "must not be negative");
  if (page_size == 0) return default_size;
  return page_size > max_size ? max_size : page_size;
}

// ---- view ----

absl::Status ParseView(v1::ExecutionView view, v1::ExecutionView* out) {
  switch (view) {
    case v1::EXECUTION_VIEW_UNSPECIFIED:
      *out = v1::EXECUTION_VIEW_BASIC;
      return absl::OkStatus();
    case v1::EXECUTION_VIEW_BASIC:
    case v1::EXECUTION_VIEW_FULL:
      *out = view;
      return absl::OkStatus();
    default:
      return Invalid("view", absl::StrCat(static_cast<int>(view),
                                          " is not an ExecutionView; use EXECUTION_VIEW_BASIC "
                                          "(the default) or EXECUTION_VIEW_FULL"));
  }
}

// ---- order_by ----

absl::StatusOr<bool> ParseAscending(absl::string_view order_by) {
  const std::vector<absl::string_view> words =
      absl::StrSplit(order_by, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
  if (words.empty()) return false;
  if (words[0] == "create_time") {
    if (words.size() == 1) return true;
    if (words.size() == 2 && words[1] == "asc") return true;
    if (words.size() == 2 && words[1] == "desc") return false;
  }
  return Invalid("order_by",
                 absl::StrCat("\"", BoundedEcho(order_by, kMaxOrderByLength),
                              "\" is not supported; use \"create_time desc\" (the default, "
                              "newest first), \"create_time asc\" or \"create_time\" (oldest "
                              "first)"));
}

// ---- filter: tokens ----

enum class TokenKind {
  kWord,      // [A-Za-z0-9_]+: a field, a state name, AND, OR
  kString,    // "..." (text includes the quotes)
  kOperator,  // = != > >= < <= :
  kOpen,      // (
  kClose,     // )
  kInvalid,   // a character or an unterminated string that cannot start a token
  kEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  absl::string_view text;
  size_t position = 0;  // 1-based
};

bool IsWordChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Splits `filter` into tokens, ending with kEnd. Lexing stops at the first
// kInvalid token; the parser reports it when it gets there, so that a
// mistake the parser can explain better (an unquoted time) is reported as
// such.
std::vector<Token> Tokenize(absl::string_view filter) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (true) {
    while (i < filter.size() && absl::ascii_isspace(static_cast<unsigned char>(filter[i]))) ++i;
    if (i == filter.size()) break;
    const size_t start = i;
    const char c = filter[i];
    TokenKind kind = TokenKind::kInvalid;
    if (IsWordChar(c)) {
      while (i < filter.size() && IsWordChar(filter[i])) ++i;
      kind = TokenKind::kWord;
    } else if (c == '"') {
      const size_t close = filter.find('"', i + 1);
      if (close == absl::string_view::npos) {
        i = filter.size();
      } else {
        i = close + 1;
        kind = TokenKind::kString;
      }
    } else if (c == '(' || c == ')') {
      ++i;
      kind = c == '(' ? TokenKind::kOpen : TokenKind::kClose;
    } else if (c == '=' || c == ':') {
      ++i;
      kind = TokenKind::kOperator;
    } else if (c == '<' || c == '>' || c == '!') {
      ++i;
      if (i < filter.size() && filter[i] == '=') ++i;
      if (c != '!' || i - start == 2) kind = TokenKind::kOperator;
    } else {
      ++i;
    }
    tokens.push_back({kind, filter.substr(start, i - start), start + 1});
    if (kind == TokenKind::kInvalid) break;
  }
  tokens.push_back({TokenKind::kEnd, "", filter.size() + 1});
  return tokens;
}

std::string Describe(const Token& token) {
  if (token.kind == TokenKind::kEnd) return "the end of the filter";
  // Long tokens are cut (the error is echoed in trailers), bytes that are
  // not UTF-8 replaced (the message becomes a proto string).
  const std::string text = BoundedEcho(token.text, 80);
  if (token.kind == TokenKind::kString) {
    return absl::StrCat(text, " at position ", token.position);  // quoted already
  }
  return absl::StrCat("\"", text, "\" at position ", token.position);
}

bool IsWord(const Token& token, absl::string_view word) {
  return token.kind == TokenKind::kWord && token.text == word;
}

// The accepted state names, for error messages: "QUEUED, PENDING, ...".
std::string StateNameList() {
  std::vector<std::string> names;
  const google::protobuf::EnumDescriptor* d = v1::Execution::State_descriptor();
  for (int i = 0; i < d->value_count(); ++i) {
    if (d->value(i)->number() == v1::Execution::STATE_UNSPECIFIED) continue;
    names.push_back(std::string(absl::StripPrefix(d->value(i)->name(), kStatePrefix)));
  }
  return absl::StrJoin(names, ", ");
}

// ---- filter: grammar ----

class FilterParser {
 public:
  FilterParser(absl::string_view filter, ListExecutionsQuery* query)
      : tokens_(Tokenize(filter)), query_(query) {}

  absl::Status Parse() {
    if (Peek().kind == TokenKind::kEnd) return absl::OkStatus();
    while (true) {
      if (absl::Status s = ParseTerm(); !s.ok()) return s;
      const Token& next = Peek();
      if (next.kind == TokenKind::kEnd) break;
      if (IsWord(next, "AND")) {
        Advance();
        continue;
      }
      if (IsWord(next, "OR")) {
        return InvalidFilter(
            absl::StrCat("OR at position ", next.position,
                         " may only join state comparisons inside parentheses, such as "
                         "(state = RUNNING OR state = WAITING)"));
      }
      return Unexpected(next, "AND or the end of the filter");
    }
    return CheckRange();
  }

 private:
  const Token& Peek() const { return tokens_[next_]; }
  const Token& Advance() {
    const Token& token = tokens_[next_];
    if (token.kind != TokenKind::kEnd) ++next_;
    return token;
  }

  // "expected X, found Y"; a lexical error at Y is reported as such.
  static absl::Status Unexpected(const Token& found, absl::string_view expected) {
    if (found.kind == TokenKind::kInvalid) {
      if (found.text.front() == '"') {
        return InvalidFilter(absl::StrCat("the string starting at position ", found.position,
                                          " has no closing quote (\")"));
      }
      const unsigned char c = static_cast<unsigned char>(found.text.front());
      const std::string shown =
          absl::ascii_isprint(c) ? std::string(found.text) : absl::StrFormat("\\x%02x", c);
      return InvalidFilter(
          absl::StrCat("unexpected character '", shown, "' at position ", found.position));
    }
    return InvalidFilter(absl::StrCat("expected ", expected, ", found ", Describe(found)));
  }

  // term := state | "(" state { "OR" state } ")" | time
  absl::Status ParseTerm() {
    const Token& first = Peek();
    if (IsWord(first, "create_time")) return ParseTime();
    std::set<State> states;
    if (IsWord(first, "state")) {
      if (absl::Status s = ParseState(&states); !s.ok()) return s;
    } else if (first.kind == TokenKind::kOpen) {
      Advance();
      while (true) {
        if (absl::Status s = ParseState(&states); !s.ok()) return s;
        const Token& next = Peek();
        if (next.kind == TokenKind::kClose) {
          Advance();
          break;
        }
        if (IsWord(next, "OR")) {
          Advance();
          continue;
        }
        if (IsWord(next, "AND")) {
          return InvalidFilter(
              absl::StrCat("AND at position ", next.position,
                           " is not allowed inside parentheses; parentheses hold state comparisons "
                           "joined by OR"));
        }
        return Unexpected(next, "OR or \")\"");
      }
    } else if (first.kind == TokenKind::kWord && tokens_[next_ + 1].kind == TokenKind::kOperator) {
      return InvalidFilter(absl::StrCat(Describe(first),
                                        " is not a field you can filter on; use state or "
                                        "create_time"));
    } else {
      return Unexpected(first,
                        "a comparison (state = NAME, create_time > \"TIME\", or state "
                        "comparisons joined by OR inside parentheses)");
    }
    if (state_term_position_ != 0) {
      return InvalidFilter(absl::StrCat(
          "the state comparison at position ", first.position,
          " is joined by AND with the one at position ", state_term_position_,
          ", and no execution is in two states; to match any of several states join them "
          "with OR inside parentheses, such as (state = RUNNING OR state = WAITING)"));
    }
    state_term_position_ = first.position;
    query_->states = std::move(states);
    return absl::OkStatus();
  }

  // state := "state" "=" NAME
  absl::Status ParseState(std::set<State>* states) {
    const Token& field = Advance();
    if (!IsWord(field, "state")) {
      if (IsWord(field, "create_time")) {
        return InvalidFilter(absl::StrCat(Describe(field),
                                          ": only state comparisons can be joined by OR "
                                          "inside parentheses"));
      }
      return Unexpected(field, "\"state\"");
    }
    const Token& op = Advance();
    if (op.kind == TokenKind::kOperator && op.text != "=") {
      return InvalidFilter(absl::StrCat("state supports only \"=\", found ", Describe(op)));
    }
    if (op.kind != TokenKind::kOperator) return Unexpected(op, "\"=\" after state");
    const Token& name = Advance();
    if (name.kind != TokenKind::kWord) {
      return Unexpected(name, "a state name such as RUNNING (unquoted)");
    }
    const std::string full = absl::StartsWith(name.text, kStatePrefix)
                                 ? std::string(name.text)
                                 : absl::StrCat(kStatePrefix, name.text);
    State state = v1::Execution::STATE_UNSPECIFIED;
    if (!v1::Execution::State_Parse(full, &state) || state == v1::Execution::STATE_UNSPECIFIED) {
      return InvalidFilter(absl::StrCat(Describe(name), " is not an execution state; use one of ",
                                        StateNameList(), " (optionally prefixed with STATE_)"));
    }
    states->insert(state);
    return absl::OkStatus();
  }

  // time := "create_time" OP STRING
  absl::Status ParseTime() {
    const Token& field = Advance();
    const Token& op = Advance();
    const bool lower = op.text == ">" || op.text == ">=";
    const bool upper = op.text == "<" || op.text == "<=";
    if (op.kind != TokenKind::kOperator) return Unexpected(op, ">, >=, < or <= after create_time");
    if (!lower && !upper) {
      return InvalidFilter(
          absl::StrCat("create_time supports >, >=, < and <=, found ", Describe(op)));
    }
    const Token& value = Advance();
    if (value.kind != TokenKind::kString) {
      return Unexpected(value, absl::StrCat("a quoted RFC 3339 time such as "
                                            "\"2026-01-01T00:00:00Z\" after create_time ",
                                            op.text));
    }
    const std::optional<absl::Time> t =
        ParseUpstreamTime(value.text.substr(1, value.text.size() - 2));
    if (!t.has_value()) {
      return InvalidFilter(absl::StrCat(Describe(value),
                                        " is not an RFC 3339 time such as "
                                        "\"2026-01-01T00:00:00Z\""));
    }
    // Half-open [from, to): a strict lower and an inclusive upper bound
    // move by the smallest step the upstream times have.
    const absl::Time bound = (op.text == ">" || op.text == "<=") ? *t + absl::Nanoseconds(1) : *t;
    if (lower && (!query_->created_from.has_value() || bound > *query_->created_from)) {
      query_->created_from = bound;
      from_position_ = field.position;
    }
    if (upper && (!query_->created_to.has_value() || bound < *query_->created_to)) {
      query_->created_to = bound;
      to_position_ = field.position;
    }
    return absl::OkStatus();
  }

  absl::Status CheckRange() const {
    if (query_->created_from.has_value() && query_->created_to.has_value() &&
        *query_->created_from >= *query_->created_to) {
      return InvalidFilter(absl::StrCat(
          "the create_time comparisons at positions ", from_position_, " and ", to_position_,
          " leave an empty range (from ", FormatRfc3339(*query_->created_from),
          " up to but excluding ", FormatRfc3339(*query_->created_to), ")"));
    }
    return absl::OkStatus();
  }

  const std::vector<Token> tokens_;
  size_t next_ = 0;
  ListExecutionsQuery* const query_;
  size_t state_term_position_ = 0;  // 0: no state term yet
  size_t from_position_ = 0;
  size_t to_position_ = 0;
};

std::string LengthPrefixed(absl::string_view s) { return absl::StrCat(s.size(), ":", s); }

std::string TimeKey(const std::optional<absl::Time>& t) {
  return t.has_value() ? FormatRfc3339(*t) : "-";
}

}  // namespace

absl::StatusOr<ListExecutionsQuery> ParseListExecutionsRequest(
    const v1::ListExecutionsRequest& request) {
  ListExecutionsQuery query;
  absl::StatusOr<ParentName> parent = ParseParentName(request.parent(), "parent");
  if (!parent.ok()) return parent.status();
  query.parent = *std::move(parent);

  absl::StatusOr<int> page_size =
      NormalizePageSize(request.page_size(), kDefaultExecutionPageSize, kMaxExecutionPageSize);
  if (!page_size.ok()) return page_size.status();
  query.page_size = *page_size;

  if (absl::Status s = ParseView(request.view(), &query.view); !s.ok()) return s;

  // Bounded before anything echoes them back in an error: trailers have
  // size limits, and no sane filter is this long.
  if (request.order_by().size() > kMaxOrderByLength) {
    return Invalid("order_by", absl::StrCat("is longer than ", kMaxOrderByLength, " characters"));
  }
  if (request.filter().size() > kMaxFilterLength) {
    return Invalid("filter", absl::StrCat("is longer than ", kMaxFilterLength, " characters"));
  }
  absl::StatusOr<bool> ascending = ParseAscending(request.order_by());
  if (!ascending.ok()) return ascending.status();
  query.ascending = *ascending;

  if (absl::Status s = FilterParser(request.filter(), &query).Parse(); !s.ok()) return s;
  return query;
}

absl::StatusOr<int> NormalizeTaskPageSize(int page_size) {
  return NormalizePageSize(page_size, kDefaultTaskPageSize, kMaxTaskPageSize);
}

std::string QueryFingerprint(const ListExecutionsQuery& query) {
  std::vector<absl::string_view> states;
  for (State state : query.states) states.push_back(v1::Execution::State_Name(state));
  return absl::StrCat("executions;parent=", LengthPrefixed(query.parent.ToString()),
                      ";order=", query.ascending ? "asc" : "desc",
                      ";states=", absl::StrJoin(states, ","), ";from=", TimeKey(query.created_from),
                      ";to=", TimeKey(query.created_to));
}

std::string TaskQueryFingerprint(const ExecutionName& execution) {
  return absl::StrCat("tasks;execution=", LengthPrefixed(execution.ToString()));
}

}  // namespace execgw::gateway
