// vigil detection: alerts from rules evaluated on events.
//
//   vigil::RuleLoader loader;
//   loader.AddString("vigil_rules.yaml", std::string(vigil::DefaultRulesYaml()));
//   auto rules = loader.Compile();
//   if (!rules.ok()) return fail(rules.status());
//
//   vigil::Detector det(*rules, {}, [](const vigil::Alert& a) {
//     std::cout << a.ToJson() << "\n";              // Falco's JSON alert format
//   });
//   auto cap = vigil::Capture::OpenLive(vigil::CaptureOptionsFor(**rules));
//   if (!cap.ok()) return fail(cap.status());
//   det.Run(**cap, std::chrono::seconds(60));       // or until (*cap)->Stop()
//   for (const auto& s : det.stats().rules) ...     // per-rule counters and cost
//
// The same works over a recording: Capture::OpenRecording(path,
// CaptureOptionsFor(rules)), then Run() until the recording ends. Events can
// also be fed one at a time with Detector::Process (your own capture loop, a
// test, another event source).
//
// Threads: a Detector is used by one thread at a time. The alert callback is
// called on the thread that calls Process() or Run(), during that call; the
// `const Alert&` it receives is valid until the callback returns. An Alert is
// a self-contained value (its event is a detached copy): copy it to keep it.
// No call throws; the callback must not throw either.
#ifndef VIGIL_DETECT_HPP_
#define VIGIL_DETECT_HPP_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "vigil/capture.hpp"
#include "vigil/event.hpp"
#include "vigil/export.hpp"
#include "vigil/fields.hpp"
#include "vigil/rules.hpp"
#include "vigil/status.hpp"

namespace vigil {

// One process of an alert's ancestry.
struct AlertProcess {
  uint32_t pid = 0;
  std::string name;     // proc.name (comm)
  std::string exepath;  // proc.exepath
  std::string cmdline;  // proc.cmdline
};

// The container of the alert's process (absent for host processes).
struct AlertContainer {
  std::string id;  // the full id
  std::string name;
  std::string image;
};

struct AlertJsonOptions {
  // vigil's additions (rule index, suppression count, ancestry, container,
  // the event) under the one key "vigil". Off: exactly Falco's keys.
  bool vigil_fields = true;
  // Within "vigil": the whole event as Event::ToJson() renders it.
  bool include_event = true;
  // The time at the start of `output`: Falco's default is %evt.time (local
  // time of day, "13:53:31.726060287"); true gives Falco's
  // time_format_iso_8601 form ("2026-11-27T13:53:31.726060287Z").
  bool iso8601_output_time = false;
};

struct Alert {
  uint64_t wall_time_ns = 0;  // the event's time, ns since the epoch
  uint32_t rule = 0;          // index into RuleSet::rules()
  std::string rule_name;
  RulePriority priority = RulePriority::kDebug;
  std::vector<std::string> tags;
  std::string source = "syscall";
  // The rule's output template rendered for the event (Falco's "message",
  // without the time and priority prefix that ToJson's "output" carries).
  std::string output;
  // Each %field of the template with its value, in template order, once each
  // (an empty FieldValue: the field does not apply, Falco's <NA>).
  std::vector<std::pair<std::string, FieldValue>> output_fields;
  std::string hostname;
  // The process first, then its parent, ... up to pid 1 or
  // DetectorOptions::max_ancestry entries.
  std::vector<AlertProcess> ancestry;
  std::optional<AlertContainer> container;
  // Alerts of this rule suppressed by the rate limit since the previous
  // alert of this rule that was delivered.
  uint64_t suppressed_before = 0;
  // The event, detached (its fields stay answerable); null when
  // DetectorOptions::detach_event is false.
  std::shared_ptr<const Event> event;

  // Falco's JSON alert format (one object, no newline): "time" (RFC 3339,
  // ns, UTC), "rule", "priority" ("Critical", ...), "source", "hostname",
  // "output" ("<time>: <Priority> <message>"), "output_fields" (numbers as
  // numbers, booleans as booleans, <NA> as null, plus "evt.time" in ns as
  // Falco adds it), "tags"; and vigil's extras under "vigil" (see options).
  VIGIL_EXPORT std::string ToJson(const AlertJsonOptions& options = {}) const;
  // "<time>: <Priority> <output>", Falco's text output line.
  VIGIL_EXPORT std::string FalcoOutput(bool iso8601_time = false) const;
};

using AlertCallback = std::function<void(const Alert&)>;

struct DetectorOptions {
  // Stop at the first matching rule (in rule order) for each event.
  bool first_match_only = false;
  // Per-rule rate limit, a token bucket: each rule may alert `burst` times
  // at once, then `rate_per_second` times a second. Excess alerts are
  // suppressed and counted (DetectorRuleStats::suppressed and the next
  // alert's suppressed_before). Time is the events' own monotonic
  // timestamps, so a replay is limited exactly as the live capture was.
  // rate_per_second <= 0 disables the limit; a burst of 0 counts as 1.
  double rate_per_second = 10;
  uint32_t burst = 100;
  // Cost sampling: one evaluation in N of each rule is timed (see
  // RuleEvaluatorOptions::cost_sample_every); 0 disables timing.
  uint32_t cost_sample_every = 64;
  // Processes in Alert::ancestry (the process and its ancestors), at most 32.
  uint32_t max_ancestry = 16;
  // Each ancestry entry's cmdline is cut to this many bytes, with "...
  // [truncated]" appended; 0: no limit. Command lines of supervisors can be
  // huge and carry configuration (even secrets) that alerts should not copy
  // to every consumer; the alerting process's own cmdline, in the output
  // fields, is not affected.
  uint32_t max_ancestry_cmdline_bytes = 1024;
  // Attach a detached copy of the event to each alert (Alert::event).
  bool detach_event = true;
  // Alert::hostname; empty: gethostname() when the detector is created.
  std::string hostname;
};

struct DetectorRuleStats {
  uint64_t evaluations = 0;  // events the rule's condition ran on
  uint64_t matches = 0;      // ... and matched
  uint64_t alerts = 0;       // matches delivered to the callback
  uint64_t suppressed = 0;   // matches dropped by the rate limit
  // Sampled cost: evaluations that were timed, and their total time.
  uint64_t timed_evaluations = 0;
  uint64_t timed_ns = 0;
  // The estimated time spent in this rule: timed_ns scaled up to all
  // evaluations (0 when nothing was timed).
  double EstimatedNs() const {
    return timed_evaluations ? static_cast<double>(timed_ns) * static_cast<double>(evaluations) /
                                   static_cast<double>(timed_evaluations)
                             : 0.0;
  }
};

struct DetectorStats {
  uint64_t events = 0;  // events processed
  uint64_t alerts = 0;
  uint64_t suppressed = 0;
  std::vector<DetectorRuleStats> rules;  // indexed like RuleSet::rules()
};

// Evaluates a RuleSet's enabled rules on events and delivers alerts to a
// callback, rate-limited per rule. Not thread-safe: one thread at a time
// (several detectors may share a RuleSet).
class VIGIL_EXPORT Detector {
 public:
  // `rules` must not be null; `on_alert` may be empty (alerts are then only
  // counted).
  Detector(std::shared_ptr<const RuleSet> rules, const DetectorOptions& options,
           AlertCallback on_alert);
  ~Detector();
  Detector(Detector&&) noexcept;
  Detector& operator=(Detector&&) noexcept;

  // Evaluates `event` and calls the callback for each alert, on this thread,
  // before returning. Returns the number of alerts delivered.
  size_t Process(const Event& event);

  // Takes events from `capture` on this thread and processes each one, until
  // `duration` has passed, the capture is stopped (Capture::Stop from any
  // thread) or a recording ends; a zero duration means no time limit.
  // Returns the number of alerts delivered, or the capture's error.
  Result<uint64_t> Run(Capture& capture,
                       std::chrono::milliseconds duration = std::chrono::milliseconds(0));

  // Counters so far (call from the thread that processes events, or after).
  DetectorStats stats() const;
  const RuleSet& rules() const;
  const DetectorOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `base` with `events` set to what the rules need: the rules' interesting
// event types plus exec, fork and exit, which keep the process table (and so
// every proc.* field and the ancestry) accurate. These three are attached off
// the syscall path (sched tracepoints) and cost unrelated syscalls nothing.
// When the rules need dup, sendto or recvfrom, connect and accept come too
// (once per connection): they record which end of a socket is the server
// (fd.is_server, fd.sip, ... of the later events; without that record
// vigil guesses from the port order). `payload_bytes` is raised to CaptureOptions::kMaxPayloadBytes when a rule
// reads evt.buffer (RuleSet::ReadsPayload), and left as `base` has it
// otherwise.
VIGIL_EXPORT CaptureOptions CaptureOptionsFor(const RuleSet& rules, CaptureOptions base = {});

}  // namespace vigil

#endif  // VIGIL_DETECT_HPP_
