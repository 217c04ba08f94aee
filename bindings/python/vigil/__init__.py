"""vigil: workload-protection events from the Linux kernel (eBPF) or a recording.

    import vigil

    with vigil.Capture.live(events="exec,open", timeout=5) as cap:   # needs root
        for ev in cap:                     # ends after 5 s without an event
            print(ev.type, ev["proc.name"], ev["fd.name"])

    for ev in vigil.Capture.open_recording("rec.vgl"):              # until the end
        print(ev.json())

    rules = vigil.Rules.load(["/etc/falco/falco_rules.yaml"])        # or Rules.default()
    det = vigil.Detector(rules)
    with vigil.Capture.live(rules=rules) as cap:                     # what the rules need
        for alert in det.alerts(cap, duration=60):
            print(alert.to_json())                                   # Falco's JSON alert format

    vigil.Filter("proc.name = bash and fd.name startswith /etc").matches(ev)

    assets = vigil.Assets.host()            # or Assets.root(path), Assets.container(pid)
    users = assets.collect("users")          # {"name", "status", "columns", "rows": [dict], ...}
    ports = assets.query("select name, port from listening_ports")

This package is the Pythonic half of a two-layer binding: `vigil._vigil` is a
thin native module over libvigil's C++ API. Waiting for events releases the
GIL; events are immutable snapshots that stay valid after the next one
arrives. Errors raise `vigil.Error` subclasses whose message names the place
of the problem (file and offset, field, kernel feature); `NotFoundError` is
also a `FileNotFoundError`, `PermissionDeniedError` a `PermissionError` and
`InvalidArgumentError` a `ValueError`.
"""

import json as _json
import time as _time

from . import _vigil
from ._vigil import (  # noqa: F401  (re-exported)
    Assets,
    DataLossError,
    Error,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    RuleError,
    UnavailableError,
    asset_tables,
    diff_asset_snapshots,
)

__all__ = [
    "Alert",
    "Assets",
    "asset_tables",
    "diff_asset_snapshots",
    "Capture",
    "Detector",
    "Filter",
    "RuleError",
    "Rules",
    "DataLossError",
    "Error",
    "Event",
    "InvalidArgumentError",
    "NotFoundError",
    "PermissionDeniedError",
    "UnavailableError",
    "event_types",
    "fields",
    "schema_version",
    "version",
]

# Longest single wait in the native layer, so that Ctrl-C (KeyboardInterrupt)
# is handled promptly while iterating.
_WAIT_SLICE_S = 0.25


def version():
    """Version of the loaded libvigil, e.g. "0.1.0"."""
    return _vigil.version()


def schema_version():
    """Event schema version, MAJOR*1000 + MINOR."""
    return _vigil.schema_version()


def fields():
    """The field registry: a list of dicts with name, type, description, argument."""
    return _vigil.fields()


def event_types():
    """Every event type: a list of dicts with name, id, category."""
    return _vigil.event_types()


def _event_list(events):
    if events is None:
        return None
    if isinstance(events, str):
        return events
    return ",".join(events)


class Event:
    """One event: header accessors, fields by name, dict and JSON views."""

    __slots__ = ("_ev",)

    def __init__(self, native):
        self._ev = native

    type = property(lambda self: self._ev.type, doc='Event type name: "exec", "open", ...')
    type_id = property(lambda self: self._ev.type_id, doc="Numeric event type (vigil.schema.EventType).")
    category = property(lambda self: self._ev.category, doc='"process", "file", ...')
    syscall = property(lambda self: self._ev.syscall, doc='Falco evt.type: "execve", "openat", ...')
    pid = property(lambda self: self._ev.pid, doc="Host thread-group id.")
    tid = property(lambda self: self._ev.tid, doc="Host thread id.")
    time_ns = property(lambda self: self._ev.time_ns, doc="Wall-clock time, ns since the epoch.")
    mono_time_ns = property(lambda self: self._ev.mono_time_ns, doc="CLOCK_MONOTONIC, ns.")
    result = property(lambda self: self._ev.result, doc="Syscall return value (-errno on failure).")
    comm = property(lambda self: self._ev.comm, doc="Task comm.")

    def __getitem__(self, name):
        """Field by Falco-compatible name ("proc.name", "fd.name", "proc.aname[2]",
        "evt.arg.path"). None if the field does not apply to this event; KeyError
        for an unknown field name."""
        try:
            return self._ev.field(name)
        except NotFoundError as e:
            raise KeyError(name) from e

    def get(self, name, default=None):
        """Like event[name], with `default` for unknown or not applicable fields."""
        try:
            value = self._ev.field(name)
        except (NotFoundError, InvalidArgumentError):
            return default
        return default if value is None else value

    def field_string(self, name):
        """The field rendered as Falco outputs do ("<NA>", lists as "(a,b)")."""
        return self._ev.field_string(name)

    def fields(self):
        """Every registry field that applies to this event: {name: value}."""
        return self._ev.fields()

    def to_dict(self):
        """Header, body arguments ("args") and every applicable enriched field
        (dotted names such as "proc.exepath", "user.name", "container.id")."""
        d = {
            "type": self.type,
            "type_id": self.type_id,
            "category": self.category,
            "syscall": self.syscall,
            "pid": self.pid,
            "tid": self.tid,
            "time_ns": self.time_ns,
            "mono_time_ns": self.mono_time_ns,
            "result": self.result,
            "comm": self.comm,
            "args": _json.loads(self._ev.json()).get("args", {}),
        }
        d.update(self._ev.fields())
        return d

    def json(self):
        """The event as one JSON object (str), as `vigil capture` prints it."""
        return self._ev.json()

    def bytes(self):
        """The raw vigil.schema.Event flatbuffer (include/vigil/schema/event.fbs)."""
        return self._ev.bytes()

    def __repr__(self):
        return "<vigil.Event %s pid=%d comm=%r>" % (self.type, self.pid, self.comm)


class Capture:
    """A stream of events from the live kernel or from a recording.

    Iterating yields events until the recording ends, stop() is called, or no
    event arrived for `timeout` seconds (None: no such limit). A capture is
    used by one thread at a time; stop() and stats() may be called from any
    thread (stop() wakes a waiting next()).
    """

    def __init__(self, native, timeout=None):
        self._cap = native
        self._timeout = timeout

    @classmethod
    def live(cls, events=None, *, exclude_pids=(), exclude_self=True, container_only=False,
             ring_buffer_bytes_per_cpu=0, max_processes=0, max_containers=0, write_path=None,
             timeout=None, rules=None, asset_interval=0, payload_bytes=0):
        """Starts a live capture (root, or CAP_BPF+CAP_PERFMON+CAP_SYS_ADMIN).

        events: "exec,open,network" or a list of type/category names (None:
        every kernel type). "asset_change" adds changes of the host's asset
        tables (a new user, listening port, ...), inventoried every
        `asset_interval` seconds (0: the default, 60) on a thread of the
        capture's own.
        exclude_self: drop this process's own events in the kernel.
        write_path: also record everything to this file (replay with open_recording).
        timeout: default for iteration (see the class docstring).
        rules: a vigil.Rules; with events=None, capture what the rules need
        (their event types plus exec/fork/exit for the process table, and
        payload bytes when a rule reads evt.buffer).
        payload_bytes: leading bytes of sendto/recvfrom payloads kept as
        evt.buffer (at most 127; 0, the default, keeps the workload's data out).
        Zero for the sizes means the library default.
        """
        native = _vigil.Capture.open_live(
            events=_event_list(events),
            exclude_pids=list(exclude_pids),
            exclude_self=exclude_self,
            container_only=container_only,
            ring_buffer_bytes_per_cpu=ring_buffer_bytes_per_cpu,
            max_processes=max_processes,
            max_containers=max_containers,
            write_path=write_path or "",
            rules=None if rules is None else rules._rules,
            asset_interval=float(asset_interval),
            payload_bytes=int(payload_bytes),
        )
        return cls(native, timeout)

    @classmethod
    def open_recording(cls, path, *, events=None, timeout=None, rules=None):
        """Replays a recording. NotFoundError (a FileNotFoundError) names a
        missing file; a truncated file raises DataLossError naming the offset
        after the events before it were delivered. rules: as for live()."""
        native = _vigil.Capture.open_recording(
            str(path), events=_event_list(events), rules=None if rules is None else rules._rules)
        return cls(native, timeout)

    def next(self, timeout=0.0):
        """Waits up to `timeout` seconds (GIL released) for the next event.
        Returns an Event, or None on timeout, at the end or after stop()."""
        native = self._cap.next(timeout)
        return None if native is None else Event(native)

    def events(self, timeout=None, duration=None):
        """Yields events until the end, stop(), `timeout` seconds without an
        event, or `duration` seconds in total (None: no limit)."""
        start = _time.monotonic()
        last = start
        while not self._cap.at_end:
            now = _time.monotonic()
            limits = [_WAIT_SLICE_S]
            if timeout is not None:
                if now - last >= timeout:
                    return
                limits.append(timeout - (now - last))
            if duration is not None:
                if now - start >= duration:
                    return
                limits.append(duration - (now - start))
            native = self._cap.next(max(0.0, min(limits)))
            if native is not None:
                last = _time.monotonic()
                yield Event(native)

    def __iter__(self):
        return self.events(timeout=self._timeout)

    def stop(self):
        """Ends iteration and wakes a waiting next(). Thread-safe."""
        self._cap.stop()

    def close(self):
        """Stops and releases the capture (detaches the eBPF programs,
        finishes a recording being written). Idempotent."""
        self._cap.close()

    @property
    def closed(self):
        return self._cap.closed

    @property
    def at_end(self):
        """True when a replay has delivered its last event, or after stop()."""
        return self._cap.at_end

    def stats(self):
        """Counters as a dict (events_received, events_delivered, kernel_drops
        by category, ...). Thread-safe."""
        return self._cap.stats()

    def features(self):
        """What the kernel supported when the capture opened: kernel_release,
        attached event types, unavailable ones with the reason."""
        return self._cap.features()

    def lookup_process(self, pid):
        """The state table's view of a host pid as a dict, or None."""
        return self._cap.lookup_process(pid)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        return "<vigil.Capture %s>" % ("closed" if self.closed else "open")


class Rules:
    """A compiled, immutable rule set (Falco's rule language, docs/rules.md).

    Rules.load(files, strings=..., default=...) raises RuleError (a ValueError)
    whose file, line and column name the first error and whose diagnostics
    list every warning and error.
    """

    __slots__ = ("_rules",)

    def __init__(self, native):
        self._rules = native

    @classmethod
    def load(cls, files=(), *, strings=(), default=False, strict=True):
        """Loads rule files in order (later ones override and append).

        files: paths; strings: (name, content) pairs or a dict; default: also
        load vigil's embedded default rules first; strict=False: invalid rules
        are skipped (state "invalid") instead of failing the load.
        """
        if isinstance(files, (str, bytes)) or hasattr(files, "__fspath__"):
            files = [files]
        if isinstance(strings, dict):
            strings = list(strings.items())
        return cls(_vigil.Rules.load(files=[str(f) for f in files],
                                     strings=[(str(n), str(c)) for n, c in strings],
                                     default=default, strict=strict))

    @classmethod
    def default(cls):
        """vigil's embedded default ruleset."""
        return cls.load(default=True)

    def rules(self):
        """Every rule, whatever its state: dicts with name, description,
        condition, output, priority, tags, source, file, line, state
        ("enabled", "disabled", "unsupported", "invalid"), reason, missing,
        event_types."""
        return self._rules.rules()

    def diagnostics(self):
        """Warnings (and with strict=False errors): dicts with severity,
        file, line, column, item, message, text."""
        return self._rules.diagnostics()

    @property
    def enabled_count(self):
        return self._rules.enabled_count

    def capture_events(self):
        """The event types a capture for these rules attaches ("exec,fork,...")."""
        return self._rules.capture_events()

    def wait_for_host_names(self, timeout=10.0):
        """Waits (seconds) until every host name of the rules' fd.sip.name-style
        checks was looked up once; they resolve in the background after
        loading and match no address until then. True when done (at once
        without host names), False on timeout. Releases the GIL."""
        return self._rules.wait_for_host_names(float(timeout))

    def __len__(self):
        return len(self._rules.rules())


class Alert:
    """One alert: rule, priority, output, fields, ancestry, container, event."""

    __slots__ = ("_a",)

    def __init__(self, native):
        self._a = native

    rule = property(lambda self: self._a.rule, doc="The rule's name.")
    rule_index = property(lambda self: self._a.rule_index, doc="Index into Rules.rules().")
    priority = property(lambda self: self._a.priority, doc='Falco\'s spelling: "Critical", ...')
    time_ns = property(lambda self: self._a.time_ns, doc="The event's time, ns since the epoch.")
    output = property(lambda self: self._a.output, doc="The rendered output template.")
    source = property(lambda self: self._a.source)
    hostname = property(lambda self: self._a.hostname)
    tags = property(lambda self: self._a.tags)
    output_fields = property(lambda self: self._a.output_fields,
                             doc="{field: value} of the template's %fields (None: <NA>).")
    suppressed_before = property(lambda self: self._a.suppressed_before,
                                 doc="Alerts of this rule rate-limited since its previous alert.")
    ancestry = property(lambda self: self._a.ancestry,
                        doc="[{pid, name, exepath, cmdline}]: the process, its parent, ...")
    container = property(lambda self: self._a.container,
                         doc="{id, name, image}, or None on the host.")

    def event(self):
        """The event that matched (a vigil.Event), or None."""
        native = self._a.event()
        return None if native is None else Event(native)

    def to_json(self, vigil_fields=True, include_event=True, iso8601_time=False):
        """Falco's JSON alert format (str); vigil's extras under "vigil" unless
        vigil_fields=False."""
        return self._a.to_json(vigil_fields, include_event, iso8601_time)

    def to_dict(self, vigil_fields=True, include_event=True):
        """to_json() as a dict."""
        return _json.loads(self.to_json(vigil_fields, include_event))

    def __repr__(self):
        return "<vigil.Alert %r %s>" % (self.rule, self.priority)


class Detector:
    """Evaluates a Rules' enabled rules on events and produces alerts.

    Rate limit per rule: `burst` alerts at once, then `rate_per_second`
    (0 disables the limit); cost of each rule sampled on one evaluation in
    `cost_sample_every`. Used by one thread at a time.
    """

    def __init__(self, rules, *, first_match_only=False, rate_per_second=10.0, burst=100,
                 cost_sample_every=64, max_ancestry=16, hostname=None):
        self._det = _vigil.Detector(rules._rules, first_match_only=first_match_only,
                                    rate_per_second=rate_per_second, burst=burst,
                                    cost_sample_every=cost_sample_every,
                                    max_ancestry=max_ancestry, hostname=hostname or "")

    def process(self, event):
        """The alerts for one vigil.Event (a list)."""
        return [Alert(a) for a in self._det.process(event._ev)]

    def poll(self, capture, timeout=0.0):
        """Runs `capture` natively (GIL released) until an alert, `timeout`
        seconds, the end of a recording or stop(); returns the alerts."""
        return [Alert(a) for a in self._det.poll(capture._cap, timeout)]

    def alerts(self, capture, timeout=None, duration=None):
        """Yields alerts from `capture` until it ends or is stopped, `timeout`
        seconds pass without an alert, or `duration` seconds in total."""
        start = _time.monotonic()
        last = start
        while not capture.at_end:
            now = _time.monotonic()
            limits = [_WAIT_SLICE_S]
            if timeout is not None:
                if now - last >= timeout:
                    return
                limits.append(timeout - (now - last))
            if duration is not None:
                if now - start >= duration:
                    return
                limits.append(duration - (now - start))
            found = self._det.poll(capture._cap, max(0.0, min(limits)))
            if found:
                last = _time.monotonic()
            for a in found:
                yield Alert(a)

    def stats(self):
        """{events, alerts, suppressed, dropped, rules: [{rule, evaluations,
        matches, alerts, suppressed, timed_evaluations, timed_ns, estimated_ns}]}"""
        return self._det.stats()


class Filter:
    """One condition compiled once: Filter("proc.name = bash").matches(event).

    rules: a Rules whose macros and lists the condition may use. A bad
    condition raises InvalidArgumentError naming condition:line:column.
    """

    __slots__ = ("_f",)

    def __init__(self, condition, rules=None):
        self._f = _vigil.Filter(condition, None if rules is None else rules._rules)

    def matches(self, event):
        """True if the vigil.Event matches. Thread-safe."""
        return self._f.matches(event._ev)

    def event_types(self):
        """The event types the condition can match ([] means every type)."""
        return self._f.event_types()

    def wait_for_host_names(self, timeout=10.0):
        """As Rules.wait_for_host_names, for the filter's own host names."""
        return self._f.wait_for_host_names(float(timeout))
