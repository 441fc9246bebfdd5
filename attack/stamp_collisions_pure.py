"""Pure Python (3.11-3.13): values of the same type but other hashes (equal modulo 64),
interned by finalizers during a lookup, make an innocent make() raise RuntimeError.
INTERN_PURE_PYTHON=1 python attack/stamp_collisions_pure.py"""
import gc

import intern

interner = intern.Interner()


class V:
    def __init__(self, h, k):
        self.h, self.k = h, k

    def __hash__(self):
        return self.h

    def __eq__(self, other):
        return isinstance(other, V) and (self.h, self.k) == (other.h, other.k)


keep = [interner.make(V(1, "a")), interner.make(V(1, "b"))]
state = {"n": 0, "on": True}


class Chain:
    def __del__(self):
        if state["on"]:
            state["n"] += 1
            keep.append(interner.make(V(1 + 64 * state["n"], "other")))  # other hash
            chain = Chain()
            chain.me = chain


chain = Chain()
chain.me = chain
del chain
gc.set_threshold(1)
try:
    interner.make(V(1, "c"))
    print("made")
except RuntimeError as error:
    print("RuntimeError after", state["n"], "other-hash insertions:", error)
finally:
    state["on"] = False
