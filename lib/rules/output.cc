#include "rules/output.hpp"

#include <algorithm>

#include "fields/enrichment.hpp"
#include "fields/registry.hpp"
#include "rules/falco_compat.hpp"
#include "vigil/schema/event_generated.h"

namespace vigil::rules {

namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsIdentChar(char c) { return IsAlpha(c) || (c >= '0' && c <= '9') || c == '_'; }

// Length of "name(.name)+" optionally followed by "[arg]" at the start of s.
size_t FieldTokenLength(std::string_view s) {
  size_t n = 0;
  if (s.empty() || !IsAlpha(s[0])) return 0;
  while (n < s.size() && IsIdentChar(s[n])) ++n;
  bool dotted = false;
  while (n + 1 < s.size() && s[n] == '.' && IsAlpha(s[n + 1])) {
    ++n;
    while (n < s.size() && IsIdentChar(s[n])) ++n;
    dotted = true;
  }
  if (!dotted) return 0;
  if (n < s.size() && s[n] == '[') {
    const size_t close = s.find(']', n);
    if (close != std::string_view::npos) n = close + 1;
  }
  return n;
}

}  // namespace

std::vector<OutputPart> CompileOutput(std::string_view tmpl, std::vector<std::string>* unknown) {
  std::string expanded;
  constexpr std::string_view kInfo = "%container.info";
  for (size_t i = 0; i < tmpl.size();) {
    if (tmpl.substr(i, kInfo.size()) == kInfo && !IsIdentChar(i + kInfo.size() < tmpl.size()
                                                                   ? tmpl[i + kInfo.size()]
                                                                   : ' ')) {
      expanded += "container_id=%container.id container_name=%container.name";
      i += kInfo.size();
    } else {
      expanded.push_back(tmpl[i++]);
    }
  }

  std::vector<OutputPart> parts;
  std::string text;
  std::string_view s = expanded;
  for (size_t i = 0; i < s.size();) {
    size_t n = s[i] == '%' ? FieldTokenLength(s.substr(i + 1)) : 0;
    if (n == 0) {
      text.push_back(s[i++]);
      continue;
    }
    if (!text.empty()) parts.push_back(OutputPart{std::move(text), std::nullopt, false});
    text.clear();
    std::string name(s.substr(i + 1, n));
    OutputPart p;
    p.is_field = true;
    // evt.arg[path] is Falco's spelling of evt.arg.path.
    std::string lookup = name;
    if (lookup.substr(0, 8) == "evt.arg[" && lookup.back() == ']' &&
        !std::all_of(lookup.begin() + 8, lookup.end() - 1, [](char c) { return c >= '0' && c <= '9'; }))
      lookup = "evt.arg." + lookup.substr(8, lookup.size() - 9);
    if (lookup.substr(0, 8) == "evt.arg.") {
      for (const ArgAlias& a : ArgAliases(lookup.substr(8))) {
        FieldRef r;
        r.id = static_cast<uint32_t>(fields::FieldId::kEvtArg);
        r.key = std::string(a.vigil_name);
        p.by_body.emplace_back(static_cast<uint8_t>(a.body), std::move(r));
      }
    }
    if (Result<FieldRef> ref = ResolveField(lookup); ref.ok()) {
      p.field = *ref;
    } else if (!p.by_body.empty()) {
      // Known through its Falco name only.
    } else if (unknown && std::find(unknown->begin(), unknown->end(), name) == unknown->end()) {
      unknown->push_back(name);
    }
    p.text = std::move(name);
    parts.push_back(std::move(p));
    i += 1 + n;
  }
  if (!text.empty()) parts.push_back(OutputPart{std::move(text), std::nullopt, false});
  return parts;
}

std::string RenderOutput(const std::vector<OutputPart>& parts, const Event& event) {
  return RenderOutput(parts, event, nullptr);
}

std::string RenderOutput(const std::vector<OutputPart>& parts, const Event& event,
                         std::vector<std::pair<std::string, FieldValue>>* fields) {
  std::string out;
  const auto& table = *static_cast<const schema::Event*>(event.table());
  std::optional<fields::Enrichment> en;
  if (event.context()) en.emplace(table, event.context());
  const auto body = static_cast<uint8_t>(table.body_type());
  auto keep = [&](const std::string& name, FieldValue v) {
    if (!fields) return;
    for (const auto& [n, _] : *fields)
      if (n == name) return;
    fields->emplace_back(name, std::move(v));
  };
  for (const OutputPart& p : parts) {
    if (!p.is_field) {
      out += p.text;
      continue;
    }
    const FieldRef* ref = p.field ? &*p.field : nullptr;
    for (const auto& [b, r] : p.by_body)
      if (b == body) ref = &r;
    if (!ref) {
      out += "<NA>";
      keep(p.text, FieldValue{});
      continue;
    }
    FieldValue v = en ? fields::Extract(*ref, table, *en) : event.Field(*ref);
    out += FieldValueToString(v);
    keep(p.text, std::move(v));
  }
  return out;
}

}  // namespace vigil::rules
