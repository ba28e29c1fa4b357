#!/usr/bin/python3
"""Which layer may include which: the table of the README's "Layers" section.

Every `#include <yooni/<layer>/...>` (or "<layer>/..." private header) in
src/<layer>/ and include/yooni/<layer>/ must name the layer itself or one it
may use. The layers share one include directory, so the compiler cannot
refuse an include that goes the wrong way; this check does, in ctest
(`layers.includes`). Exit 1 with every offending line."""
import os
import re
import sys

# layer -> layers it may use (besides itself); app/ may use everything.
ALLOWED = {
    "config": set(),
    "resp": set(),
    "codec": set(),
    "redis": {"resp"},
    "cache": {"codec", "redis"},
    "http": {"cache", "config"},
    "app": {"config", "resp", "redis", "codec", "cache", "http"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"](?:yooni/)?([a-z_]+)/')


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    bad = []
    for layer, allowed in ALLOWED.items():
        for top in (os.path.join(root, "src", layer), os.path.join(root, "include", "yooni", layer)):
            for dirpath, _, files in os.walk(top):
                for name in sorted(files):
                    if not name.endswith((".cpp", ".hpp")):
                        continue
                    path = os.path.join(dirpath, name)
                    with open(path, encoding="utf-8") as f:
                        for number, line in enumerate(f, 1):
                            m = INCLUDE.match(line)
                            if not m or m.group(1) not in ALLOWED:
                                continue  # not one of our layers (boost/, spdlog/ ...)
                            used = m.group(1)
                            if used != layer and used not in allowed:
                                rel = os.path.relpath(path, root)
                                bad.append(f"{rel}:{number}: {layer}/ may not include {used}/: {line.strip()}")
    for b in bad:
        print(b)
    if bad:
        print(f"{len(bad)} include(s) against the layer table (scripts/check-layers.py)", file=sys.stderr)
        return 1
    print("every include follows the layer table")
    return 0


if __name__ == "__main__":
    sys.exit(main())
