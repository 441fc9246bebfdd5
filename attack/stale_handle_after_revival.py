"""C: make() returns a handle that the collector then clears (3.11-3.15).

tp_finalize runs once in an object's life; a handle that a finalizer revived
(and restore_evicted put back) is not evicted the next time it is garbage, so a
make() run by that collection's delete phase gets it, and the collector clears it.
Run: python attack/stale_handle_after_revival.py   (INTERN_PURE_PYTHON=1: fine)
"""
import gc

import intern

interner = intern.Interner()


class Key:
    def __init__(self, key):
        self.key, self.handle = key, None

    def __hash__(self):
        return hash(self.key)

    def __eq__(self, other):
        return isinstance(other, Key) and getattr(other, "key", None) == self.key


revived, made = [], []


class Reviving(Key):
    def __del__(self):
        if self.handle is not None:
            revived.append(self.handle)


class Late:
    def __del__(self):
        made.append(interner.make(Reviving("k")))


class Holder:
    pass


class Finalized:
    def __del__(self):
        self.holder.late = Late()  # freed when the collector clears holder


holder = Holder()  # older than the handle: cleared before it
value = Reviving("k")
value.handle = interner.make(value)
del value
gc.collect()  # garbage once: evicted, revived, put back
[handle] = revived
revived.clear()
finalized = Finalized()
finalized.holder = holder
holder.value, handle.value.holder, handle.value.finalized = handle.value, holder, finalized
del handle, holder, finalized
gc.collect()  # garbage again: not evicted this time
[handle] = made
print(repr(handle))  # Handle(<cleared>) under C
print(handle.value)  # ReferenceError under C
