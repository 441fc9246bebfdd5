"""The README's quick start, runnable: canonical handles in seven steps."""

import gc

import intern

# 1. Equal values get one handle, so `is` compares them.
method = intern.make("GET")
parsed = "".join(["G", "E", "T"])  # an equal string, but another object
assert parsed is not method.value
assert intern.make(parsed) is method
print("make('GET') is make(parsed 'GET'):", intern.make(parsed) is method)

# 2. The handle's value is the canonical object: the first one interned.
assert intern.make(parsed).value is method.value

# 3. Type matters: equal values of different types get different handles.
print("make(1) is make(1.0):", intern.make(1) is intern.make(1.0))

# 4. Records deduplicate too: one canonical tuple per distinct row.
rows = [("GET", "/", 200), ("GET", "/", 200), ("POST", "/login", 302)]
handles = [intern.make(row) for row in rows]
print("distinct rows:", len({id(handle) for handle in handles}), "of", len(rows))

# 5. The table holds handles weakly: dropping the last one frees the entry.
before = intern.stats()
del handles
gc.collect()
after = intern.stats()
print(f"live handles: {before.live} -> {after.live}; reclaimed so far: {after.reclaimed}")
print(f"stats: {after}")

# 6. Deep interning: every part canonical too, kept so while the handle lives.
deep = intern.make_deep(("GET", ("/", 200)))
other = intern.make_deep(("POST", ("".join(["/"]), 200)))
assert other.value[1] is deep.value[1]
print("make_deep shares equal parts:", other.value[1] is deep.value[1])

# 7. A pool keeps parsed fields canonical while it is open; rows keep them after.
lines = ["GET,/,200", "GET,/about,200"]
with intern.Pool() as pool:
    records = [tuple(pool.value(field) for field in line.split(",")) for line in lines]
assert records[0][0] is records[1][0]
print("pooled rows share field objects:", records[0][0] is records[1][0])
print("implementation:", intern.implementation)
