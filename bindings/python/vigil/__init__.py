"""vigil: workload-protection events from the Linux kernel (eBPF) or a recording.

    import vigil

    with vigil.Capture.live(events="exec,open", timeout=5) as cap:   # needs root
        for ev in cap:                     # ends after 5 s without an event
            print(ev.type, ev["proc.name"], ev["fd.name"])

    for ev in vigil.Capture.open_recording("rec.vgl"):              # until the end
        print(ev.json())

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
    DataLossError,
    Error,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    UnavailableError,
)

__all__ = [
    "Capture",
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
             timeout=None):
        """Starts a live capture (root, or CAP_BPF+CAP_PERFMON+CAP_SYS_ADMIN).

        events: "exec,open,network" or a list of type/category names (None: all).
        exclude_self: drop this process's own events in the kernel.
        write_path: also record everything to this file (replay with open_recording).
        timeout: default for iteration (see the class docstring).
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
        )
        return cls(native, timeout)

    @classmethod
    def open_recording(cls, path, *, events=None, timeout=None):
        """Replays a recording. NotFoundError (a FileNotFoundError) names a
        missing file; a truncated file raises DataLossError naming the offset
        after the events before it were delivered."""
        return cls(_vigil.Capture.open_recording(str(path), events=_event_list(events)), timeout)

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
