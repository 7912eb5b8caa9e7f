#!/usr/bin/env python3
"""Every `almkit ...` command line the documentation shows, parsed by the real CLI.

Usage: check_doc_commands.py ALMKIT SOURCE_DIR [--expect FILE:LINE ...] [DOC.md ...]

The documents (default: README.md, CONTRIBUTING.md, data/README.md and
docs/*.md under SOURCE_DIR) are scanned for command lines: lines of code blocks
(fenced, or indented by four spaces) and inline code spans that start with
`almkit `, `build/apps/almkit ` or `mpirun -np P almkit `. Each one is run with
ALMKIT_PARSE_ONLY set (docs/cli.md "Checking a command line"): the CLI parses
it, resolves and validates the options, reads the data set and exits before
any work. A command line that the CLI refuses is reported as FILE:LINE with
the CLI's message, and the check fails.

Two kinds of lines:
- commands (`almkit train --preset reference --outer 5`): run as written, with
  placeholders (`almkit solve NAME`, `--out DIR`) replaced by the samples below;
- synopses, lines with optional parts in brackets (`almkit benchmark
  [--problems all|LIST] [--out DIR]`): their options may exclude each other, so
  every option is run on its own, once per alternative value (`a|b|c`).

Every other `--flag` in inline code must be an option of some almkit command
(or a family such as `--alm.NAME`), except the few of OTHER_FLAGS.

With --expect, the check passes when exactly the listed FILE:LINE fail (the
negative test on a fixture document, tests/data/doc_drift/).
"""
import concurrent.futures
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

# Placeholder values of an option, by option (a value in capitals such as FILE,
# COL[,COL…], or one of PLACEHOLDER_WORDS): what the check gives instead.
# Each sample is the kind of value the placeholder names, for the shipped SP500 data.
SAMPLE_VALUE = {
    "--data": ["data/clean_SP500.csv"],
    "--target": ["RV_SP500"],
    "--inputs": ["DP,EP"],
    "--univariate": ["RV_SP500"],
    "--sequence-column": ["id", "--data", "{sequences_csv}"],  # needs a data set with sequences
    "--train-fraction": ["0.8"],
    "--hidden": ["8"],
    "--init-std": ["1e-3"],
    "--seed": ["1"],
    "--irnn-scale": ["1"],
    "--divergence-value": ["1e20"],
    "--init-from": ["tests/data/rnn_sp500_reference_trace.json"],
    "--lambda1": ["1e-4"],
    "--lambda6": ["1e-4"],
    "--outer": ["5"],
    "--threads": ["2"],
    "--chunk-columns": ["100"],
    "--out": ["{tmp}/out"],
    "--resume": ["{tmp}/out"],
    "--json": ["{tmp}/out.json"],
    "--point": ["{tmp}/point.json"],
    "--multipliers": ["{tmp}/multipliers.json"],
    "--tol": ["1e-6"],
    "--kink-tol": ["1e-6"],
    "--problems": ["hs071,kink-relu-2d"],
    "--solvers": ["alm-lbfgs"],
    "--time-limit": ["10"],
    "--n": ["100"],
}
# Positional placeholders (almkit solve NAME, almkit predict MODEL DATA).
SAMPLE_POSITIONAL = {"NAME": "hs071", "PROBLEM": "hs071", "MODEL": "{tmp}/model.json", "DATA": "data/clean_SP500.csv"}
# Lower-case placeholders used by the synopses (docs/rnn.md §8: --hidden m).
PLACEHOLDER_WORDS = {"m"}
# Prose that names a command with options but without its required
# positionals (`almkit solve --inner bcd`) is checked with these.
SAMPLE_REQUIRED = {"solve": ["hs071"], "verify": ["hs071"], "predict": ["{tmp}/model.json", "data/clean_SP500.csv"]}
# Example files the documents name as the reader's own: the check writes a
# stand-in of the same kind.
SAMPLE_FILES = {"long.csv": "{sequences_csv}"}
# Option families in synopses (--alm.<option>, --rollout.NAME): the check
# requires `almkit COMMAND --help` to list at least one option of the family.
FAMILY = re.compile(r"^(--[a-z]+\.)(<[a-z_]+>|[A-Z_]+)$")

# Command lines the documents show being refused, each with its reason: the
# check requires the refusal (exit 2). Keep this list short.
REFUSED_BY_DESIGN = {
    "almkit solve --inner bcd": "docs/inner_solvers.md: bcd on an HS problem exits 2 (no closed-form blocks)",
}

# Flags in inline code that belong to other programs, each with its reason:
# every other `--flag` in inline code must be an option of some almkit command.
OTHER_FLAGS = {
    "--oversubscribe": "mpirun's (docs/parallel.md)",
    "--allow-run-as-root": "mpirun's (docs/parallel.md)",
    "--stop-test": "bench/bench_bcd_sweep's",
    "--sweeps": "bench/bench_parallel_sweep's",
    "--lambdaK": "stands for --lambda1 .. --lambda6",
    "--version": "almkit's own (before any command: `almkit --version`)",
    "--install": "cmake's (README.md \"Install\")",
    "--prefix": "cmake --install's",
    "--component": "cmake --install's",
    "--system-site-packages": "python3 -m venv's",
}

PREFIX = re.compile(r"^(\./)?(build/apps/)?almkit$")
PLACEHOLDER = re.compile(r"^[A-Z][A-Z0-9_]*(\.[a-z]+)?(,[A-Z][A-Z0-9_]*)*(,?(\.\.\.|…))?$")


def default_documents(source):
    docs = [source / "README.md", source / "CONTRIBUTING.md", source / "data" / "README.md"]
    docs += sorted((source / "docs").glob("*.md"))
    return [d for d in docs if d.exists()]


def strip_command(text):
    """The arguments after `almkit` and whether it ran under mpirun; None when `text` is no almkit command."""
    text = text.strip()
    if text.startswith("$ "):
        text = text[2:]
    try:
        tokens = shlex.split(text, comments=True)
    except ValueError:
        return None
    ranks = False
    while tokens and (re.match(r"^[A-Z_]+=", tokens[0]) or tokens[0] == "time"):
        tokens.pop(0)
    if tokens and tokens[0] == "mpirun":
        ranks = True
        while tokens and not PREFIX.match(tokens[0]):
            tokens.pop(0)
    if len(tokens) < 2 or not PREFIX.match(tokens[0]) or not re.match(r"^[a-z]+$", tokens[1]):
        return None
    return tokens[1:], ranks


def extract(path):
    """[(line number, text, kind)] of the command lines of one markdown file; kind: code or inline."""
    lines = path.read_text(encoding="utf-8").split("\n")
    found = []
    prose = []  # the text outside code blocks, same line numbers
    in_fence = False
    prev_code = False
    current = None  # [line number, text] of a command still being continued
    for i, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("```") or stripped.startswith("~~~"):
            in_fence = not in_fence
            prose.append("")
            current = None
            continue
        indented = line.startswith("    ") and (prev_code or i == 1 or lines[i - 2].strip() == "")
        is_code = in_fence or (indented and stripped != "")
        prev_code = is_code or (prev_code and stripped == "")
        if not is_code:
            prose.append(line)
            current = None
            continue
        prose.append("")
        if current is not None and (current[1].endswith("\\") or stripped.startswith("[")):
            current[1] = current[1].rstrip("\\").rstrip() + " " + stripped
            continue
        current = None
        if strip_command(stripped.rstrip("\\")) is not None:
            current = [i, stripped, "code"]
            found.append(current)
    # Inline code spans (they may wrap lines).
    text = "\n".join(prose)
    for m in re.finditer(r"(`+)(.+?)\1", text, re.S):
        body = " ".join(m.group(2).split())
        if strip_command(body) is not None:
            found.append([text.count("\n", 0, m.start()) + 1, body, "inline"])
    return sorted((n, t.rstrip("\\").strip(), k) for n, t, k in found)


def inline_flags(path):
    """[(line number, flag)] of the `--flag` tokens in inline code outside almkit command spans."""
    text = path.read_text(encoding="utf-8")
    out = []
    for m in re.finditer(r"`([^`\n]+)`", text):
        if strip_command(m.group(1)) is not None:
            continue
        for flag in re.findall(r"(?<![\w-])(--[a-z][A-Za-z0-9_.<>\-]*)", m.group(1)):
            out.append((text.count("\n", 0, m.start()) + 1, flag.rstrip(".")))
    return out


def known_flag(flag, helps):
    """Whether some command's --help lists `flag`, or a family `--alm.NAME`, `--alm.*`, `--alm`."""
    family = re.match(r"^(--[a-z]+)(\.([A-Z_]+|<[a-z_]+>|\*)?)?$", flag)
    if family and (family.group(2) is None or family.group(3) is not None):
        if any(family.group(1) + "." in h for h in helps):
            return True
    return any(re.search(r"(^|[\s,])" + re.escape(flag) + r"(?=[\s=,]|$)", h, re.M) for h in helps)


def substitute(tokens, context):
    return [t.format(**context) for t in tokens]


def value_sample(option, value, context):
    """The values to try for `option VALUE` (alternatives a|b), placeholders replaced."""
    out = []
    for alt in value.split("|"):
        if PLACEHOLDER.match(alt) or alt in PLACEHOLDER_WORDS or "<" in alt:
            if option not in SAMPLE_VALUE:
                raise KeyError(f"no sample value for the placeholder '{option} {alt}': add one to SAMPLE_VALUE")
            out.append(substitute(SAMPLE_VALUE[option], context))
        else:
            out.append([SAMPLE_FILES.get(alt, alt).format(**context)])
    return out


def positional(token, context):
    if token in SAMPLE_POSITIONAL:
        return SAMPLE_POSITIONAL[token].format(**context)
    return token


def is_mention(args):
    """Prose naming a command or its options (`almkit solve --json`): no values, no positionals."""
    return all(t.startswith("--") or t in ("…", "...") for t in args[1:])


def is_synopsis(args):
    return any("[" in t or "]" in t for t in args)


def runs_of(args, context):
    """The argument lists to run for one documented line (after `almkit`)."""
    drop = {"…", "...", ".."}
    if not is_synopsis(args):
        out, i = [args[0]], 1
        while i < len(args):
            t = args[i]
            if t in drop:
                i += 1
                continue
            if t.startswith("--") and i + 1 < len(args) and not args[i + 1].startswith("--") and (
                    PLACEHOLDER.match(args[i + 1]) or args[i + 1] in PLACEHOLDER_WORDS):
                out += [t] + value_sample(t, args[i + 1], context)[0]
                i += 2
                continue
            out.append(SAMPLE_FILES.get(t, positional(t, context)).format(**context))
            i += 1
        return [("run", out)]
    # A synopsis: every option on its own.
    tokens = []
    for t in args:
        t = t.replace("[", " ").replace("]", " ")
        tokens += t.split()
    command = tokens[0]
    i = 1
    base = [command]
    while i < len(tokens) and not tokens[i].startswith("--"):
        if tokens[i] not in drop and tokens[i] != "|":
            base.append(positional(tokens[i], context))
        i += 1
    runs = []
    pending_range = []  # --lambda1 .. --lambda6 X: both ends take X
    while i < len(tokens):
        t = tokens[i]
        if not t.startswith("--"):
            i += 1
            continue
        if FAMILY.match(t):
            runs.append(("family", [command, FAMILY.match(t).group(1)]))
            i += 2 if i + 1 < len(tokens) and not tokens[i + 1].startswith("--") else 1
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if nxt == "..":
            pending_range.append(t)
            i += 2
            continue
        if nxt is None or nxt.startswith("--") or nxt == "|":
            runs.append(("run", base + [t]))
            i += 1
            continue
        for option in pending_range + [t]:
            for values in value_sample(option, nxt, context):
                runs.append(("run", base + [option] + values))
        pending_range = []
        i += 2
    return runs


def write_samples(tmp):
    seq = Path(tmp) / "sequences.csv"
    rows = ["id,x1,y"]
    for s in range(4):
        for t in range(30):
            rows.append(f"s{s},{(t % 7) / 7:.4f},{((t + s) % 5) / 5:.4f}")
    seq.write_text("\n".join(rows) + "\n")
    return {"tmp": tmp, "sequences_csv": str(seq)}


def check(docs, source, almkit, context, helps, results, wanted):
    """Failures by FILE:LINE, lines checked, checks; with `wanted`, only collects the CLI runs."""
    tmp = context["tmp"]
    failures = {}
    lines_checked = runs_done = 0
    for doc in docs:
        name = os.path.relpath(doc, source)
        for number, text, kind in extract(doc):
            where = f"{name}:{number}"
            refused_by_design = text in REFUSED_BY_DESIGN
            args, ranks = strip_command(text)
            lines_checked += 1
            try:
                if kind == "inline" and is_mention(args) and not refused_by_design:
                    runs = [("option", [args[0], t]) for t in args[1:] if t.startswith("--")] or [("option", [args[0]])]
                else:
                    if kind == "inline" and args[0] in SAMPLE_REQUIRED and not any(
                            not t.startswith("-") for t in args[1:]):
                        args = [args[0]] + SAMPLE_REQUIRED[args[0]] + args[1:]
                    runs = runs_of(args, context)
            except (KeyError, IndexError) as e:
                failures.setdefault(where, []).append(f"`{text}`: {e}")
                continue
            for kind, run in runs:
                runs_done += 1
                if kind in ("family", "option"):
                    command = run[0]
                    if command not in helps:
                        h = subprocess.run([almkit, command, "--help"], capture_output=True, text=True, cwd=source)
                        helps[command] = h.stdout if h.returncode == 0 else None
                    if helps[command] is None:
                        failures.setdefault(where, []).append(f"`{text}`: no command `almkit {command}`")
                    elif kind == "family" and not re.search(r"(^|[\s,])" + re.escape(run[1]), helps[command], re.M):
                        failures.setdefault(where, []).append(
                            f"`{text}`: `almkit {command} --help` lists no option {run[1]}*")
                    elif kind == "option" and len(run) > 1 and not re.search(
                            r"(^|[\s,])" + re.escape(run[1]) + r"(?=[\s=,]|$)", helps[command], re.M):
                        failures.setdefault(where, []).append(
                            f"`{text}`: `almkit {command} --help` lists no option {run[1]}")
                    continue
                key = (tuple(run), ranks)  # the same line in many places runs once
                if wanted is not None:
                    wanted.add(key)
                    continue
                r = results[key]
                if refused_by_design:
                    if r.returncode != 2:
                        failures.setdefault(where, []).append(
                            f"`{text}`: shown as refused ({REFUSED_BY_DESIGN[text]}), but exit {r.returncode}")
                    continue
                if r.returncode != 0:
                    message = (r.stderr.strip() or r.stdout.strip()).split("\n")[0]
                    failures.setdefault(where, []).append(
                        f"`{text}`: almkit {shlex.join(run).replace(tmp, 'TMP')} (exit {r.returncode}): {message}")
    flags_checked = 0
    if wanted is None:  # flags named in prose
        every = [helps[c] for c in helps if helps[c] is not None]
        for doc in docs:
            name = os.path.relpath(doc, source)
            for number, flag in inline_flags(doc):
                flags_checked += 1
                if flag not in OTHER_FLAGS and not known_flag(flag, every):
                    failures.setdefault(f"{name}:{number}", []).append(f"`{flag}`: no almkit command has this option")
    return failures, lines_checked, runs_done, flags_checked


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    almkit, source = argv[1], Path(argv[2]).resolve()
    rest = argv[3:]
    expect, docs = set(), []
    while rest:
        a = rest.pop(0)
        if a == "--expect":
            expect.add(rest.pop(0))
        else:
            docs.append(Path(a).resolve())
    docs = docs or default_documents(source)
    helps, results = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        context = write_samples(tmp)

        def run_cli(key):
            env = dict(os.environ, ALMKIT_PARSE_ONLY="ranks" if key[1] else "1")
            return subprocess.run([almkit] + list(key[0]), capture_output=True, text=True, cwd=source, env=env)

        # Pass 1 collects the CLI runs, which then run in parallel; pass 2 judges.
        wanted = set()
        top = subprocess.run([almkit, "--help"], capture_output=True, text=True, cwd=source).stdout
        for command in re.findall(r"^  ([a-z]+)\s", top.split("Subcommands:")[-1], re.M):
            h = subprocess.run([almkit, command, "--help"], capture_output=True, text=True, cwd=source)
            helps[command] = h.stdout if h.returncode == 0 else None
        check(docs, source, almkit, context, helps, results, wanted)
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
            for key, r in zip(wanted, pool.map(run_cli, wanted)):
                results[key] = r
        failures, lines_checked, runs_done, flags_checked = check(docs, source, almkit, context, helps, results, None)
    for where, messages in failures.items():
        for m in messages:
            print(f"{where}: {m}")
    print(f"check_doc_commands: {lines_checked} command lines in {len(docs)} documents, {runs_done} checks ({len(results)} CLI runs), {flags_checked} flags named in prose, "
          f"{len(failures)} lines refused")
    if expect:
        if set(failures) != expect:
            print(f"check_doc_commands: expected exactly {sorted(expect)} to be refused, got {sorted(failures)}")
            return 1
        return 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
