"""C: 'RuntimeError after 100 rounds' comes only after thousands of comparisons in a
large interner: the first round keeps meeting the candidates its comparisons store
just ahead of it in the probe sequence, until the table resizes. Quadratic overall.
python attack/first_round_unbounded_c.py 16000   (~1.3 s C; 0.1 s pure)"""
import sys

import intern

interner = intern.Interner()
keep = [interner.make(("filler", i)) for i in range(int(sys.argv[1]) if sys.argv[1:] else 16000)]


class Breeding:
    probe = None
    compared = 0

    def __init__(self, key):
        self.key = key

    def __hash__(self):
        return 42

    def __eq__(self, other):
        probe = Breeding.probe
        if probe is not None and (self is probe or other is probe) and self is not other:
            Breeding.compared += 1
            keep.append(interner.make(Breeding(("bred", Breeding.compared))))
        return isinstance(other, Breeding) and other.key == self.key


keep.append(interner.make(Breeding("seed")))
Breeding.probe = Breeding("probe")
try:
    interner.make(Breeding.probe)
except RuntimeError:
    print(intern.implementation, "RuntimeError after", Breeding.compared, "comparisons")
