"""C: two live handles for equal values after a finalizer interns an equal value
while the collection has evicted the original, then revives the original."""
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


kept = []


class Finalizer:
    def __del__(self):
        kept.append(interner.make(Key("k")))  # the original is evicted: a new handle
        kept.append(self.value.handle)  # revive the original


def build():
    value = Key("k")
    value.handle = interner.make(value)
    finalizer = Finalizer()
    finalizer.value, value.finalizer = value, finalizer


build()
gc.collect()
made, revived = kept
print(made.value == revived.value, made is revived)  # True False
