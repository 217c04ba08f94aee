// vigil::Detector and vigil::Alert (vigil/detect.hpp): rules evaluated on
// events, alerts built from the rule, the event and the process state, a
// token bucket per rule, and Falco's JSON alert format.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <new>
#include <optional>
#include <utility>

#include "core/json_writer.hpp"
#include "fields/enrichment.hpp"
#include "fields/registry.hpp"
#include "rules/output.hpp"
#include "rules/ruleset_impl.hpp"
#include "vigil/detect.hpp"
#include "vigil/schema/event_generated.h"

namespace vigil {

namespace {

using fields::FieldId;

constexpr uint32_t kMaxAncestry = static_cast<uint32_t>(fields::kMaxAncestors);

FieldRef Ref(FieldId id, int64_t index = -1) {
  FieldRef r;
  r.id = static_cast<uint32_t>(id);
  r.index = index;
  return r;
}

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

// Falco's %evt.time: local time of day with nanoseconds.
std::string TimeOfDay(uint64_t wall_ns) {
  const time_t secs = static_cast<time_t>(wall_ns / 1'000'000'000);
  struct tm tm_buf {};
  localtime_r(&secs, &tm_buf);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%09u", tm_buf.tm_hour, tm_buf.tm_min,
                tm_buf.tm_sec, static_cast<unsigned>(wall_ns % 1'000'000'000));
  return buf;
}

void WriteValue(internal::JsonWriter& w, const FieldValue& v) {
  switch (v.index()) {
    case 0: w.Null(); break;
    case 1: w.String(std::get<std::string>(v)); break;
    case 2: w.Int(std::get<int64_t>(v)); break;
    case 3: w.UInt(std::get<uint64_t>(v)); break;
    case 4: w.Bool(std::get<bool>(v)); break;
    default: w.String(FieldValueToString(v)); break;  // lists: Falco's "(a,b)"
  }
}

std::string AsString(const FieldValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return {};
}

}  // namespace

// ---- Alert ------------------------------------------------------------------------

std::string Alert::FalcoOutput(bool iso8601_time) const {
  std::string out;
  if (iso8601_time)
    internal::AppendRfc3339(&out, wall_time_ns);
  else
    out = TimeOfDay(wall_time_ns);
  out += ": ";
  out += RulePriorityName(priority);
  out += ' ';
  out += output;
  return out;
}

std::string Alert::ToJson(const AlertJsonOptions& options) const {
  std::string out;
  try {
    internal::JsonWriter w(&out);
    w.BeginObject();
    w.Key("time");
    w.Time(wall_time_ns);
    w.Key("rule");
    w.String(rule_name);
    w.Key("priority");
    w.String(RulePriorityName(priority));
    w.Key("source");
    w.String(source);
    w.Key("hostname");
    w.String(hostname);
    w.Key("output");
    w.String(FalcoOutput(options.iso8601_output_time));
    w.Key("output_fields");
    w.BeginObject();
    bool have_time = false;
    for (const auto& [name, value] : output_fields) {
      have_time = have_time || name == "evt.time";
      w.Key(name);
      // Falco renders evt.time as the raw timestamp in JSON.
      if (name == "evt.time") w.UInt(wall_time_ns); else WriteValue(w, value);
    }
    if (!have_time) {
      w.Key("evt.time");
      w.UInt(wall_time_ns);
    }
    w.EndObject();
    w.Key("tags");
    w.BeginArray();
    for (const std::string& t : tags) w.String(t);
    w.EndArray();
    if (options.vigil_fields) {
      w.Key("vigil");
      w.BeginObject();
      w.Key("rule_index");
      w.UInt(rule);
      w.Key("suppressed_before");
      w.UInt(suppressed_before);
      w.Key("ancestry");
      w.BeginArray();
      for (const AlertProcess& p : ancestry) {
        w.BeginObject();
        w.Key("pid");
        w.UInt(p.pid);
        w.Key("name");
        w.String(p.name);
        w.Key("exepath");
        w.String(p.exepath);
        w.Key("cmdline");
        w.String(p.cmdline);
        w.EndObject();
      }
      w.EndArray();
      w.Key("container");
      if (container) {
        w.BeginObject();
        w.Key("id");
        w.String(container->id);
        w.Key("name");
        w.String(container->name);
        w.Key("image");
        w.String(container->image);
        w.EndObject();
      } else {
        w.Null();
      }
      if (options.include_event && event) {
        w.Key("event");
        w.Raw(event->ToJson());
      }
      w.EndObject();
    }
    w.EndObject();
  } catch (const std::bad_alloc&) {
    return {};
  }
  return out;
}

// ---- Detector ---------------------------------------------------------------------

struct Detector::Impl {
  std::shared_ptr<const RuleSet> rules;
  DetectorOptions options;
  AlertCallback on_alert;
  RuleEvaluator evaluator;
  std::string hostname;
  uint64_t events = 0;

  struct Bucket {
    double tokens = 0;
    uint64_t last_ns = 0;
    bool started = false;
  };
  struct PerRule {
    Bucket bucket;
    uint64_t alerts = 0;
    uint64_t suppressed = 0;
    uint64_t suppressed_since_alert = 0;
  };
  std::vector<PerRule> per_rule;

  // Pre-resolved fields of the ancestry (level i: pid, name, exepath, cmdline).
  std::vector<std::array<FieldRef, 4>> ancestry_refs;
  FieldRef container_id = Ref(FieldId::kContainerFullId);
  FieldRef container_name = Ref(FieldId::kContainerName);
  FieldRef container_image = Ref(FieldId::kContainerImage);

  Impl(std::shared_ptr<const RuleSet> r, const DetectorOptions& o, AlertCallback cb)
      : rules(std::move(r)),
        options(o),
        on_alert(std::move(cb)),
        evaluator(rules, RuleEvaluatorOptions{o.first_match_only, o.cost_sample_every}) {
    hostname = options.hostname.empty() ? HostName() : options.hostname;
    per_rule.resize(rules->rules().size());
    const uint32_t levels = std::min(options.max_ancestry, kMaxAncestry);
    for (uint32_t i = 0; i < levels; ++i)
      ancestry_refs.push_back({Ref(FieldId::kProcApid, i), Ref(FieldId::kProcAname, i),
                               Ref(FieldId::kProcAexepath, i), Ref(FieldId::kProcAcmdline, i)});
  }

  // Token bucket: true when rule `r` may alert at time `now_ns`.
  bool Admit(PerRule& pr, uint64_t now_ns) {
    if (options.rate_per_second <= 0) return true;
    const double burst = std::max<uint32_t>(options.burst, 1);
    Bucket& b = pr.bucket;
    if (!b.started) {
      b.started = true;
      b.tokens = burst;
      b.last_ns = now_ns;
    } else if (now_ns > b.last_ns) {  // events of several CPUs may be slightly out of order
      b.tokens = std::min(burst, b.tokens + static_cast<double>(now_ns - b.last_ns) *
                                                options.rate_per_second / 1e9);
      b.last_ns = now_ns;
    }
    if (b.tokens < 1.0) return false;
    b.tokens -= 1.0;
    return true;
  }

  void Build(uint32_t r, const Event& event, Alert* a) {
    const RuleInfo& info = rules->rules()[r];
    a->wall_time_ns = event.wall_time_ns();
    a->rule = r;
    a->rule_name = info.name;
    a->priority = info.priority;
    a->tags = info.tags;
    a->source = info.source;
    a->hostname = hostname;
    a->output = rules::RenderOutput(rules->impl_->compiled[r].output, event, &a->output_fields);

    const auto& table = *static_cast<const schema::Event*>(event.table());
    std::optional<fields::Enrichment> en;
    if (event.context()) en.emplace(table, event.context());
    auto get = [&](const FieldRef& ref) {
      return en ? fields::Extract(ref, table, *en) : event.Field(ref);
    };
    for (const auto& refs : ancestry_refs) {
      FieldValue pid = get(refs[0]);
      if (std::holds_alternative<std::monostate>(pid)) break;
      AlertProcess p;
      if (const auto* v = std::get_if<int64_t>(&pid)) p.pid = static_cast<uint32_t>(*v);
      if (const auto* v = std::get_if<uint64_t>(&pid)) p.pid = static_cast<uint32_t>(*v);
      p.name = AsString(get(refs[1]));
      p.exepath = AsString(get(refs[2]));
      p.cmdline = AsString(get(refs[3]));
      if (options.max_ancestry_cmdline_bytes && p.cmdline.size() > options.max_ancestry_cmdline_bytes) {
        p.cmdline.resize(options.max_ancestry_cmdline_bytes);
        p.cmdline += "... [truncated]";
      }
      const bool init = p.pid <= 1;
      a->ancestry.push_back(std::move(p));
      if (init) break;
    }
    std::string cid = AsString(get(container_id));
    if (!cid.empty() && cid != "host") {
      AlertContainer c;
      c.id = std::move(cid);
      c.name = AsString(get(container_name));
      c.image = AsString(get(container_image));
      a->container = std::move(c);
    }
    if (options.detach_event) a->event = std::shared_ptr<const Event>(event.Detach());
  }

  size_t Process(const Event& event) {
    ++events;
    size_t delivered = 0;
    for (uint32_t r : evaluator.Evaluate(event)) {
      PerRule& pr = per_rule[r];
      if (!Admit(pr, event.mono_time_ns())) {
        ++pr.suppressed;
        ++pr.suppressed_since_alert;
        continue;
      }
      ++pr.alerts;
      ++delivered;
      if (!on_alert) {
        pr.suppressed_since_alert = 0;
        continue;
      }
      try {
        Alert a;
        a.suppressed_before = pr.suppressed_since_alert;
        Build(r, event, &a);
        pr.suppressed_since_alert = 0;
        on_alert(a);
      } catch (const std::bad_alloc&) {
        // Counted as delivered above; nothing more can be done without memory.
      }
    }
    return delivered;
  }
};

Detector::Detector(std::shared_ptr<const RuleSet> rules, const DetectorOptions& options,
                   AlertCallback on_alert)
    : impl_(std::make_unique<Impl>(std::move(rules), options, std::move(on_alert))) {}
Detector::~Detector() = default;
Detector::Detector(Detector&&) noexcept = default;
Detector& Detector::operator=(Detector&&) noexcept = default;

size_t Detector::Process(const Event& event) { return impl_->Process(event); }

Result<uint64_t> Detector::Run(Capture& capture, std::chrono::milliseconds duration) {
  uint64_t alerts = 0;
  const auto start = std::chrono::steady_clock::now();
  // Short polls so that a Stop() or the deadline is noticed promptly.
  constexpr std::chrono::milliseconds kSlice(200);
  while (!capture.at_end()) {
    std::chrono::milliseconds wait = kSlice;
    if (duration.count() > 0) {
      const auto left = duration - std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - start);
      if (left.count() <= 0) break;
      wait = std::min(wait, left);
    }
    Result<size_t> n = capture.Poll(wait, [&](const Event& e) { alerts += Process(e); });
    if (!n.ok()) return n.status();
  }
  return alerts;
}

DetectorStats Detector::stats() const {
  const Impl& im = *impl_;
  DetectorStats s;
  s.events = im.events;
  const std::vector<RuleStats>& es = im.evaluator.stats();
  s.rules.resize(im.per_rule.size());
  for (size_t r = 0; r < s.rules.size(); ++r) {
    DetectorRuleStats& d = s.rules[r];
    if (r < es.size()) {
      d.evaluations = es[r].evaluations;
      d.matches = es[r].matches;
      d.timed_evaluations = es[r].timed_evaluations;
      d.timed_ns = es[r].timed_ns;
    }
    d.alerts = im.per_rule[r].alerts;
    d.suppressed = im.per_rule[r].suppressed;
    s.alerts += d.alerts;
    s.suppressed += d.suppressed;
  }
  return s;
}

const RuleSet& Detector::rules() const { return *impl_->rules; }
const DetectorOptions& Detector::options() const { return impl_->options; }

CaptureOptions CaptureOptionsFor(const RuleSet& rules, CaptureOptions base) {
  std::vector<EventType> types = rules.InterestingEventTypes();
  auto add = [&](EventType t) {
    if (std::find(types.begin(), types.end(), t) == types.end()) types.push_back(t);
  };
  for (EventType t : {EventType::kExec, EventType::kFork, EventType::kExit}) add(t);
  // Events on an existing socket (dup, sendto, recvfrom) learn which end is
  // the server from the capture's record of its connect or accept.
  for (EventType t : {EventType::kDup, EventType::kSendto, EventType::kRecvfrom}) {
    if (std::find(types.begin(), types.end(), t) != types.end()) {
      add(EventType::kConnect);
      add(EventType::kAccept);
    }
  }
  std::sort(types.begin(), types.end());
  base.events = std::move(types);
  if (rules.ReadsPayload())
    base.payload_bytes = std::max(base.payload_bytes, CaptureOptions::kMaxPayloadBytes);
  return base;
}

}  // namespace vigil
