// The condition parser: grammar, operators, lists, errors with positions,
// nesting limits and large input.
#include "rules/parser.hpp"

#include <string>

#include "gtest/gtest.h"

namespace vigil::rules {
namespace {

// A compact rendering of a tree: and(..), or(..), not(..), @macro,
// `lhs op rhs` with rhs as 'v' (bare), "v" (quoted), [a,"b"] (list),
// $name (list reference) or {value} (field).
std::string Show(const Expr& e) {
  auto join = [&](const char* name) {
    std::string s = std::string(name) + "(";
    for (size_t i = 0; i < e.children.size(); ++i) s += (i ? ", " : "") + Show(*e.children[i]);
    return s + ")";
  };
  auto lit = [](const Literal& l) { return l.quoted ? "\"" + l.value + "\"" : "'" + l.value + "'"; };
  switch (e.kind) {
    case Expr::Kind::kAnd: return join("and");
    case Expr::Kind::kOr: return join("or");
    case Expr::Kind::kNot: return join("not");
    case Expr::Kind::kIdentifier: return "@" + e.name;
    case Expr::Kind::kCheck: break;
  }
  std::string s = e.lhs->ToString() + " " + e.op;
  switch (e.rhs_kind) {
    case Expr::Rhs::kNone: break;
    case Expr::Rhs::kValue: s += " " + lit(e.value); break;
    case Expr::Rhs::kListRef: s += " $" + e.value.value; break;
    case Expr::Rhs::kField: s += " {" + e.rhs->ToString() + "}"; break;
    case Expr::Rhs::kList:
      s += " [";
      for (size_t i = 0; i < e.list.size(); ++i) s += (i ? "," : "") + lit(e.list[i]);
      s += "]";
      break;
  }
  return s;
}

std::string Parse(std::string_view text) {
  ParseResult r = ParseCondition(text, 200);
  if (r.error)
    return "error " + std::to_string(r.error->pos.line) + ":" + std::to_string(r.error->pos.col) +
           ": " + r.error->message;
  return Show(*r.expr);
}

TEST(ConditionParser, Precedence) {
  EXPECT_EQ(Parse("a.b=1 or c.d=2 and e.f=3"), "or(a.b = '1', and(c.d = '2', e.f = '3'))");
  EXPECT_EQ(Parse("not a.b=1 and c.d=2"), "and(not(a.b = '1'), c.d = '2')");
  EXPECT_EQ(Parse("(a.b=1 or c.d=2) and e.f=3"), "and(or(a.b = '1', c.d = '2'), e.f = '3')");
  EXPECT_EQ(Parse("not not a.b=1"), "a.b = '1'");
  EXPECT_EQ(Parse("not(a.b=1)"), "not(a.b = '1')");
  EXPECT_EQ(Parse("a.b=1 and(c.d=2)or(e.f=3)"), "or(and(a.b = '1', c.d = '2'), e.f = '3')");
  EXPECT_EQ(Parse("spawned_process and not m2"), "and(@spawned_process, not(@m2))");
  EXPECT_EQ(Parse("\n  a.b = 1\n  and\n  c.d != 2  "), "and(a.b = '1', c.d != '2')");
  // "nota" and "order" are macro names, not keywords.
  EXPECT_EQ(Parse("nota or order"), "or(@nota, @order)");
}

TEST(ConditionParser, EveryOperator) {
  EXPECT_EQ(Parse("fd.num exists"), "fd.num exists");
  for (const char* op : {"=", "==", "!=", "contains", "icontains", "bcontains", "startswith",
                         "bstartswith", "endswith", "glob", "iglob", "regex"}) {
    EXPECT_EQ(Parse(std::string("proc.name ") + op + " x"), std::string("proc.name ") + op + " 'x'");
  }
  for (const char* op : {"<", "<=", ">", ">="}) {
    EXPECT_EQ(Parse(std::string("fd.num") + op + "-3"), std::string("fd.num ") + op + " '-3'");
  }
  EXPECT_EQ(Parse("fd.num > 0x1F"), "fd.num > '0x1F'");
  EXPECT_EQ(Parse("fd.num <= 1.5e+3"), "fd.num <= '1.5e+3'");
  for (const char* op : {"in", "intersects", "pmatch"}) {
    EXPECT_EQ(Parse(std::string("fd.name ") + op + " (a, b)"),
              std::string("fd.name ") + op + " ['a','b']");
  }
  EXPECT_EQ(Parse("fd.name in(a)"), "fd.name in ['a']");
  EXPECT_EQ(Parse("fd.name=/etc/passwd"), "fd.name = '/etc/passwd'");
  EXPECT_EQ(Parse("fd.typechar='f'"), "fd.typechar = \"f\"");
}

TEST(ConditionParser, ListsAndReferences) {
  EXPECT_EQ(Parse("proc.name in (bash, \"c d\", 'e,f', shell_binaries)"),
            "proc.name in ['bash',\"c d\",\"e,f\",'shell_binaries']");
  EXPECT_EQ(Parse("proc.name in ()"), "proc.name in []");
  EXPECT_EQ(Parse("proc.name in shell_binaries"), "proc.name in $shell_binaries");
  EXPECT_EQ(Parse("proc.pname in (runc:[0:PARENT], docker-runc)"),
            "proc.pname in ['runc:[0:PARENT]','docker-runc']");
  EXPECT_EQ(Parse("fd.name pmatch (/etc, /usr/lib/)"), "fd.name pmatch ['/etc','/usr/lib/']");
}

TEST(ConditionParser, FieldArgumentsAndTransformers) {
  EXPECT_EQ(Parse("proc.aname[2]=bash"), "proc.aname[2] = 'bash'");
  EXPECT_EQ(Parse("evt.arg[1] = x"), "evt.arg[1] = 'x'");
  EXPECT_EQ(Parse("evt.arg.path startswith /tmp"), "evt.arg.path startswith '/tmp'");
  EXPECT_EQ(Parse("container.mount.dest[\"/var/run/docker.sock\"] exists"),
            "container.mount.dest[/var/run/docker.sock] exists");
  EXPECT_EQ(Parse("tolower(proc.name) = bash"), "tolower(proc.name) = 'bash'");
  EXPECT_EQ(Parse("toupper( basename(proc.exepath) ) = BASH"),
            "toupper(basename(proc.exepath)) = 'BASH'");
  EXPECT_EQ(Parse("len(proc.args) > 3"), "len(proc.args) > '3'");
  EXPECT_EQ(Parse("proc.name = val(proc.pname)"), "proc.name = {proc.pname}");
  EXPECT_EQ(Parse("proc.name != tolower(proc.pname)"), "proc.name != {tolower(proc.pname)}");
  EXPECT_EQ(Parse("proc.name in val(proc.aname)"), "proc.name in {proc.aname}");
}

TEST(ConditionParser, QuotedStrings) {
  EXPECT_EQ(Parse(R"(proc.cmdline = "a \"b\" c")"), "proc.cmdline = \"a \"b\" c\"");
  EXPECT_EQ(Parse(R"(proc.cmdline = 'it\'s')"), "proc.cmdline = \"it's\"");
  EXPECT_EQ(Parse(R"(proc.cmdline = "tab\there")"), "proc.cmdline = \"tab\there\"");
  // libs reads "\ " as a backslash; a bare '\' before ')' is a value.
  EXPECT_EQ(Parse(R"((proc.args contains "\ " or proc.args endswith \))"),
            "or(proc.args contains \"\\\", proc.args endswith '\\')");
  EXPECT_EQ(Parse(R"(proc.cmdline = "a\.b")"), "proc.cmdline = \"a\\.b\"");
  EXPECT_EQ(Parse(R"(proc.cmdline = 'a\"')"), "error 1:16: invalid escape \\\" in a '-quoted string");
  EXPECT_EQ(Parse("proc.cmdline = \"abc"), "error 1:16: unterminated string: no closing \"");
}

TEST(ConditionParser, ErrorsNamePositionAndExpectation) {
  EXPECT_EQ(Parse(""), "error 1:1: the condition is empty");
  EXPECT_EQ(Parse("proc.name bash"),
            "error 1:11: expected an operator after proc.name (one of exists, =, ==, !=, <, <=, "
            ">, >=, contains, icontains, bcontains, startswith, bstartswith, endswith, glob, "
            "iglob, regex, in, intersects, pmatch), found 'bash'");
  EXPECT_EQ(Parse("proc.name = bash and\n  (fd.name = x"),
            "error 2:15: expected a ')' token, found 'end of condition'");
  EXPECT_EQ(Parse("proc.name in (a, b"), "error 1:19: expected ',' or ')' in the list, found 'end of condition'");
  EXPECT_EQ(Parse("fd.num > abc"), "error 1:10: expected a number after '>', found 'abc'");
  EXPECT_EQ(Parse("proc.name = a b.c = d"),
            "error 1:15: unexpected 'b.c = d': expected 'and', 'or' or the end of the condition");
  EXPECT_EQ(Parse("a.b = 1 and"), "error 1:12: expected a '(' token, a field check, or a macro name, found 'end of condition'");
  EXPECT_EQ(Parse("proc.aname[ = 1"), "error 1:12: expected a field argument (a quoted or bare string) after 'proc.aname['");
  EXPECT_EQ(Parse("tolower(bash) = x"), "error 1:9: expected a field or a transformer inside 'tolower(', found 'bash) = x'");
  EXPECT_EQ(Parse("proc.name = val(x)"), "error 1:17: expected a field inside 'val(', found 'x)'");
  EXPECT_EQ(Parse("proc.name in x y"),
            "error 1:16: unexpected 'y': expected 'and', 'or' or the end of the condition");
}

TEST(ConditionParser, DepthLimitIsAnErrorNotACrash) {
  for (const char* open : {"(", "not(", "not (", "tolower("}) {
    std::string deep;
    for (int i = 0; i < 100000; ++i) deep += open;
    ParseResult r = ParseCondition(deep + "a.b=1", 200);
    ASSERT_TRUE(r.error.has_value()) << open;
    EXPECT_EQ(r.error->message, "nesting deeper than 200 levels") << open;
  }
  // Just below the limit parses.
  std::string ok;
  for (int i = 0; i < 199; ++i) ok += "(";
  ok += "a.b=1";
  for (int i = 0; i < 199; ++i) ok += ")";
  EXPECT_FALSE(ParseCondition(ok, 200).error.has_value());
  // A long flat chain is not deep.
  std::string flat = "a.b=0";
  for (int i = 1; i < 20000; ++i) flat += " or not a.b=" + std::to_string(i);
  EXPECT_FALSE(ParseCondition(flat, 200).error.has_value());
}

TEST(ConditionParser, HugeList) {
  std::string text = "proc.name in (";
  for (int i = 0; i < 200000; ++i) text += (i ? ", n" : "n") + std::to_string(i);
  text += ")";
  ParseResult r = ParseCondition(text, 200);
  ASSERT_FALSE(r.error.has_value()) << r.error->message;
  EXPECT_EQ(r.expr->list.size(), 200000u);
  EXPECT_EQ(r.expr->list.back().value, "n199999");
}

TEST(ConditionParser, QuoteValueRoundTrips) {
  for (std::string v : {"bash", "a b", "x\"y", "back\\slash", "", "(paren)", "a,b", "new\nline"}) {
    ParseResult r = ParseCondition("proc.name = " + QuoteValue(v), 10);
    ASSERT_FALSE(r.error.has_value()) << v << ": " << r.error->message;
    EXPECT_EQ(r.expr->value.value, v);
  }
}

}  // namespace
}  // namespace vigil::rules
