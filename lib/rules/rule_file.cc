#include "rules/rule_file.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include "rules/falco_compat.hpp"

namespace vigil::rules {

void FileText::IndexLines() {
  line_starts.clear();
  line_starts.push_back(0);
  for (size_t i = 0; i < content.size(); ++i)
    if (content[i] == '\n') line_starts.push_back(i + 1);
}

std::pair<int, int> FileText::LineCol(size_t offset) const {
  if (line_starts.empty()) return {1, static_cast<int>(offset) + 1};
  auto it = std::upper_bound(line_starts.begin(), line_starts.end(), offset);
  const size_t line = static_cast<size_t>(it - line_starts.begin());  // 1-based
  return {static_cast<int>(line), static_cast<int>(offset - line_starts[line - 1]) + 1};
}

Located MapOffset(const std::vector<Segment>& segments, size_t offset) {
  if (segments.empty()) return {};
  const Segment* seg = &segments.front();
  for (const Segment& s : segments)
    if (s.begin <= offset) seg = &s;
  if (seg->generated || !seg->file) return {seg->file, seg->line, seg->col};
  // Folding and quoting change only blanks, quotes and escapes between the
  // raw YAML and the value: walk both, matching the value's non-blank
  // characters in order.
  const std::string& raw = seg->file->content;
  const std::string& value = seg->value;
  size_t off = std::min(offset - seg->begin, value.size());
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  // At the end of the value (or on trailing blanks): just after its last
  // character, on that character's line.
  bool after_last = false;
  if (off == value.size() ||
      std::all_of(value.begin() + static_cast<ptrdiff_t>(off), value.end(), blank)) {
    while (off > 0 && blank(value[off - 1])) --off;
    if (off > 0) {
      --off;
      after_last = true;
    }
  }
  size_t j = std::min(seg->raw_offset, raw.size());
  for (size_t i = 0; i < off; ++i) {
    if (blank(value[i])) continue;
    const size_t k = raw.find(value[i], j);
    if (k == std::string::npos) break;
    j = k + 1;
  }
  // Land on the character itself (past any folded blanks).
  if (off < value.size() && !blank(value[off])) {
    const size_t k = raw.find(value[off], j);
    if (k != std::string::npos) j = k;
  } else {
    while (j < raw.size() && blank(raw[j])) ++j;
  }
  auto [line, col] = seg->file->LineCol(std::min(j, raw.size()));
  return {seg->file, line, col + (after_last ? 1 : 0)};
}

namespace {

using Severity = RuleDiagnostic::Severity;

std::optional<RulePriority> ParsePriority(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (s == "emergency") return RulePriority::kEmergency;
  if (s == "alert") return RulePriority::kAlert;
  if (s == "critical") return RulePriority::kCritical;
  if (s == "error") return RulePriority::kError;
  if (s == "warning") return RulePriority::kWarning;
  if (s == "notice") return RulePriority::kNotice;
  if (s == "informational" || s == "info") return RulePriority::kInformational;
  if (s == "debug") return RulePriority::kDebug;
  return std::nullopt;
}

// "0.57.0" or "9" (old integer versions mean 0.N.0); nullopt if neither.
std::optional<std::array<int, 3>> ParseEngineVersion(const std::string& s) {
  std::array<int, 3> v = {0, 0, 0};
  std::vector<int> parts;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find('.', i);
    if (j == std::string::npos) j = s.size();
    int n = 0;
    auto [p, ec] = std::from_chars(s.data() + i, s.data() + j, n);
    if (ec != std::errc() || p != s.data() + j || parts.size() == 3) return std::nullopt;
    parts.push_back(n);
    i = j + 1;
  }
  if (parts.size() == 1) v = {0, parts[0], 0};
  else
    for (size_t k = 0; k < parts.size(); ++k) v[k] = parts[k];
  return v;
}

}  // namespace

// Reads the items of one file into a RuleCollection.
class ItemReader {
 public:
  ItemReader(RuleCollection* c, const FileText& file, std::vector<RuleDiagnostic>* diags)
      : c_(*c), file_(file), diags_(*diags) {}

  void Run() {
    // Documents are split here and parsed one by one with YAML::Load:
    // yaml-cpp 0.7's LoadAll never returns on some inputs (a lone ",") and
    // allocates a document per iteration until memory runs out.
    for (const Chunk& chunk : SplitDocuments(file_.content)) {
      base_offset_ = chunk.offset;
      base_line_ = chunk.line;
      YAML::Node doc;
      try {
        doc = YAML::Load(std::string(file_.content, chunk.offset, chunk.size));
      } catch (const YAML::Exception& e) {
        Diag(Severity::kError, e.mark, "", "invalid YAML: " + e.msg);
        continue;
      } catch (const std::exception& e) {
        Diag(Severity::kError, YAML::Mark(), "", std::string("invalid YAML: ") + e.what());
        continue;
      }
      ReadDocument(doc);
    }
  }

 private:
  struct Chunk {
    size_t offset = 0;
    int line = 0;  // 0-based
    size_t size = 0;
  };

  // Splits at document markers: lines starting with "---" or "..." followed
  // by a blank or the end of the line (YAML forbids them inside content).
  // A chunk holding only comments, blank lines and directives is merged
  // into the next one.
  static std::vector<Chunk> SplitDocuments(const std::string& s) {
    std::vector<Chunk> chunks;
    size_t start = 0;
    int start_line = 0, line = 0;
    bool content = false;
    for (size_t i = 0; i < s.size(); ++line) {
      size_t eol = s.find('\n', i);
      if (eol == std::string::npos) eol = s.size();
      std::string_view l(s.data() + i, eol - i);
      const bool marker = l.size() >= 3 && (l.substr(0, 3) == "---" || l.substr(0, 3) == "...") &&
                          (l.size() == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r');
      if (marker && content) {
        chunks.push_back({start, start_line, i - start});
        start = i;
        start_line = line;
        content = false;
      }
      if (marker && l.substr(0, 3) == "...") {  // document end: not part of any document
        start = std::min(eol + 1, s.size());
        start_line = line + 1;
      } else {
        const size_t first = l.find_first_not_of(" \t\r");
        if (first != std::string_view::npos && l[first] != '#' && l[first] != '%' &&
            !(marker && l.find_first_not_of(" \t\r", 3) == std::string_view::npos))
          content = true;
      }
      i = eol + 1;
    }
    if (start < s.size()) chunks.push_back({start, start_line, s.size() - start});
    return chunks;
  }

  void ReadDocument(const YAML::Node& doc) {
    if (doc.IsNull()) return;
    if (!doc.IsSequence()) {
      Diag(Severity::kError, doc.Mark(), "", "a rules file must be a list of items");
      return;
    }
    for (const YAML::Node& item : doc) {
      try {
        ReadItem(item);
      } catch (const std::exception& e) {
        Diag(Severity::kError, item.Mark(), "", std::string("cannot read item: ") + e.what());
      }
    }
  }

  // Marks are relative to the document's chunk.
  Located Where(const YAML::Mark& m) const {
    if (m.is_null()) return {&file_, 0, 0};
    return {&file_, base_line_ + m.line + 1, m.column + 1};
  }

  void Diag(Severity sev, const YAML::Mark& m, std::string item, std::string message) {
    RuleDiagnostic d;
    d.severity = sev;
    d.file = file_.name;
    if (!m.is_null()) {
      d.line = base_line_ + m.line + 1;
      d.column = m.column + 1;
    }
    d.item = std::move(item);
    d.message = std::move(message);
    diags_.push_back(std::move(d));
  }

  // A scalar's text; nullopt (with an error) for other node kinds.
  std::optional<std::string> Scalar(const YAML::Node& n, const std::string& item,
                                    std::string_view key) {
    if (n.IsScalar()) return n.Scalar();
    Diag(Severity::kError, n.Mark(), item, "'" + std::string(key) + "' must be a string");
    return std::nullopt;
  }

  std::optional<bool> Bool(const YAML::Node& n, const std::string& item, std::string_view key) {
    bool b = false;
    if (n.IsScalar() && YAML::convert<bool>::decode(n, b)) return b;
    Diag(Severity::kError, n.Mark(), item, "'" + std::string(key) + "' must be true or false");
    return std::nullopt;
  }

  // A sequence of strings (`items`, `tags`).
  std::optional<std::vector<std::string>> Strings(const YAML::Node& n, const std::string& item,
                                                  std::string_view key) {
    std::vector<std::string> out;
    if (n.IsNull()) return out;
    if (!n.IsSequence()) {
      Diag(Severity::kError, n.Mark(), item, "'" + std::string(key) + "' must be a list");
      return std::nullopt;
    }
    for (const YAML::Node& e : n) {
      if (!e.IsScalar()) {
        Diag(Severity::kError, e.Mark(), item,
             "'" + std::string(key) + "' must be a list of strings");
        return std::nullopt;
      }
      out.push_back(e.Scalar());
    }
    return out;
  }

  // A condition-like scalar with the segment locating it.
  std::optional<std::pair<std::string, Segment>> Text(const YAML::Node& n, const std::string& item,
                                                      std::string_view key) {
    auto s = Scalar(n, item, key);
    if (!s) return std::nullopt;
    Segment seg;
    seg.file = &file_;
    seg.raw_offset = base_offset_ + (n.Mark().is_null() ? 0 : static_cast<size_t>(n.Mark().pos));
    seg.value = *s;
    return std::make_pair(std::move(*s), std::move(seg));
  }

  static void Append(std::string* text, std::vector<Segment>* segs, std::string add, Segment seg) {
    if (!text->empty()) text->push_back(' ');
    seg.begin = text->size();
    *text += add;
    segs->push_back(std::move(seg));
  }

  static void Replace(std::string* text, std::vector<Segment>* segs, std::string s, Segment seg) {
    seg.begin = 0;
    *text = std::move(s);
    segs->assign(1, std::move(seg));
  }

  // Warns about keys outside `known`.
  void CheckKeys(const YAML::Node& item, const std::string& what,
                 std::initializer_list<std::string_view> known) {
    for (const auto& kv : item) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      if (std::find(known.begin(), known.end(), key) == known.end())
        Diag(Severity::kWarning, kv.first.Mark(), what, "unknown key '" + key + "' ignored");
    }
  }

  // The `override` map: key -> "append" | "replace".
  std::optional<std::vector<std::pair<std::string, bool>>> Overrides(
      const YAML::Node& item, const std::string& what,
      std::initializer_list<std::string_view> appendable,
      std::initializer_list<std::string_view> replaceable) {
    std::vector<std::pair<std::string, bool>> out;  // (key, append)
    const YAML::Node& o = item["override"];
    if (!o.IsMap()) {
      Diag(Severity::kError, o.Mark(), what, "'override' must map keys to append or replace");
      return std::nullopt;
    }
    for (const auto& kv : o) {
      if (!kv.first.IsScalar() || !kv.second.IsScalar()) {
        Diag(Severity::kError, kv.first.Mark(), what, "'override' entries must be 'key: how'");
        return std::nullopt;
      }
      const std::string key = kv.first.Scalar(), how = kv.second.Scalar();
      const bool append = how == "append";
      if (!append && how != "replace") {
        Diag(Severity::kError, kv.second.Mark(), what,
             "override of '" + key + "' must be 'append' or 'replace', not '" + how + "'");
        return std::nullopt;
      }
      const auto& allowed = append ? appendable : replaceable;
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        Diag(Severity::kError, kv.first.Mark(), what,
             "key '" + key + "' cannot be " + (append ? "appended" : "replaced"));
        return std::nullopt;
      }
      if (!item[key].IsDefined()) {
        Diag(Severity::kError, kv.first.Mark(), what,
             "override names '" + key + "' but the item has no '" + key + "'");
        return std::nullopt;
      }
      out.emplace_back(key, append);
    }
    for (const auto& kv : item) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
      if (key == "override" || key == "rule" || key == "macro" || key == "list") continue;
      if (std::none_of(out.begin(), out.end(), [&](const auto& p) { return p.first == key; }))
        Diag(Severity::kWarning, kv.first.Mark(), what,
             "key '" + key + "' is ignored: it is not listed in 'override'");
    }
    return out;
  }

  void ReadItem(const YAML::Node& item) {
    if (!item.IsMap()) {
      Diag(Severity::kError, item.Mark(), "", "an item must be a map (list, macro, rule, ...)");
      return;
    }
    if (item["rule"].IsDefined()) return ReadRule(item);
    if (item["macro"].IsDefined()) return ReadMacro(item);
    if (item["list"].IsDefined()) return ReadList(item);
    if (item["required_engine_version"].IsDefined()) return ReadEngineVersion(item);
    if (item["required_plugin_versions"].IsDefined()) return;  // vigil has no plugins to check
    std::string keys;
    for (const auto& kv : item)
      keys += (keys.empty() ? "" : ", ") + (kv.first.IsScalar() ? kv.first.Scalar() : "?");
    Diag(Severity::kWarning, item.Mark(), "", "unknown item (keys: " + keys + ") ignored");
  }

  void ReadEngineVersion(const YAML::Node& item) {
    const YAML::Node& n = item["required_engine_version"];
    auto s = Scalar(n, "", "required_engine_version");
    if (!s) return;
    auto v = ParseEngineVersion(*s);
    if (!v) {
      Diag(Severity::kError, n.Mark(), "",
           "required_engine_version must be a version (\"0.57.0\") or an integer, not '" + *s +
               "'");
      return;
    }
    const std::array<int, 3> have = {kFalcoEngineVersion[0], kFalcoEngineVersion[1],
                                     kFalcoEngineVersion[2]};
    if (*v > have)
      Diag(Severity::kWarning, n.Mark(), "",
           "the file requires Falco engine " + *s + "; vigil reads rules of Falco engine " +
               std::to_string(have[0]) + "." + std::to_string(have[1]) + "." +
               std::to_string(have[2]) + " (newer features are reported where used)");
  }

  void ReadList(const YAML::Node& item) {
    auto name = Scalar(item["list"], "", "list");
    if (!name) return;
    const std::string what = "list '" + *name + "'";
    CheckKeys(item, what, {"list", "items", "append", "override"});
    if (!item["items"].IsDefined()) {
      Diag(Severity::kError, item.Mark(), what, "a list needs 'items'");
      return;
    }
    auto items = Strings(item["items"], what, "items");
    if (!items) return;
    auto it = c_.list_index_.find(*name);
    ListEntry* prev = it == c_.list_index_.end() ? nullptr : &c_.lists_[it->second];

    bool append = false;
    if (item["append"].IsDefined()) {
      auto b = Bool(item["append"], what, "append");
      if (!b) return;
      append = *b;
    }
    if (item["override"].IsDefined()) {
      auto o = Overrides(item, what, {"items"}, {"items"});
      if (!o) return;
      append = !o->empty() && o->front().second;
      if (!prev) {
        Diag(Severity::kError, item.Mark(), what, "override of a list that was not defined before");
        return;
      }
      if (o->empty()) return;
    }
    if (append) {
      if (!prev) {
        Diag(Severity::kError, item.Mark(), what,
             "'append' to a list that was not defined before");
        return;
      }
      prev->items.insert(prev->items.end(), items->begin(), items->end());
      return;
    }
    ListEntry e{*name, std::move(*items), Where(item.Mark())};
    if (prev) {
      *prev = std::move(e);
    } else {
      c_.list_index_.emplace(*name, c_.lists_.size());
      c_.lists_.push_back(std::move(e));
    }
  }

  void ReadMacro(const YAML::Node& item) {
    auto name = Scalar(item["macro"], "", "macro");
    if (!name) return;
    const std::string what = "macro '" + *name + "'";
    CheckKeys(item, what, {"macro", "condition", "append", "override"});
    if (!item["condition"].IsDefined()) {
      Diag(Severity::kError, item.Mark(), what, "a macro needs a 'condition'");
      return;
    }
    auto cond = Text(item["condition"], what, "condition");
    if (!cond) return;
    auto it = c_.macro_index_.find(*name);
    MacroEntry* prev = it == c_.macro_index_.end() ? nullptr : &c_.macros_[it->second];

    bool append = false;
    if (item["append"].IsDefined()) {
      auto b = Bool(item["append"], what, "append");
      if (!b) return;
      append = *b;
    }
    if (item["override"].IsDefined()) {
      auto o = Overrides(item, what, {"condition"}, {"condition"});
      if (!o) return;
      if (!prev) {
        Diag(Severity::kError, item.Mark(), what,
             "override of a macro that was not defined before");
        return;
      }
      if (o->empty()) return;
      append = o->front().second;
    }
    if (append) {
      if (!prev) {
        Diag(Severity::kError, item.Mark(), what,
             "'append' to a macro that was not defined before");
        return;
      }
      Append(&prev->condition, &prev->segments, std::move(cond->first), std::move(cond->second));
      return;
    }
    MacroEntry e;
    e.name = *name;
    e.where = Where(item.Mark());
    Replace(&e.condition, &e.segments, std::move(cond->first), std::move(cond->second));
    if (prev) {
      *prev = std::move(e);
    } else {
      c_.macro_index_.emplace(*name, c_.macros_.size());
      c_.macros_.push_back(std::move(e));
    }
  }

  // One entry of `exceptions`.
  std::optional<ExceptionDef> ReadException(const YAML::Node& n, const std::string& what) {
    if (!n.IsMap()) {
      Diag(Severity::kError, n.Mark(), what, "an exception must be a map (name, fields, ...)");
      return std::nullopt;
    }
    ExceptionDef ex;
    ex.where = Where(n.Mark());
    auto name = n["name"].IsDefined() ? Scalar(n["name"], what, "name") : std::nullopt;
    if (!name || name->empty()) {
      if (!n["name"].IsDefined())
        Diag(Severity::kError, n.Mark(), what, "an exception needs a 'name'");
      return std::nullopt;
    }
    ex.name = *name;
    const std::string ewhat = what + " exception '" + ex.name + "'";
    for (const auto& kv : n) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      if (key != "name" && key != "fields" && key != "comps" && key != "values")
        Diag(Severity::kWarning, kv.first.Mark(), ewhat, "unknown key '" + key + "' ignored");
    }
    if (const YAML::Node& f = n["fields"]; f.IsDefined()) {
      if (f.IsScalar()) {
        ex.fields = {f.Scalar()};
      } else {
        auto l = Strings(f, ewhat, "fields");
        if (!l) return std::nullopt;
        ex.fields_is_list = true;
        ex.fields = std::move(*l);
      }
    }
    if (const YAML::Node& c = n["comps"]; c.IsDefined()) {
      ex.comps_given = true;
      if (c.IsScalar()) {
        ex.comps = {c.Scalar()};
      } else {
        auto l = Strings(c, ewhat, "comps");
        if (!l) return std::nullopt;
        ex.comps = std::move(*l);
      }
    }
    if (const YAML::Node& v = n["values"]; v.IsDefined() && !v.IsNull()) {
      if (!v.IsSequence()) {
        Diag(Severity::kError, v.Mark(), ewhat, "'values' must be a list");
        return std::nullopt;
      }
      for (const YAML::Node& tuple : v) {
        std::vector<ExceptionItem> items;
        auto read_item = [&](const YAML::Node& x) -> bool {
          ExceptionItem it;
          if (x.IsScalar()) {
            it.s = x.Scalar();
          } else {
            auto l = Strings(x, ewhat, "values");
            if (!l) return false;
            it.is_list = true;
            it.list = std::move(*l);
          }
          items.push_back(std::move(it));
          return true;
        };
        // Without `fields` (values appended to an earlier exception) a
        // sequence is a tuple.
        if (tuple.IsSequence() && (ex.fields_is_list || ex.fields.empty())) {
          for (const YAML::Node& x : tuple)
            if (!read_item(x)) return std::nullopt;
        } else if (!read_item(tuple)) {
          return std::nullopt;
        }
        ex.values.push_back(std::move(items));
      }
    }
    return ex;
  }

  std::optional<std::vector<ExceptionDef>> Exceptions(const YAML::Node& n,
                                                      const std::string& what) {
    std::vector<ExceptionDef> out;
    if (n.IsNull()) return out;
    if (!n.IsSequence()) {
      Diag(Severity::kError, n.Mark(), what, "'exceptions' must be a list");
      return std::nullopt;
    }
    for (const YAML::Node& e : n) {
      auto ex = ReadException(e, what);
      if (!ex) return std::nullopt;
      out.push_back(std::move(*ex));
    }
    return out;
  }

  // Appends exceptions: values join an exception of the same name.
  static void MergeExceptions(std::vector<ExceptionDef>* into, std::vector<ExceptionDef> add) {
    for (auto& ex : add) {
      auto it = std::find_if(into->begin(), into->end(),
                             [&](const ExceptionDef& e) { return e.name == ex.name; });
      if (it == into->end()) {
        into->push_back(std::move(ex));
      } else {
        for (auto& v : ex.values) it->values.push_back(std::move(v));
      }
    }
  }

  void ReadRule(const YAML::Node& item) {
    auto name = Scalar(item["rule"], "", "rule");
    if (!name) return;
    const std::string what = "rule '" + *name + "'";
    CheckKeys(item, what,
              {"rule", "desc", "condition", "output", "priority", "tags", "enabled", "exceptions",
               "source", "append", "override", "warn_evttypes", "skip-if-unknown-filter",
               "capture", "capture_duration"});
    auto it = c_.rule_index_.find(*name);
    RuleEntry* prev = it == c_.rule_index_.end() ? nullptr : &c_.rules_[it->second];

    // Values present in the item.
    RuleEntry r;
    r.name = *name;
    r.where = Where(item.Mark());
    std::optional<Segment> cond_seg;
    bool ok = true;
    auto text = [&](const char* key, std::string* out) {
      if (!item[key].IsDefined()) return;
      auto s = Scalar(item[key], what, key);
      if (s) *out = std::move(*s);
      else ok = false;
    };
    text("desc", &r.desc);
    text("output", &r.output);
    if (item["source"].IsDefined()) text("source", &r.source);
    if (item["condition"].IsDefined()) {
      auto c = Text(item["condition"], what, "condition");
      if (c) {
        r.condition = std::move(c->first);
        cond_seg = std::move(c->second);
      } else {
        ok = false;
      }
    }
    if (item["priority"].IsDefined()) {
      auto s = Scalar(item["priority"], what, "priority");
      auto p = s ? ParsePriority(*s) : std::nullopt;
      if (s && !p)
        Diag(Severity::kError, item["priority"].Mark(), what,
             "unknown priority '" + *s + "' (emergency, alert, critical, error, warning, notice, "
             "informational, debug)");
      if (p) r.priority = *p;
      else ok = false;
    }
    if (item["tags"].IsDefined()) {
      auto t = Strings(item["tags"], what, "tags");
      if (t) r.tags = std::move(*t);
      else ok = false;
    }
    if (item["enabled"].IsDefined()) {
      auto b = Bool(item["enabled"], what, "enabled");
      if (b) r.enabled = *b;
      else ok = false;
    }
    if (item["exceptions"].IsDefined()) {
      auto ex = Exceptions(item["exceptions"], what);
      if (ex) r.exceptions = std::move(*ex);
      else ok = false;
    }
    if (!ok) return;

    bool append = false;
    if (item["append"].IsDefined()) {
      auto b = Bool(item["append"], what, "append");
      if (!b) return;
      append = *b;
    }

    if (item["override"].IsDefined()) {
      auto o = Overrides(
          item, what, {"condition", "output", "desc", "tags", "exceptions"},
          {"condition", "output", "desc", "priority", "tags", "exceptions", "enabled",
           "warn_evttypes", "skip-if-unknown-filter", "capture", "capture_duration"});
      if (!o) return;
      if (!prev) {
        Diag(Severity::kError, item.Mark(), what, "override of a rule that was not defined before");
        return;
      }
      for (const auto& [key, app] : *o) ApplyRuleKey(prev, &r, cond_seg, key, app);
      return;
    }
    if (append) {
      if (!prev) {
        Diag(Severity::kError, item.Mark(), what,
             "'append' to a rule that was not defined before");
        return;
      }
      for (const char* key : {"condition", "exceptions", "output", "desc", "tags"})
        if (item[key].IsDefined()) ApplyRuleKey(prev, &r, cond_seg, key, true);
      for (const char* key : {"priority", "enabled", "source"})
        if (item[key].IsDefined())
          Diag(Severity::kWarning, item[key].Mark(), what,
               std::string("'") + key + "' is ignored in an 'append: true' rule");
      return;
    }

    // `- rule: X / enabled: false` only toggles an earlier rule.
    const bool full = item["condition"].IsDefined() || item["output"].IsDefined() ||
                      item["desc"].IsDefined() || item["priority"].IsDefined();
    if (!full && item["enabled"].IsDefined()) {
      if (!prev) {
        Diag(Severity::kError, item.Mark(), what,
             "'enabled' without a condition for a rule that was not defined before");
        return;
      }
      prev->enabled = r.enabled;
      return;
    }
    for (const char* key : {"condition", "output", "desc", "priority"}) {
      if (!item[key].IsDefined()) {
        Diag(Severity::kError, item.Mark(), what, std::string("a rule needs '") + key + "'");
        return;
      }
    }
    Replace(&r.condition, &r.segments, std::string(r.condition), std::move(*cond_seg));
    if (prev) {
      *prev = std::move(r);
    } else {
      c_.rule_index_.emplace(*name, c_.rules_.size());
      c_.rules_.push_back(std::move(r));
    }
  }

  void ApplyRuleKey(RuleEntry* prev, RuleEntry* r, std::optional<Segment>& cond_seg,
                    const std::string& key, bool append) {
    auto join = [&](std::string* into, const std::string& add) {
      if (!append) *into = add;
      else if (!add.empty()) *into += (into->empty() ? "" : " ") + add;
    };
    if (key == "condition" && cond_seg) {
      if (append) Append(&prev->condition, &prev->segments, r->condition, *cond_seg);
      else Replace(&prev->condition, &prev->segments, r->condition, *cond_seg);
    } else if (key == "output") {
      join(&prev->output, r->output);
    } else if (key == "desc") {
      join(&prev->desc, r->desc);
    } else if (key == "tags") {
      if (!append) prev->tags.clear();
      for (auto& t : r->tags)
        if (std::find(prev->tags.begin(), prev->tags.end(), t) == prev->tags.end())
          prev->tags.push_back(t);
    } else if (key == "exceptions") {
      if (!append) prev->exceptions.clear();
      MergeExceptions(&prev->exceptions, std::move(r->exceptions));
    } else if (key == "priority") {
      prev->priority = r->priority;
    } else if (key == "enabled") {
      prev->enabled = r->enabled;
    }
    // warn_evttypes, skip-if-unknown-filter, capture*: accepted, no effect in vigil.
  }

  RuleCollection& c_;
  const FileText& file_;
  std::vector<RuleDiagnostic>& diags_;
  size_t base_offset_ = 0;  // of the current document in the file
  int base_line_ = 0;
};

void RuleCollection::AddFile(const FileText& file, std::vector<RuleDiagnostic>* diagnostics) {
  ItemReader(this, file, diagnostics).Run();
}

}  // namespace vigil::rules
