"""C: collecting n handles in garbage cycles is O(n**2) (evicted_remove is a linear
search of the evicted list). python attack/quadratic_collection_c.py 320000"""
import gc
import sys
import time

import intern

interner = intern.Interner()


class Node:
    __slots__ = ("handle", "__weakref__")


n = int(sys.argv[1]) if sys.argv[1:] else 320_000
gc.disable()
for _ in range(n):
    node = Node()
    node.handle = interner.make(node)
del node
start = time.perf_counter()
gc.collect()
print(intern.implementation, n, "handles collected in", round(time.perf_counter() - start, 2), "s")
