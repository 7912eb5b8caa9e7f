#!/usr/bin/env python3
"""`almkit COMMAND --help` shows the defaults that run (docs/cli.md "Checking a command line").

Usage: check_help_defaults.py ALMKIT SOURCE_DIR [--commands a,b] [--expect "COMMAND --flag" ...]

For every command whose --help offers --print-options, and every flag whose
--help line shows a default (`--outer INT=20`), the command is run twice with
ALMKIT_PARSE_ONLY=1 (parse, resolve, validate, print the options, no work):
once without the flag and once with the flag set to the shown default. Both
must print the same options: a --help that shows a default which the run does
not use (`--outer INT=20` while 10 000 outer iterations run) changes the
options and is reported with the fields that changed.

ALMKIT may be a command with arguments ("python3 fake.py"). With --expect, the
check passes when exactly the listed "COMMAND --flag" are reported (the
negative test with tests/data/doc_drift/fake_almkit.py).
"""
import json
import os
import re
import shlex
import subprocess
import sys

# Positional arguments a command needs (a problem for solve and verify).
BASE = {"solve": ["hs071"], "verify": ["hs071"]}
# Flags of one inner solver take effect (and are printed) when that solver
# is selected: the run with and without the flag selects it.
SELECTS = {"solve": {"--lbfgs.": ["--inner", "lbfgs"], "--lbfgsb.": ["--inner", "lbfgsb"],
                     "--newton.": ["--inner", "newton"],
                     "--bcd.": None},  # no built-in problem of solve has blocks for bcd: not comparable
           # the default policy (time-parallel) refuses the rollout policy's options by name
           "train": {"--rollout.": ["--policy", "rollout"]}}
# Flags whose shown default is the value they take by design, but which are
# not part of --print-options (they do not change a result). Each with its reason.
NOT_PRINTED = {
    "--out": "the output folder (the options describe the run, not where it is written)",
    "--progress-seconds": "terminal output only (docs/rnn.md §8); history.csv has every row",
}

OPTION = re.compile(r"^\s+(?:-\w,)?(--[A-Za-z0-9_.\-]+)(?: ([A-Z]+)(?:=(\S+))?)?(?:\s{2,}|$)")


def help_defaults(text):
    """[(flag, default text)] of the flags whose --help line shows a default."""
    out = []
    for line in text.split("\n"):
        m = OPTION.match(line)
        if m and m.group(3) is not None:
            out.append((m.group(1), m.group(3)))
    return out


def options_json(cmd, args, cwd):
    env = dict(os.environ, ALMKIT_PARSE_ONLY="1")
    r = subprocess.run(cmd + args + ["--print-options"], capture_output=True, text=True, cwd=cwd, env=env)
    if r.returncode != 0:
        raise RuntimeError((r.stderr.strip() or r.stdout.strip()).split("\n")[0] + f" (exit {r.returncode})")
    lines = r.stdout.split("\n")  # warnings may come first; the JSON starts with a line "{"
    if "{" not in lines:
        raise RuntimeError("no JSON from --print-options")
    return json.loads("\n".join(lines[lines.index("{"):]))


def differences(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += differences(a.get(k, "<absent>"), b.get(k, "<absent>"), f"{path}.{k}" if path else k)
        return out
    return [] if a == b else [f"{path}: {json.dumps(a)} -> {json.dumps(b)}"]


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, source = shlex.split(argv[1]), argv[2]
    rest = argv[3:]
    commands, expect = None, set()
    while rest:
        a = rest.pop(0)
        if a == "--commands":
            commands = rest.pop(0).split(",")
        elif a == "--expect":
            expect.add(rest.pop(0))
        else:
            print(f"check_help_defaults: unknown argument {a}", file=sys.stderr)
            return 2
    if commands is None:
        top = subprocess.run(cmd + ["--help"], capture_output=True, text=True, cwd=source).stdout
        section = top.split("Subcommands:", 1)[1] if "Subcommands:" in top else ""
        commands = re.findall(r"^\s+([a-z]+)\s", section, re.M)
    failures = {}
    checked = unchecked = 0
    without_print = []
    for command in commands:
        text = subprocess.run(cmd + [command, "--help"], capture_output=True, text=True, cwd=source).stdout
        if "--print-options" not in text:
            without_print.append(command)
            continue
        base_args = [command] + BASE.get(command, [])
        # The flags by the solver they need selected; all flags of one group
        # are given at once (one run), and only when that run differs is every
        # flag run on its own to name the ones that differ.
        groups = {}
        for flag, default in help_defaults(text):
            if flag in NOT_PRINTED:
                continue
            select = []
            for prefix, sel in SELECTS.get(command, {}).items():
                if flag.startswith(prefix):
                    select = sel
            if select is None:
                unchecked += 1
                continue
            groups.setdefault(tuple(select), []).append((flag, default))
        for select, flags in groups.items():
            checked += len(flags)
            run = base_args + list(select)
            try:
                base = options_json(cmd, run, source)
                everything = options_json(cmd, run + [x for f in flags for x in f], source)
            except RuntimeError as e:
                failures[f"{command} {' '.join(select)}"] = f"almkit {' '.join(run)} with every shown default: {e}"
                continue
            if not differences(base, everything):
                continue
            for flag, default in flags:
                try:
                    diff = differences(base, options_json(cmd, run + [flag, default], source))
                except RuntimeError as e:
                    failures[f"{command} {flag}"] = f"almkit {' '.join(run)} {flag} {default}: {e}"
                    continue
                if diff:
                    failures[f"{command} {flag}"] = (
                        f"almkit {command} --help shows {flag} default {default}, but the run without the flag "
                        f"differs from the run with it: " + "; ".join(diff))
            if not any(k.startswith(command + " ") for k in failures):
                failures[f"{command} {' '.join(select)}"] = ("every shown default given at once changes the options, "
                                                             "no single flag does: " + "; ".join(differences(base, everything)))
    for name, message in failures.items():
        print(f"{name}: {message}")
    print(f"check_help_defaults: {checked} flags with a shown default in {len(commands) - len(without_print)} commands "
          f"compared with --print-options ({unchecked} not comparable, {len(NOT_PRINTED)} not printed by design); "
          f"commands without --print-options: {', '.join(without_print) or 'none'}; {len(failures)} reported")
    if expect:
        if set(failures) != expect:
            print(f"check_help_defaults: expected exactly {sorted(expect)} to be reported, got {sorted(failures)}")
            return 1
        return 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
