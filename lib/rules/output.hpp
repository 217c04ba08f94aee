// Rule output templates: "Shell spawned (user=%user.name %proc.cmdline)".
// A template is split once into literal text and fields resolved to
// FieldRefs; rendering only extracts and concatenates.
#ifndef VIGIL_LIB_RULES_OUTPUT_HPP_
#define VIGIL_LIB_RULES_OUTPUT_HPP_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vigil/event.hpp"
#include "vigil/fields.hpp"

namespace vigil::rules {

struct OutputPart {
  std::string text;               // literal text, or the field's name
  std::optional<FieldRef> field;  // set for %fields vigil knows
  bool is_field = false;          // %field (known or not: unknown ones render <NA>)
  // %evt.arg.<falco name>: the argument to read per body type (field: fallback).
  std::vector<std::pair<uint8_t, FieldRef>> by_body;
};

// Splits `tmpl` at %field tokens (%proc.name, %proc.aname[2], %evt.arg.path).
// Falco's %container.info becomes "container_id=%container.id
// container_name=%container.name". Fields vigil does not know are added to
// `unknown` (once each) and render as "<NA>".
std::vector<OutputPart> CompileOutput(std::string_view tmpl, std::vector<std::string>* unknown);

std::string RenderOutput(const std::vector<OutputPart>& parts, const Event& event);

// RenderOutput, also collecting each %field's value (once per name, in
// template order; fields vigil does not know have an empty value).
std::string RenderOutput(const std::vector<OutputPart>& parts, const Event& event,
                         std::vector<std::pair<std::string, FieldValue>>* fields);

}  // namespace vigil::rules

#endif  // VIGIL_LIB_RULES_OUTPUT_HPP_
