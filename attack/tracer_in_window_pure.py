"""Pure Python: a sys.settrace tracer runs inside a window, between check and store;
a collection there (any allocation can set one off) lets a finalizer intern the
same value: two live handles. INTERN_PURE_PYTHON=1 python attack/tracer_in_window_pure.py"""
import gc
import linecache
import sys

import intern
from intern import _pure

interner = intern.Interner()
got = []


class Garbage:
    def __del__(self):
        got.append(interner.make("kkk"))


def tracer(frame, event, arg):
    if event == "line" and not got and frame.f_code.co_filename == _pure.__file__:
        if linecache.getline(_pure.__file__, frame.f_lineno).strip() == "tables.created += 1":
            garbage = Garbage()
            garbage.me = garbage
            del garbage
            gc.collect()
    return tracer


sys.settrace(tracer)
handle = interner.make("".join(["k", "kk"]))
sys.settrace(None)
print(handle is got[0], interner.stats())  # False Stats(live=2, created=2, reclaimed=0)
