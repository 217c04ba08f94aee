// The syntax tree of a Falco condition, as produced by the parser
// (parser.hpp) and consumed by the compiler (compiler.hpp). Macro and list
// references are kept as names here: the compiler resolves them, so one
// parsed macro serves every rule that uses it.
#ifndef VIGIL_LIB_RULES_AST_HPP_
#define VIGIL_LIB_RULES_AST_HPP_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace vigil::rules {

// A position in a condition's text: byte offset, 1-based line and column.
struct Pos {
  uint32_t offset = 0;
  uint32_t line = 1;
  uint32_t col = 1;
};

// A value read from the event: a field, or a transformer applied to one.
struct ValueExpr {
  enum class Kind : uint8_t { kField, kTransform };
  Kind kind = Kind::kField;
  Pos pos;
  // kField: "proc.aname" and its argument ("2" in proc.aname[2]); evt.arg.path
  // keeps the whole dotted name with no argument.
  std::string field;
  std::string arg;
  bool has_arg = false;
  // kTransform: "tolower", "toupper", "basename", "len" or "b64", over child.
  std::string transformer;
  std::unique_ptr<ValueExpr> child;

  // The text form ("tolower(proc.aname[2])"), used as a cache key and in messages.
  std::string ToString() const;
};

// A constant on the right of an operator, or one item of a list literal.
struct Literal {
  std::string value;    // unescaped
  bool quoted = false;  // written in quotes (never a list reference)
  Pos pos;
};

struct Expr {
  enum class Kind : uint8_t { kAnd, kOr, kNot, kIdentifier, kCheck };
  Kind kind = Kind::kCheck;
  Pos pos;

  // kAnd, kOr (two or more), kNot (one).
  std::vector<std::unique_ptr<Expr>> children;
  // kIdentifier: a macro reference.
  std::string name;

  // kCheck: `lhs op rhs` or `lhs exists`.
  enum class Rhs : uint8_t {
    kNone,     // unary operator (exists)
    kValue,    // one literal
    kList,     // a list literal "(a, b)"; bare items may name lists
    kListRef,  // a bare list name after a list operator ("in my_list")
    kField,    // val(field) or a transformer: compared with another value
  };
  std::unique_ptr<ValueExpr> lhs;
  std::string op;
  Pos op_pos;
  Rhs rhs_kind = Rhs::kNone;
  Literal value;              // kValue, kListRef (the name)
  std::vector<Literal> list;  // kList
  std::unique_ptr<ValueExpr> rhs;  // kField
};

}  // namespace vigil::rules

#endif  // VIGIL_LIB_RULES_AST_HPP_
