"""Runs a Python script or `-m unittest ...` and leaves with os._exit, skipping interpreter
teardown: pyarrow's threads can abort a finished process while Python shuts down ("terminate called
without an active exception", SIGABRT; apache/arrow issue 34314, seen here under load after every
file had been read and checked). The script's own exit status is kept.

    clean_exit.py SCRIPT ARGS...        clean_exit.py -m MODULE ARGS...
"""

import os
import runpy
import sys


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if sys.argv[1] == "-m":
        target, as_module = sys.argv[2], True
        sys.argv = [target] + sys.argv[3:]
    else:
        target, as_module = sys.argv[1], False
        sys.argv = sys.argv[1:]
        sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
    code = 0
    try:
        if as_module:
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            runpy.run_path(target, run_name="__main__")
    except SystemExit as e:
        if isinstance(e.code, int):
            code = e.code
        elif e.code is not None:
            print(e.code, file=sys.stderr)
            code = 1
    except BaseException:
        import traceback
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
