"""Both: a self-referring handle pickles (and cannot be loaded) when the value holds,
before the handle, a part only the real pickler can pickle (persistent_id)."""
import io
import pickle

import intern

interner = intern.Interner()


class Connection:
    def __reduce__(self):
        raise TypeError("cannot pickle a connection")


CONNECTION = Connection()


class Record:
    def __init__(self, key):
        self.key, self.connection = key, CONNECTION
        self.me = interner.make(self)

    def __hash__(self):
        return hash(self.key)

    def __eq__(self, other):
        return isinstance(other, Record) and other.key == self.key


class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        return "connection" if obj is CONNECTION else None


class Unpickler(pickle.Unpickler):
    def persistent_load(self, pid):
        return CONNECTION


buffer = io.BytesIO()
Pickler(buffer).dump(Record("k").me)  # no PicklingError
print("pickled", len(buffer.getvalue()), "bytes")
Unpickler(io.BytesIO(buffer.getvalue())).load()  # AttributeError: no attribute 'key'
