#!/usr/bin/env python3
"""A fake `almkit` whose `train --help` shows --outer INT=20 while 10 000 outer
iterations run (the drift tests/check_help_defaults.py must report), and whose
--hidden default is honest (it must not be reported)."""
import json
import sys

args = sys.argv[1:]
if args == ["--help"]:
    print("Usage: almkit [OPTIONS] SUBCOMMAND\n\nSubcommands:\n  train                       Train\n")
elif args[:1] == ["train"] and "--help" in args:
    print("Usage: almkit train [OPTIONS]\n\nOptions:\n  -h,--help                   Print this help message and exit\n"
          "  --hidden INT=20             Hidden state size m\n"
          "  --outer INT=20              Outer iterations\n"
          "  --print-options             Print every option with the value used, as JSON")
elif args[:1] == ["train"]:
    def value(flag, default):
        return int(args[args.index(flag) + 1]) if flag in args else default
    print(json.dumps({"hidden": value("--hidden", 20), "alm": {"max_outer_iterations": value("--outer", 10000)}}, indent=2))
else:
    sys.exit(2)
