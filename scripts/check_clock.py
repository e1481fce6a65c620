"""Time is a parameter: only ``engine/clock.py`` (and the CLI/demo edges) read the wall clock.

Fails naming file and line for any other ``datetime.now``, ``utcnow``, ``time.time`` or
``date.today`` in ``src/tocsin``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "src" / "tocsin"
ALLOWED = {
    "engine/clock.py",  # the one clock
    "cli/alerts.py",  # `tocsin alert send --resolve` stamps endsAt like amtool does
    "cli/demo_stream.py",  # the demo's simulated sender is a client, not Tocsin
}
CLOCK_READ = re.compile(r"\b(datetime\.now|datetime\.utcnow|utcnow\(|time\.time\(|date\.today)")


def main() -> int:
    bad = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ALLOWED:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if CLOCK_READ.search(line):
                bad.append(f"src/tocsin/{rel}:{number}: reads the wall clock: {line.strip()}")
    for line in bad:
        print(line)
    if bad:
        print("Take `now` as an argument, or get it from the engine's Clock.")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
