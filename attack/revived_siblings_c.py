"""C: two revived handles of one hash and type, plus any insertion during the collection:
restore_evicted counts the sibling it has just put back as a candidate, and leaves the
other out of the table for good (no equal value was ever made)."""
import gc, sys
import intern
I = intern.Interner()
print(intern.implementation, sys.version.split()[0])
class Key:
    def __init__(self, key): self.key, self.handle = key, None
    def __hash__(self): return 7  # same hash, unequal values
    def __eq__(self, other): return isinstance(other, Key) and getattr(other, "key", None) == self.key
revived = []
class Reviving(Key):
    def __del__(self):
        if self.handle is not None:
            revived.append(self.handle)
            unrelated.append(I.make("unrelated %s" % self.key))  # any insertion
unrelated = []
def build():
    for k in "ab":
        v = Reviving(k); v.handle = I.make(v)
build()
gc.collect()
a, b = sorted(revived, key=lambda h: h.value.key)
print("a canonical:", I.make(Reviving("a")) is a, "b canonical:", I.make(Reviving("b")) is b, I.stats())
