// The Falco condition parser: a hand-written, context-sensitive lexer and a
// recursive-descent parser following the grammar of falcosecurity/libs
// (userspace/libsinsp/filter/parser.h):
//
//   Expr      ::= OrExpr
//   OrExpr    ::= AndExpr ('or' AndExpr)*
//   AndExpr   ::= NotExpr ('and' NotExpr)*
//   NotExpr   ::= ('not')* ( 'not(' Expr ')' | Check )
//   Check     ::= Value Condition | Identifier | '(' Expr ')'
//   Value     ::= Field | Transformer '(' Value ')'
//   Condition ::= 'exists'
//               | NumOp (Number | RhsValue)
//               | StrOp (QuotedStr | BareStr | RhsValue)
//               | ListOp ('(' (Item (',' Item)*)? ')' | RhsValue | Identifier)
//   RhsValue  ::= 'val(' Field ')' | Transformer '(' Value ')'
//   Field     ::= FieldName ('[' (QuotedStr | FieldArgBareStr) ']')?
//
// Tokens as in libs: FieldName [a-zA-Z][a-zA-Z0-9_]*(\.[a-zA-Z][a-zA-Z0-9_]*)+,
// Identifier [a-zA-Z][a-zA-Z0-9_]*, BareStr [^ \b\t\n\r(),="']+, quoted
// strings in ' or " with the escapes \b \f \n \r \t \\ \/ \" \' (other
// backslash sequences are kept as written, e.g. "\." for regex).
//
// Recursion is bounded: nesting deeper than `max_depth` (parentheses,
// transformers) is an error, so no input overflows the stack.
#ifndef VIGIL_LIB_RULES_PARSER_HPP_
#define VIGIL_LIB_RULES_PARSER_HPP_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "rules/ast.hpp"

namespace vigil::rules {

struct ParseError {
  Pos pos;              // where the parser stopped
  std::string message;  // "expected a ')' token"
};

struct ParseResult {
  std::unique_ptr<Expr> expr;   // set on success
  std::optional<ParseError> error;
};

ParseResult ParseCondition(std::string_view text, uint32_t max_depth);

// Unescapes the inside of a quoted string (without the quotes) written
// between `quote` characters. nullopt and `*error` on an invalid escape
// (the other quote character, a trailing lone backslash).
std::optional<std::string> UnescapeQuoted(std::string_view body, char quote, std::string* error);

// Writes `s` so that the parser reads it back as one string value: bare when
// possible, otherwise double-quoted with escapes.
std::string QuoteValue(std::string_view s);

// Whether `s` matches FieldName / Identifier.
bool IsFieldName(std::string_view s);
bool IsIdentifier(std::string_view s);

}  // namespace vigil::rules

#endif  // VIGIL_LIB_RULES_PARSER_HPP_
