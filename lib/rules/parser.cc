#include "rules/parser.hpp"

#include <array>
#include <utility>

namespace vigil::rules {

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\b' || c == '\r' || c == '\n'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsIdentChar(char c) { return IsAlnum(c) || c == '_'; }
// BareStr: [^ \b\t\n\r(),="']  (NUL ends the input as in libs).
bool IsBareChar(char c) {
  return c != '\0' && !IsBlank(c) && c != '(' && c != ')' && c != ',' && c != '=' && c != '"' &&
         c != '\'';
}
// FieldArgBareStr: [^ \b\t\n\r[]"']
bool IsFieldArgChar(char c) {
  return c != '\0' && !IsBlank(c) && c != '[' && c != ']' && c != '"' && c != '\'';
}

// Length of the Identifier at the start of `s`, 0 if none.
size_t IdentifierLength(std::string_view s) {
  if (s.empty() || !IsAlpha(s[0])) return 0;
  size_t n = 1;
  while (n < s.size() && IsIdentChar(s[n])) ++n;
  return n;
}

// Length of the FieldName at the start of `s` (at least one dot), 0 if none.
size_t FieldNameLength(std::string_view s) {
  size_t n = IdentifierLength(s);
  if (n == 0) return 0;
  bool dotted = false;
  while (n + 1 < s.size() && s[n] == '.' && IsAlpha(s[n + 1])) {
    n += 1 + IdentifierLength(s.substr(n + 1));
    dotted = true;
  }
  return dotted ? n : 0;
}

constexpr std::array<std::string_view, 5> kTransformers = {"tolower", "toupper", "b64",
                                                           "basename", "len"};
constexpr std::string_view kWordStrOps[] = {"glob",       "iglob",       "contains",
                                            "icontains",  "bcontains",   "startswith",
                                            "bstartswith", "endswith",   "regex"};
constexpr std::string_view kListOps[] = {"intersects", "in", "pmatch"};

class Parser {
 public:
  Parser(std::string_view text, uint32_t max_depth) : in_(text), max_depth_(max_depth) {}

  ParseResult Run() {
    ParseResult r;
    if (in_.find_first_not_of(" \t\b\r\n") == std::string_view::npos) {
      r.error = ParseError{pos_, "the condition is empty"};
      return r;
    }
    auto e = ParseOr();
    if (e && i_ != in_.size()) {
      Fail("unexpected '" + Excerpt() + "': expected 'and', 'or' or the end of the condition");
      e.reset();
    }
    if (err_) {
      r.error = std::move(err_);
      return r;
    }
    r.expr = std::move(e);
    return r;
  }

 private:
  // Increments the nesting depth for the lifetime of a parse function.
  class DepthGuard {
   public:
    explicit DepthGuard(Parser* p) : p_(p) { ++p_->depth_; }
    ~DepthGuard() { --p_->depth_; }
    bool ok() const { return p_->depth_ <= p_->max_depth_; }

   private:
    Parser* p_;
  };

  char Peek(size_t k = 0) const { return i_ + k < in_.size() ? in_[i_ + k] : '\0'; }
  std::string_view Rest() const { return in_.substr(i_); }

  void Advance(size_t n) {
    for (size_t k = 0; k < n && i_ < in_.size(); ++k, ++i_) {
      if (in_[i_] == '\n') {
        ++pos_.line;
        pos_.col = 1;
      } else {
        ++pos_.col;
      }
    }
    pos_.offset = static_cast<uint32_t>(i_);
  }

  bool LexBlank() {
    bool found = false;
    while (IsBlank(Peek())) {
      Advance(1);
      found = true;
    }
    return found;
  }

  bool LexStr(std::string_view s) {
    if (Rest().substr(0, s.size()) != s) return false;
    Advance(s.size());
    return true;
  }

  // A keyword: `w` not followed by an identifier character.
  bool LexWord(std::string_view w) {
    if (Rest().substr(0, w.size()) != w || IsIdentChar(Peek(w.size()))) return false;
    Advance(w.size());
    return true;
  }

  // "and"/"or" between operands: followed by a blank, '(' or the end.
  bool LexJoiner(std::string_view w) {
    if (Rest().substr(0, w.size()) != w) return false;
    const char next = Peek(w.size());
    if (!IsBlank(next) && next != '(' && i_ + w.size() < in_.size()) return false;
    Advance(w.size());
    return true;
  }

  // Up to 20 characters at the cursor, for messages.
  std::string Excerpt() const {
    if (i_ >= in_.size()) return "end of condition";
    std::string s(in_.substr(i_, 20));
    for (char& c : s)
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (i_ + 20 < in_.size()) s += "...";
    return s;
  }

  std::nullptr_t Fail(std::string message) {
    if (!err_) err_ = ParseError{pos_, std::move(message)};
    return nullptr;
  }
  std::nullptr_t FailDepth() {
    return Fail("nesting deeper than " + std::to_string(max_depth_) + " levels");
  }

  std::unique_ptr<Expr> ParseOr() { return ParseJoined(Expr::Kind::kOr, "or"); }
  std::unique_ptr<Expr> ParseAnd() { return ParseJoined(Expr::Kind::kAnd, "and"); }

  // OrExpr and AndExpr: operands joined by `word`.
  std::unique_ptr<Expr> ParseJoined(Expr::Kind kind, std::string_view word) {
    LexBlank();
    const Pos start = pos_;
    auto first = kind == Expr::Kind::kOr ? ParseAnd() : ParseNot();
    if (!first) return nullptr;
    LexBlank();
    if (!LexJoiner(word)) return first;
    auto node = std::make_unique<Expr>();
    node->kind = kind;
    node->pos = start;
    node->children.push_back(std::move(first));
    do {
      LexBlank();
      auto next = kind == Expr::Kind::kOr ? ParseAnd() : ParseNot();
      if (!next) return nullptr;
      node->children.push_back(std::move(next));
      LexBlank();
    } while (LexJoiner(word));
    return node;
  }

  std::unique_ptr<Expr> ParseNot() {
    LexBlank();
    const Pos start = pos_;
    bool negate = false;
    for (;;) {
      if (Rest().substr(0, 3) == "not" && IsBlank(Peek(3))) {
        Advance(3);
        LexBlank();
        negate = !negate;
        continue;
      }
      break;
    }
    std::unique_ptr<Expr> child;
    if (LexStr("not(")) {
      negate = !negate;
      child = ParseEmbedded();
    } else {
      child = ParseCheck();
    }
    if (!child) return nullptr;
    if (!negate) return child;
    auto node = std::make_unique<Expr>();
    node->kind = Expr::Kind::kNot;
    node->pos = start;
    node->children.push_back(std::move(child));
    return node;
  }

  // After '(': Expr ')'. Each '(' is one level of nesting.
  std::unique_ptr<Expr> ParseEmbedded() {
    DepthGuard guard(this);
    if (!guard.ok()) return FailDepth();
    auto e = ParseOr();
    if (!e) return nullptr;
    LexBlank();
    if (!LexStr(")")) return Fail("expected a ')' token, found '" + Excerpt() + "'");
    return e;
  }

  std::unique_ptr<Expr> ParseCheck() {
    LexBlank();
    const Pos start = pos_;
    if (LexStr("(")) return ParseEmbedded();
    if (size_t n = FieldNameLength(Rest())) {
      std::string name(Rest().substr(0, n));
      Advance(n);
      auto lhs = ParseFieldRemainder(std::move(name), start);
      if (!lhs) return nullptr;
      return ParseConditionTail(std::move(lhs), start);
    }
    if (auto t = LexTransformer()) {
      auto lhs = ParseTransformerRemainder(*t, start);
      if (!lhs) return nullptr;
      return ParseConditionTail(std::move(lhs), start);
    }
    if (size_t n = IdentifierLength(Rest())) {
      auto node = std::make_unique<Expr>();
      node->kind = Expr::Kind::kIdentifier;
      node->pos = start;
      node->name = std::string(Rest().substr(0, n));
      Advance(n);
      return node;
    }
    return Fail("expected a '(' token, a field check, or a macro name, found '" + Excerpt() +
                "'");
  }

  // "tolower(" etc.: returns the transformer name.
  std::optional<std::string_view> LexTransformer() {
    for (std::string_view t : kTransformers) {
      if (Rest().substr(0, t.size()) == t && Peek(t.size()) == '(') {
        Advance(t.size() + 1);
        return t;
      }
    }
    return std::nullopt;
  }

  // After a FieldName: an optional '[' argument ']'.
  std::unique_ptr<ValueExpr> ParseFieldRemainder(std::string name, Pos start) {
    auto v = std::make_unique<ValueExpr>();
    v->kind = ValueExpr::Kind::kField;
    v->pos = start;
    v->field = std::move(name);
    if (LexStr("[")) {
      if (Peek() == '\'' || Peek() == '"') {
        auto s = LexQuoted();
        if (!s) return nullptr;
        v->arg = std::move(*s);
      } else {
        size_t n = 0;
        while (IsFieldArgChar(Peek(n))) ++n;
        if (n == 0)
          return Fail("expected a field argument (a quoted or bare string) after '" + v->field +
                      "['");
        v->arg = std::string(Rest().substr(0, n));
        Advance(n);
      }
      v->has_arg = true;
      if (!LexStr("]")) return Fail("expected a ']' token after the argument of " + v->field);
    }
    return v;
  }

  // After "transformer(": Value ')'.
  std::unique_ptr<ValueExpr> ParseTransformerRemainder(std::string_view transformer, Pos start) {
    DepthGuard guard(this);
    if (!guard.ok()) return FailDepth();
    LexBlank();
    const Pos arg_pos = pos_;
    std::unique_ptr<ValueExpr> child;
    if (auto t = LexTransformer()) {
      child = ParseTransformerRemainder(*t, arg_pos);
      if (!child) return nullptr;
    } else if (size_t n = FieldNameLength(Rest())) {
      std::string name(Rest().substr(0, n));
      Advance(n);
      child = ParseFieldRemainder(std::move(name), arg_pos);
      if (!child) return nullptr;
    } else {
      return Fail("expected a field or a transformer inside '" + std::string(transformer) +
                  "(', found '" + Excerpt() + "'");
    }
    LexBlank();
    if (!LexStr(")"))
      return Fail("expected a ')' closing '" + std::string(transformer) + "(', found '" +
                  Excerpt() + "'");
    auto v = std::make_unique<ValueExpr>();
    v->kind = ValueExpr::Kind::kTransform;
    v->pos = start;
    v->transformer = std::string(transformer);
    v->child = std::move(child);
    return v;
  }

  // RhsValue: val(Field) or a transformer; nullptr without error when the
  // cursor holds neither.
  std::unique_ptr<ValueExpr> TryParseRhsValue(bool* failed) {
    const Pos start = pos_;
    if (LexStr("val(")) {
      LexBlank();
      const Pos field_pos = pos_;
      size_t n = FieldNameLength(Rest());
      if (n == 0) {
        *failed = true;
        return Fail("expected a field inside 'val(', found '" + Excerpt() + "'");
      }
      std::string name(Rest().substr(0, n));
      Advance(n);
      auto v = ParseFieldRemainder(std::move(name), field_pos);
      if (!v) {
        *failed = true;
        return nullptr;
      }
      LexBlank();
      if (!LexStr(")")) {
        *failed = true;
        return Fail("expected a ')' closing 'val(', found '" + Excerpt() + "'");
      }
      return v;
    }
    if (auto t = LexTransformer()) {
      auto v = ParseTransformerRemainder(*t, start);
      if (!v) *failed = true;
      return v;
    }
    return nullptr;
  }

  std::unique_ptr<Expr> ParseConditionTail(std::unique_ptr<ValueExpr> lhs, Pos start) {
    auto node = std::make_unique<Expr>();
    node->kind = Expr::Kind::kCheck;
    node->pos = start;
    node->lhs = std::move(lhs);
    LexBlank();
    node->op_pos = pos_;
    if (LexWord("exists")) {
      node->op = "exists";
      node->rhs_kind = Expr::Rhs::kNone;
      return node;
    }
    for (std::string_view op : {"<=", "<", ">=", ">"}) {
      if (LexStr(op)) {
        node->op = std::string(op);
        return ParseNumRhs(std::move(node));
      }
    }
    for (std::string_view op : {"==", "=", "!="}) {
      if (LexStr(op)) {
        node->op = std::string(op);
        return ParseStrRhs(std::move(node));
      }
    }
    for (std::string_view op : kWordStrOps) {
      if (LexWord(op)) {
        node->op = std::string(op);
        return ParseStrRhs(std::move(node));
      }
    }
    for (std::string_view op : kListOps) {
      if (LexWord(op)) {
        node->op = std::string(op);
        return ParseListRhs(std::move(node));
      }
    }
    return Fail("expected an operator after " + node->lhs->ToString() +
                " (one of exists, =, ==, !=, <, <=, >, >=, contains, icontains, bcontains, "
                "startswith, bstartswith, endswith, glob, iglob, regex, in, intersects, "
                "pmatch), found '" +
                Excerpt() + "'");
  }

  std::unique_ptr<Expr> ParseNumRhs(std::unique_ptr<Expr> node) {
    LexBlank();
    bool failed = false;
    if (auto v = TryParseRhsValue(&failed)) {
      node->rhs_kind = Expr::Rhs::kField;
      node->rhs = std::move(v);
      return node;
    }
    if (failed) return nullptr;
    const Pos start = pos_;
    size_t n = 0;
    if (Peek() == '0' && (Peek(1) == 'x' || Peek(1) == 'X') && IsAlnum(Peek(2))) {
      n = 2;
      while (IsAlnum(Peek(n))) ++n;
    } else {
      // [+-]?[0-9]+[.]?[0-9]*([eE][+-][0-9]+)?
      if (Peek() == '+' || Peek() == '-') n = 1;
      const size_t digits = n;
      while (IsDigit(Peek(n))) ++n;
      if (n == digits) n = 0;
      if (n > 0) {
        if (Peek(n) == '.') {
          ++n;
          while (IsDigit(Peek(n))) ++n;
        }
        if ((Peek(n) == 'e' || Peek(n) == 'E') && (Peek(n + 1) == '+' || Peek(n + 1) == '-') &&
            IsDigit(Peek(n + 2))) {
          n += 2;
          while (IsDigit(Peek(n))) ++n;
        }
      }
    }
    if (n == 0)
      return Fail("expected a number after '" + node->op + "', found '" + Excerpt() + "'");
    node->rhs_kind = Expr::Rhs::kValue;
    node->value = Literal{std::string(Rest().substr(0, n)), false, start};
    Advance(n);
    return node;
  }

  // QuotedStr or BareStr; nullopt with an error set, or nullopt without one
  // when the cursor holds neither.
  std::optional<Literal> LexStringValue() {
    const Pos start = pos_;
    if (Peek() == '\'' || Peek() == '"') {
      auto s = LexQuoted();
      if (!s) return std::nullopt;
      return Literal{std::move(*s), true, start};
    }
    size_t n = 0;
    while (IsBareChar(Peek(n))) ++n;
    if (n == 0) return std::nullopt;
    Literal lit{std::string(Rest().substr(0, n)), false, start};
    Advance(n);
    return lit;
  }

  std::unique_ptr<Expr> ParseStrRhs(std::unique_ptr<Expr> node) {
    LexBlank();
    bool failed = false;
    if (auto v = TryParseRhsValue(&failed)) {
      node->rhs_kind = Expr::Rhs::kField;
      node->rhs = std::move(v);
      return node;
    }
    if (failed) return nullptr;
    auto lit = LexStringValue();
    if (!lit) {
      if (err_) return nullptr;
      return Fail("expected a string value after '" + node->op + "', found '" + Excerpt() + "'");
    }
    node->rhs_kind = Expr::Rhs::kValue;
    node->value = std::move(*lit);
    return node;
  }

  std::unique_ptr<Expr> ParseListRhs(std::unique_ptr<Expr> node) {
    LexBlank();
    const Pos start = pos_;
    if (LexStr("(")) {
      node->rhs_kind = Expr::Rhs::kList;
      LexBlank();
      if (LexStr(")")) return node;
      for (;;) {
        LexBlank();
        auto lit = LexStringValue();
        if (!lit) {
          if (err_) return nullptr;
          return Fail("expected a list item (a quoted or bare string), found '" + Excerpt() +
                      "'");
        }
        node->list.push_back(std::move(*lit));
        LexBlank();
        if (LexStr(",")) continue;
        if (LexStr(")")) return node;
        return Fail("expected ',' or ')' in the list, found '" + Excerpt() + "'");
      }
    }
    bool failed = false;
    if (auto v = TryParseRhsValue(&failed)) {
      node->rhs_kind = Expr::Rhs::kField;
      node->rhs = std::move(v);
      return node;
    }
    if (failed) return nullptr;
    if (size_t n = IdentifierLength(Rest())) {
      node->rhs_kind = Expr::Rhs::kListRef;
      node->value = Literal{std::string(Rest().substr(0, n)), false, start};
      Advance(n);
      return node;
    }
    return Fail("expected a list '(...)' or a list name after '" + node->op + "', found '" +
                Excerpt() + "'");
  }

  // A quoted string at the cursor, unescaped.
  std::optional<std::string> LexQuoted() {
    const char quote = Peek();
    size_t j = 1;
    while (i_ + j < in_.size() && in_[i_ + j] != quote) j += in_[i_ + j] == '\\' ? 2 : 1;
    if (i_ + j >= in_.size()) {
      Fail(std::string("unterminated string: no closing ") + quote);
      return std::nullopt;
    }
    std::string why;
    auto s = UnescapeQuoted(in_.substr(i_ + 1, j - 1), quote, &why);
    if (!s) {
      Fail(why);
      return std::nullopt;
    }
    Advance(j + 1);
    return s;
  }

  std::string_view in_;
  size_t i_ = 0;
  Pos pos_;
  uint32_t depth_ = 0;
  uint32_t max_depth_;
  std::optional<ParseError> err_;
};

}  // namespace

std::string ValueExpr::ToString() const {
  if (kind == Kind::kTransform) return transformer + "(" + (child ? child->ToString() : "") + ")";
  if (!has_arg) return field;
  return field + "[" + arg + "]";
}

ParseResult ParseCondition(std::string_view text, uint32_t max_depth) {
  return Parser(text, max_depth).Run();
}

std::optional<std::string> UnescapeQuoted(std::string_view body, char quote, std::string* error) {
  std::string out;
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i == body.size()) {
      *error = "a string ends with a lone '\\'";
      return std::nullopt;
    }
    switch (body[i]) {
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      // libs reads "\ " as a backslash (upstream rules rely on it).
      case ' ':
      case '\\': out.push_back('\\'); break;
      case '/': out.push_back('/'); break;
      case '"':
      case '\'':
        if (body[i] != quote) {
          *error = std::string("invalid escape \\") + body[i] + " in a " + quote +
                   "-quoted string";
          return std::nullopt;
        }
        out.push_back(body[i]);
        break;
      default:
        // libs rejects other escapes; vigil keeps them as written, so that
        // regular expressions can say "\." (anything libs accepts reads the same).
        out.push_back('\\');
        out.push_back(body[i]);
        break;
    }
  }
  return out;
}

std::string QuoteValue(std::string_view s) {
  bool bare = !s.empty();
  for (char c : s) bare = bare && IsBareChar(c);
  // A bare value must not read as a transformer or val( call: '(' is not a
  // bare character, so it cannot.
  if (bare) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default: out.push_back(c);
    }
  }
  out += "\"";
  return out;
}

bool IsFieldName(std::string_view s) { return !s.empty() && FieldNameLength(s) == s.size(); }
bool IsIdentifier(std::string_view s) { return !s.empty() && IdentifierLength(s) == s.size(); }

}  // namespace vigil::rules
