#!/usr/bin/env python3
"""No function in apps/ over 80 lines (docs/architecture.md "Folder map":
apps/ parses, prints and writes files; numerical work belongs to a library
layer where it can be unit-tested).

    check_function_length.py SOURCE_TREE [--max 80]

reads SOURCE_TREE/apps/**/*.cpp and exits 1, printing one line
`file:function:lines (lines A-B)` per function longer than --max lines; 0 otherwise.

Heuristic (documented in docs/architecture.md "The checks"): comments, string
and character literals (raw strings too) are blanked; then braces are matched.
A `{` is classified by its head, the text since the previous `;`, `{` or `}`
at the same depth:
  * `namespace ...`, `extern "C"`, `class/struct/union ...` open a scope that
    is searched further (functions defined inside a class count as well);
  * a head with `(` that is not an initializer (no `=` outside parentheses,
    except in `operator=`) is a function definition, named by the qualified
    identifier before its first `(`; its body (lambdas and local classes
    included) counts, not searched further;
  * anything else (enum bodies, brace initializers) is skipped whole.
A function's length is its last line (the closing `}`) minus the line where
its head starts, plus one: the signature counts, the comments above it do not.
Preprocessor lines are blanked too (a `#if` splitting a brace pair is not
supported; apps/ has none).
"""
import argparse
import pathlib
import re
import sys

# Temporary exclusions, file paths relative to the tree. Each entry needs a
# reason and is removed once the file complies.
ALLOW: set[str] = set()


def blank(text):
    """text with comments, literals and preprocessor lines replaced by spaces (newlines kept)."""
    out = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if line_start and c in " \t":
            out.append(c)
            i += 1
            continue
        if line_start and c == "#":  # preprocessor line, with continuations
            j = i
            while j < n and (text[j] != "\n" or text[j - 1] == "\\"):
                j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
            continue
        line_start = False
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "R" and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            if c == "'" and i > 0 and text[i - 1].isalnum():  # digit separator 1'000
                out.append(" ")
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        else:
            if c == "\n":
                line_start = True
            out.append(c)
            i += 1
    return "".join(out)


def is_initializer(head):
    depth = 0
    for k, ch in enumerate(head):
        if ch in "(<[":
            depth += 1
        elif ch in ")>]":
            depth -= 1
        elif ch == "=" and depth <= 0:
            before, after = head[max(0, k - 9):k], head[k + 1:k + 2]
            if "operator" in before or after == "=" or (k > 0 and head[k - 1] in "=!<>"):
                continue
            return True
    return False


def functions(text):
    """(name, first line, last line) of every function defined at namespace or class scope."""
    code = blank(text)
    found = []

    def line_of(pos):
        return code.count("\n", 0, pos) + 1

    def scan(pos, end):
        head_start = pos
        i = pos
        while i < end:
            ch = code[i]
            if ch in ";}":
                head_start = i + 1
            elif ch == "{":
                close = match(i)
                head = code[head_start:i]
                stripped = " ".join(head.split())
                if re.match(r"^(inline\s+)?namespace\b|^extern\s*$", stripped) or \
                   re.match(r"^(template\s*<.*>\s*)?(class|struct|union)\b", stripped) and "(" not in stripped.split(":")[0]:
                    scan(i + 1, close)
                elif "(" in stripped and not is_initializer(stripped) and not re.match(r"^enum\b", stripped):
                    name_m = re.search(r"([A-Za-z_~][\w:~<>,\s]*?)\s*\(", stripped)
                    name = name_m.group(1).split()[-1] if name_m else "?"
                    first = line_of(head_start + len(head) - len(head.lstrip()))
                    found.append((name, first, line_of(close)))
                i = close
                head_start = i + 1
            i += 1

    def match(open_pos):
        depth = 0
        for k in range(open_pos, len(code)):
            if code[k] == "{":
                depth += 1
            elif code[k] == "}":
                depth -= 1
                if depth == 0:
                    return k
        raise SystemExit(f"unbalanced braces from line {line_of(open_pos)}")

    scan(0, len(code))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree")
    parser.add_argument("--max", type=int, default=80)
    args = parser.parse_args()
    root = pathlib.Path(args.tree)
    files = sorted((root / "apps").rglob("*.cpp"))
    if not files:
        print(f"check_function_length: no apps/**/*.cpp under {root}", file=sys.stderr)
        return 2
    offenders, counted = [], 0
    for path in files:
        rel = path.relative_to(root).as_posix()
        if rel in ALLOW:
            continue
        for name, first, last in functions(path.read_text(encoding="utf-8")):
            counted += 1
            if last - first + 1 > args.max:
                offenders.append(f"{rel}:{name}:{last - first + 1} (lines {first}-{last})")
    if offenders:
        print(f"functions in apps/ over {args.max} lines (docs/architecture.md: move the work into a library layer "
              f"or split it):\n  " + "\n  ".join(offenders))
        return 1
    print(f"function length ok: {counted} functions in {len(files)} files, none over {args.max} lines"
          + (f" (not checked: {', '.join(sorted(ALLOW))})" if ALLOW else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
