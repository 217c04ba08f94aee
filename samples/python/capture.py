#!/usr/bin/python3
"""capture.py: print programs started and files opened, with vigil's Python API.

    sudo PYTHONPATH=build/default/bindings/python python3 samples/python/capture.py --duration 5
    sudo python3 samples/python/capture.py --read rec.vgl        # replay a recording

Needs root for live capture. Ctrl-C stops.
"""

import argparse
import sys

import vigil


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="exec,open", help="event types (default: exec,open)")
    parser.add_argument("--duration", type=float, default=None, help="seconds to capture")
    parser.add_argument("--read", metavar="FILE", help="replay a recording instead")
    parser.add_argument("--write", metavar="FILE", help="also record the live capture")
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    args = parser.parse_args()

    try:
        if args.read:
            cap = vigil.Capture.open_recording(args.read, events=args.events)
        else:
            cap = vigil.Capture.live(events=args.events, write_path=args.write)
    except vigil.Error as e:
        sys.exit("capture.py: %s" % e)

    print("vigil %s" % vigil.version(), file=sys.stderr)
    with cap:
        try:
            for ev in cap.events(duration=args.duration):
                if args.json:
                    print(ev.json())
                elif ev.type == "exec":
                    print("%-7d exec  %-10s %s" % (ev.pid, ev["user.name"], ev["proc.cmdline"]))
                elif ev.type == "open":
                    print("%-7d open  %-10s %s" % (ev.pid, ev["proc.name"], ev["fd.name"]))
                else:
                    print("%-7d %-5s %s" % (ev.pid, ev.type, ev["proc.name"]))
        except KeyboardInterrupt:
            pass
        except vigil.Error as e:  # e.g. a truncated recording, after its good events
            sys.exit("capture.py: %s" % e)
        stats = cap.stats()
    print("%d events, %d dropped by the kernel" % (stats["events_delivered"],
                                                   stats["kernel_drops_total"]), file=sys.stderr)


if __name__ == "__main__":
    main()
