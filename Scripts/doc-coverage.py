#!/usr/bin/env python3
"""Lists public symbols without a documentation comment, from DocC's symbol graphs.

usage: doc-coverage.py SYMBOLGRAPH_DIR MODULE...

Reads every `*.symbols.json` under SYMBOLGRAPH_DIR whose module is one of MODULE (including
the `Module@Other` graphs of extensions to other modules' types), and prints each public symbol
that has no doc comment as `path:line: Module.Type.symbol`. Skipped: symbols the compiler
synthesized, extension blocks, and implementations of the standard protocols' requirements
(`description`, `==`, `hash(into:)`, …), whose documentation DocC inherits from the protocol.
Exits 1 when anything is listed, 2 when no graph of a module was found.
"""
import glob
import json
import os
import sys

# Witnesses of standard-library protocol requirements: documented by the protocol.
WITNESSES = {
    "description", "debugDescription", "==(_:_:)", "<(_:_:)", "hash(into:)", "hashValue",
    "makeIterator()", "next()", "encode(to:)", "init(from:)", "errorDescription", "rawValue",
    "init(rawValue:)", "underestimatedCount", "startIndex", "endIndex", "index(after:)",
    "run()", "validate()", "init(stringLiteral:)", "init(integerLiteral:)", "init(arrayLiteral:)",
    "init(argument:)",
}
SKIPPED_KINDS = {"swift.extension", "module"}


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    root, modules = sys.argv[1], set(sys.argv[2:])
    seen, missing, total = set(), [], 0
    for path in sorted(glob.glob(os.path.join(root, "**", "*.symbols.json"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            graph = json.load(f)
        module = graph["module"]["name"]
        if module not in modules:
            continue
        seen.add(module)
        for symbol in graph["symbols"]:
            if symbol.get("accessLevel") not in ("public", "open"):
                continue
            if symbol["kind"]["identifier"] in SKIPPED_KINDS:
                continue
            precise = symbol["identifier"]["precise"]
            if "::SYNTHESIZED::" in precise:
                continue
            total += 1
            if symbol.get("docComment", {}).get("lines"):
                continue
            title = symbol["names"]["title"]
            if title in WITNESSES:
                continue
            location = symbol.get("location", {})
            file = location.get("uri", "?").replace("file://", "")
            file = os.path.relpath(file) if file.startswith("/") else file
            line = location.get("position", {}).get("line", -1) + 1
            missing.append(f"{file}:{line}: {module}.{'.'.join(symbol['pathComponents'])}")
    for module in sorted(modules - seen):
        print(f"doc-coverage: no symbol graph for {module} under {root}", file=sys.stderr)
    for line in sorted(set(missing)):
        print(line)
    print(f"doc-coverage: {total} public symbols in {len(seen)} modules, {len(set(missing))} without documentation",
          file=sys.stderr)
    if modules - seen:
        return 2
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
