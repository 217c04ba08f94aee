// `vigil`: the reference command line, built on the public C++ API only.
//
//   vigil capture [--duration S] [--events TYPES] [--container-only]
//                 [--write FILE] [--read FILE] [--stats] [--asset-interval S]
//                 [--payload-bytes N]
//   vigil assets [TABLE...] [--root PATH | --container PID] [--query SQL] [--json]
//   vigil detect [--rules FILE...] [--duration S] [--read FILE]
//                [--container-only] [--no-vigil-fields] [--asset-interval S]
//   vigil rules check FILE...
//   vigil fields | version | help
//
// `capture` prints one JSON object per event and line on stdout (exactly
// Event::ToJson, so a replay of a recording prints what the live capture
// printed). `detect` prints one alert per line in Falco's JSON alert format
// (Alert::ToJson); the rules' warnings and a stats summary go to stderr. Errors go to stderr with exit status 1, after the events that
// came before them. SIGINT/SIGTERM end a capture cleanly: the handler only
// sets a flag (Capture::Stop is not async-signal-safe), which the loop checks
// between short waits.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "samples/agent/commands.hpp"
#include "vigil/capture.hpp"
#include "vigil/detect.hpp"
#include "vigil/event.hpp"
#include "vigil/fields.hpp"
#include "vigil/rules.hpp"
#include "vigil/status.hpp"
#include "vigil/version.hpp"

namespace {

constexpr const char kUsage[] =
    "usage: vigil <command> [options]\n"
    "\n"
    "commands:\n"
    "  capture   print events as JSON lines (live from the kernel, or from a recording)\n"
    "  assets    inventory tables (users, packages, ports, ...) of the host, a container or a\n"
    "            root filesystem, or an SQL query over them (vigil assets --help)\n"
    "  detect    evaluate rules on events and print alerts as JSON lines (Falco's format)\n"
    "  rules check FILE...  validate rule files: counts, unsupported and invalid rules\n"
    "  fields    list the fields events can be queried by (name, type, description)\n"
    "  version   print the library and event schema versions\n"
    "  help      print this help\n"
    "\n"
    "capture options:\n"
    "  --duration S       stop after S seconds (live default: until SIGINT/SIGTERM)\n"
    "  --events TYPES     comma-separated event types and categories, e.g. exec,open,network\n"
    "                     (default: every kernel type; asset_change adds asset changes)\n"
    "  --asset-interval S seconds between inventories for asset_change events (default 60)\n"
    "  --payload-bytes N  keep the first N (<= 127) bytes of sendto/recvfrom payloads\n"
    "                     (evt.buffer, \"buffer_hex\" in the JSON; default 0: payloads\n"
    "                     are the workload's data)\n"
    "  --container-only   only events of processes in containers\n"
    "  --write FILE       also record the live capture to FILE\n"
    "  --read FILE        replay FILE (a recording made with --write) instead of the kernel\n"
    "  --stats            print the capture counters as JSON on stderr at the end\n"
    "\n"
    "detect options:\n"
    "  --rules FILE       a rule file (repeatable; later files override earlier ones;\n"
    "                     default: vigil's embedded default rules)\n"
    "  --duration S, --read FILE, --container-only, --asset-interval S   as for capture\n"
    "                     (rules of source assets turn asset_change events on)\n"
    "  --no-vigil-fields  only Falco's alert keys (no \"vigil\" object)\n"
    "\n"
    "Live capture needs root (or CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN).\n";

// The end of a `--duration S` run (none without it), and how long the next
// wait may be: at most 100 ms so that SIGINT is seen promptly, and not past
// the deadline; nullopt once it has passed.
using Clock = std::chrono::steady_clock;

std::optional<Clock::time_point> DeadlineAfter(const std::optional<double>& seconds) {
  if (!seconds) return std::nullopt;
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*seconds));
}

std::optional<std::chrono::milliseconds> NextWait(const std::optional<Clock::time_point>& deadline) {
  auto wait = std::chrono::milliseconds(100);
  if (!deadline) return wait;
  auto now = Clock::now();
  if (now >= *deadline) return std::nullopt;
  return std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - now) +
                            std::chrono::milliseconds(1));
}

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true, std::memory_order_relaxed); }

int Fail(const std::string& message) {
  fflush(stdout);
  fprintf(stderr, "vigil: %s\n", message.c_str());
  return 1;
}

// The capture behind `vigil capture` and `vigil detect`: the stop signals
// are installed first (a signal during the slow eBPF load still stops
// cleanly), then the recording at `read_path` or the live kernel is opened;
// kernel features that are missing are warned about, and stdout is buffered.
vigil::Result<std::unique_ptr<vigil::Capture>> OpenForOutput(const std::string& read_path,
                                                             const vigil::CaptureOptions& opts) {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed stdout is reported as a write error
  const bool replay = !read_path.empty();
  auto cap = replay ? vigil::Capture::OpenRecording(read_path, opts) : vigil::Capture::OpenLive(opts);
  if (cap.ok() && !replay) {
    for (const std::string& u : (*cap)->features().unavailable)
      fprintf(stderr, "vigil: warning: unavailable: %s\n", u.c_str());
  }
  static char buffer[1 << 16];
  setvbuf(stdout, buffer, _IOFBF, sizeof(buffer));
  return cap;
}

int UsageError(const std::string& message) {
  fprintf(stderr, "vigil: %s\n\n%s", message.c_str(), kUsage);
  return 1;
}

// Walks "--flag value" and "--flag=value" arguments.
class ArgReader {
 public:
  ArgReader(int argc, char** argv) : argc_(argc), argv_(argv) {}
  // Moves to the next argument; false at the end.
  bool Next() {
    if (++i_ >= argc_) return false;
    flag_ = argv_[i_];
    inline_value_.clear();
    has_inline_ = false;
    if (auto eq = flag_.find('='); flag_.substr(0, 2) == "--" && eq != std::string_view::npos) {
      inline_value_ = std::string(flag_.substr(eq + 1));
      flag_ = flag_.substr(0, eq);
      has_inline_ = true;
    }
    return true;
  }
  std::string_view flag() const { return flag_; }
  // For switches: "--stats=x" is not the switch.
  bool Is(std::string_view name) const { return flag_ == name && !has_inline_; }
  bool has_inline() const { return has_inline_; }
  const char* raw() const { return argv_[i_]; }
  // The flag's value: after '=' or the next argument. False when missing.
  bool Value(std::string* dst) {
    if (has_inline_) {
      *dst = inline_value_;
      return true;
    }
    if (i_ + 1 >= argc_) return false;
    *dst = argv_[++i_];
    return true;
  }
  // The next argument if it is not an option (for lists: --rules a b c).
  bool NextWord(std::string* dst) {
    if (has_inline_ || i_ + 1 >= argc_ || argv_[i_ + 1][0] == '-') return false;
    *dst = argv_[++i_];
    return true;
  }

 private:
  int argc_;
  char** argv_;
  int i_ = -1;
  std::string_view flag_;
  std::string inline_value_;
  bool has_inline_ = false;
};

// "--duration S", "--asset-interval S": a non-negative number of seconds.
int ParseSeconds(ArgReader& a, std::optional<double>* out) {
  const std::string flag(a.flag());
  std::string s;
  if (!a.Value(&s)) return UsageError(flag + " needs a number of seconds");
  char* end = nullptr;
  double d = strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !(d >= 0) || d > 86400 * 365)
    return UsageError(flag + ": not a number of seconds: '" + s + "'");
  *out = d;
  return 0;
}

// Asset changes (--events asset_change, or rules of source assets): how
// often the host is inventoried.
void SetAssetInterval(const std::optional<double>& seconds, vigil::CaptureOptions* opts) {
  if (seconds)
    opts->asset_watch_interval =
        std::chrono::milliseconds(std::max<int64_t>(1, static_cast<int64_t>(*seconds * 1000)));
}


struct CaptureArgs {
  std::optional<double> duration_s;
  std::optional<double> asset_interval_s;
  std::string events;
  uint32_t payload_bytes = 0;
  bool container_only = false;
  std::string write_path;
  std::string read_path;
  bool stats = false;
};

int ParseCaptureArgs(int argc, char** argv, CaptureArgs* out) {
  ArgReader a(argc, argv);
  while (a.Next()) {
    if (a.flag() == "--duration") {
      if (int rc = ParseSeconds(a, &out->duration_s)) return rc;
    } else if (a.flag() == "--asset-interval") {
      if (int rc = ParseSeconds(a, &out->asset_interval_s)) return rc;
    } else if (a.flag() == "--events") {
      if (!a.Value(&out->events)) return UsageError("--events needs a list of types");
    } else if (a.flag() == "--payload-bytes") {
      std::string s;
      char* end = nullptr;
      if (!a.Value(&s) || s.empty()) return UsageError("--payload-bytes needs a number");
      unsigned long n = strtoul(s.c_str(), &end, 10);
      if (*end != '\0' || s[0] == '-' || n > vigil::CaptureOptions::kMaxPayloadBytes)
        return UsageError("--payload-bytes: not a number from 0 to " +
                          std::to_string(vigil::CaptureOptions::kMaxPayloadBytes) + ": '" + s +
                          "'");
      out->payload_bytes = static_cast<uint32_t>(n);
    } else if (a.flag() == "--write") {
      if (!a.Value(&out->write_path) || out->write_path.empty())
        return UsageError("--write needs a file name");
    } else if (a.flag() == "--read") {
      if (!a.Value(&out->read_path) || out->read_path.empty())
        return UsageError("--read needs a file name");
    } else if (a.Is("--container-only")) {
      out->container_only = true;
    } else if (a.Is("--stats")) {
      out->stats = true;
    } else {
      return UsageError("capture: unknown option '" + std::string(a.raw()) + "'");
    }
  }
  if (!out->read_path.empty() && !out->write_path.empty())
    return UsageError("--read and --write cannot be combined");
  return 0;
}

void PrintStats(const vigil::CaptureStats& s) {
  std::string out = "{";
  auto num = [&](const char* key, uint64_t v) {
    if (out.size() > 1) out += ",";
    out += "\"";
    out += key;
    out += "\":";
    out += std::to_string(v);
  };
  num("events_received", s.events_received);
  num("events_delivered", s.events_delivered);
  num("events_filtered", s.events_filtered);
  num("events_malformed", s.events_malformed);
  out += ",\"kernel_drops\":{";
  for (int c = 0; c < vigil::kEventCategoryCount; ++c) {
    if (c) out += ",";
    out += "\"";
    out += vigil::EventCategoryName(static_cast<vigil::EventCategory>(c));
    out += "\":" + std::to_string(s.kernel_drops[c]);
  }
  out += "}";
  num("kernel_drops_total", s.kernel_drops_total);
  num("processes_tracked", s.processes_tracked);
  num("process_evictions", s.process_evictions);
  num("process_misses", s.process_misses);
  num("containers_tracked", s.containers_tracked);
  num("container_evictions", s.container_evictions);
  num("bytes_recorded", s.bytes_recorded);
  out += "}";
  fprintf(stderr, "%s\n", out.c_str());
}

int Capture(int argc, char** argv) {
  CaptureArgs args;
  if (int rc = ParseCaptureArgs(argc, argv, &args)) return rc;

  vigil::CaptureOptions opts;
  if (!args.events.empty()) {
    auto types = vigil::ParseEventTypes(args.events);
    if (!types.ok()) return Fail("--events: " + types.status().message());
    opts.events = std::move(*types);
  }
  opts.container_only = args.container_only;
  opts.write_path = args.write_path;
  opts.payload_bytes = args.payload_bytes;
  SetAssetInterval(args.asset_interval_s, &opts);

  auto cap = OpenForOutput(args.read_path, opts);
  if (!cap.ok()) return Fail(cap.status().ToString());
  vigil::Capture& capture = **cap;

  const auto deadline = DeadlineAfter(args.duration_s);
  int rc = 0;
  while (!g_stop.load(std::memory_order_relaxed)) {
    auto wait = NextWait(deadline);
    if (!wait) break;
    auto ev = capture.Next(*wait);
    if (!ev.ok()) {
      rc = Fail(ev.status().ToString());
      break;
    }
    if (*ev == nullptr) {
      if (capture.at_end()) break;
      fflush(stdout);  // idle: let readers of a pipe see what we have
      continue;
    }
    std::string line = (*ev)->ToJson();
    line.push_back('\n');
    if (fwrite(line.data(), 1, line.size(), stdout) != line.size()) {
      rc = Fail(std::string("writing to stdout: ") + strerror(errno));
      break;
    }
  }
  if (fflush(stdout) != 0 && rc == 0) rc = Fail(std::string("writing to stdout: ") + strerror(errno));
  if (args.stats) PrintStats(capture.stats());
  cap->reset();  // detaches the programs and finishes a recording before exit
  return rc;
}

// ---- detect -----------------------------------------------------------------

struct DetectArgs {
  std::vector<std::string> rules;
  std::optional<double> duration_s;
  std::optional<double> asset_interval_s;
  std::string read_path;
  bool container_only = false;
  bool vigil_fields = true;
};

int ParseDetectArgs(int argc, char** argv, DetectArgs* out) {
  ArgReader a(argc, argv);
  while (a.Next()) {
    if (a.flag() == "--rules") {
      std::string f;
      if (!a.Value(&f) || f.empty()) return UsageError("--rules needs a file name");
      out->rules.push_back(f);
      // `--rules a.yaml b.yaml`: following non-option words are files too.
      while (a.NextWord(&f)) out->rules.push_back(f);
    } else if (a.flag() == "--duration") {
      if (int rc = ParseSeconds(a, &out->duration_s)) return rc;
    } else if (a.flag() == "--read") {
      if (!a.Value(&out->read_path) || out->read_path.empty())
        return UsageError("--read needs a file name");
    } else if (a.flag() == "--asset-interval") {
      if (int rc = ParseSeconds(a, &out->asset_interval_s)) return rc;
    } else if (a.Is("--container-only")) {
      out->container_only = true;
    } else if (a.Is("--no-vigil-fields")) {
      out->vigil_fields = false;
    } else {
      return UsageError("detect: unknown option '" + std::string(a.raw()) + "'");
    }
  }
  return 0;
}

// Loads `files` (or the embedded default rules) and compiles them; warnings
// go to stderr. Null (after printing the error) on failure.
std::shared_ptr<const vigil::RuleSet> LoadRules(const std::vector<std::string>& files) {
  vigil::RuleLoader loader;
  if (files.empty()) {
    loader.AddString("vigil_rules.yaml (embedded)", std::string(vigil::DefaultRulesYaml()));
  }
  for (const std::string& f : files) {
    if (vigil::Status s = loader.AddFile(f); !s.ok()) {
      Fail(s.ToString());
      return nullptr;
    }
  }
  auto rules = loader.Compile();
  for (const vigil::RuleDiagnostic& d : loader.diagnostics())
    fprintf(stderr, "vigil: %s\n", d.ToString().c_str());
  if (!rules.ok()) {
    Fail(rules.status().ToString());
    return nullptr;
  }
  return *rules;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// One JSON object on stderr: totals, then every rule that ran, costliest first.
void PrintDetectStats(const vigil::Detector& det, const vigil::CaptureStats& cs) {
  vigil::DetectorStats s = det.stats();
  const auto& infos = det.rules().rules();
  std::vector<size_t> order;
  for (size_t r = 0; r < s.rules.size(); ++r)
    if (s.rules[r].evaluations > 0) order.push_back(r);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return s.rules[a].EstimatedNs() > s.rules[b].EstimatedNs();
  });
  std::string out = "{\"events\":" + std::to_string(s.events) +
                    ",\"alerts\":" + std::to_string(s.alerts) +
                    ",\"suppressed\":" + std::to_string(s.suppressed) +
                    ",\"rules_enabled\":" + std::to_string(det.rules().enabled_count()) +
                    ",\"kernel_drops\":" + std::to_string(cs.kernel_drops_total) + ",\"rules\":[";
  for (size_t i = 0; i < order.size(); ++i) {
    const vigil::DetectorRuleStats& r = s.rules[order[i]];
    if (i) out += ",";
    out += "{\"rule\":" + JsonString(infos[order[i]].name) +
           ",\"evaluations\":" + std::to_string(r.evaluations) +
           ",\"matches\":" + std::to_string(r.matches) + ",\"alerts\":" + std::to_string(r.alerts) +
           ",\"suppressed\":" + std::to_string(r.suppressed) +
           ",\"est_ms\":" + std::to_string(r.EstimatedNs() / 1e6) + "}";
  }
  out += "]}";
  fprintf(stderr, "%s\n", out.c_str());
}

int Detect(int argc, char** argv) {
  DetectArgs args;
  if (int rc = ParseDetectArgs(argc, argv, &args)) return rc;
  std::shared_ptr<const vigil::RuleSet> rules = LoadRules(args.rules);
  if (!rules) return 1;
  if (rules->enabled_count() == 0) fprintf(stderr, "vigil: warning: no rule is enabled\n");

  vigil::CaptureOptions base;
  base.container_only = args.container_only;
  SetAssetInterval(args.asset_interval_s, &base);
  const vigil::CaptureOptions opts = vigil::CaptureOptionsFor(*rules, base);

  auto cap = OpenForOutput(args.read_path, opts);
  if (!cap.ok()) return Fail(cap.status().ToString());
  vigil::Capture& capture = **cap;
  vigil::AlertJsonOptions json;
  json.vigil_fields = args.vigil_fields;
  int rc = 0;
  vigil::Detector det(rules, {}, [&](const vigil::Alert& a) {
    if (rc != 0) return;
    std::string line = a.ToJson(json);
    line.push_back('\n');
    if (fwrite(line.data(), 1, line.size(), stdout) != line.size())
      rc = Fail(std::string("writing to stdout: ") + strerror(errno));
    else
      fflush(stdout);  // alerts are rare (rate-limited): deliver each at once
  });

  const auto deadline = DeadlineAfter(args.duration_s);
  while (rc == 0 && !g_stop.load(std::memory_order_relaxed)) {
    auto wait = NextWait(deadline);
    if (!wait) break;
    auto ev = capture.Next(*wait);
    if (!ev.ok()) {
      rc = Fail(ev.status().ToString());
      break;
    }
    if (*ev == nullptr) {
      if (capture.at_end()) break;
      continue;
    }
    det.Process(**ev);
  }
  if (fflush(stdout) != 0 && rc == 0) rc = Fail(std::string("writing to stdout: ") + strerror(errno));
  PrintDetectStats(det, capture.stats());
  cap->reset();
  return rc;
}

// ---- rules check ------------------------------------------------------------

int RulesCheck(int argc, char** argv) {
  if (argc == 0) return UsageError("rules check needs at least one rule file");
  vigil::RuleLoader loader;
  for (int i = 0; i < argc; ++i) {
    if (argv[i][0] == '-') return UsageError("rules check: unknown option '" + std::string(argv[i]) + "'");
    if (vigil::Status s = loader.AddFile(argv[i]); !s.ok()) return Fail(s.ToString());
  }
  vigil::RuleCompileOptions copts;
  copts.strict = false;  // report every rule's state, not only the first error
  copts.resolve_host_names = false;  // checking needs no DNS
  auto rules = loader.Compile(copts);
  size_t errors = 0, warnings = 0;
  for (const vigil::RuleDiagnostic& d : loader.diagnostics()) {
    printf("%s\n", d.ToString().c_str());
    (d.severity == vigil::RuleDiagnostic::Severity::kError ? errors : warnings)++;
  }
  if (!rules.ok()) return Fail(rules.status().ToString());
  size_t count[4] = {0, 0, 0, 0};
  for (const vigil::RuleInfo& r : (*rules)->rules()) {
    ++count[static_cast<int>(r.state)];
    if (r.state == vigil::RuleState::kUnsupported || r.state == vigil::RuleState::kInvalid) {
      std::string state(vigil::RuleStateName(r.state));
      printf("%s: rule '%s' (%s:%d): %s\n", state.c_str(), r.name.c_str(), r.file.c_str(), r.line,
             r.reason.c_str());
    }
  }
  printf("rules: %zu (enabled %zu, disabled %zu, unsupported %zu, invalid %zu); "
         "%zu errors, %zu warnings\n",
         (*rules)->rules().size(), count[0], count[1], count[2], count[3], errors, warnings);
  fflush(stdout);
  return errors == 0 && count[3] == 0 ? 0 : 1;
}

int Fields() {
  const auto& fields = vigil::ListFields();
  size_t name_w = 4, type_w = 4;
  auto display_name = [](const vigil::FieldInfo& f) {
    if (f.argument == "index") return f.name + "[N]";
    if (f.argument == "index_optional") return f.name + "[N]?";
    if (f.argument == "name_or_index") return f.name + ".NAME|[N]";
    return f.name;
  };
  for (const auto& f : fields) {
    name_w = std::max(name_w, display_name(f).size());
    type_w = std::max(type_w, vigil::FieldTypeName(f.type).size());
  }
  printf("%-*s  %-*s  %s\n", static_cast<int>(name_w), "NAME", static_cast<int>(type_w), "TYPE",
         "DESCRIPTION");
  for (const auto& f : fields) {
    std::string type(vigil::FieldTypeName(f.type));
    printf("%-*s  %-*s  %s\n", static_cast<int>(name_w), display_name(f).c_str(),
           static_cast<int>(type_w), type.c_str(), f.description.c_str());
  }
  return fflush(stdout) == 0 ? 0 : 1;
}

int Version() {
  printf("vigil %s (event schema %u)\n", vigil::LibraryVersion(),
         static_cast<unsigned>(vigil::kSchemaVersion));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return UsageError("missing command");
  std::string_view cmd = argv[1];
  if (cmd == "capture") return Capture(argc - 2, argv + 2);
  if (cmd == "assets") return vigil_cli::AssetsCommand(argc - 2, argv + 2);
  if (cmd == "detect") return Detect(argc - 2, argv + 2);
  if (cmd == "rules") {
    if (argc >= 3 && std::string_view(argv[2]) == "check") return RulesCheck(argc - 3, argv + 3);
    return UsageError("rules: expected 'rules check FILE...'");
  }
  if (cmd == "fields") return argc == 2 ? Fields() : UsageError("fields takes no options");
  if (cmd == "version" || cmd == "--version")
    return argc == 2 ? Version() : UsageError("version takes no options");
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    fputs(kUsage, stdout);
    return 0;
  }
  return UsageError("unknown command '" + std::string(cmd) + "'");
}
