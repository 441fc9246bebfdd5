/* The C implementation of handles and interners: the twin of _pure.py.
 *
 * An interner owns an open-addressing table of borrowed pointers to its
 * handles. A handle holds its value, its hash and a strong reference to its
 * interner; its dealloc (or its tp_clear, when the collector breaks a cycle)
 * takes it out of the table. So the table never keeps a value or a handle
 * alive, costs 8 bytes a slot, and needs no weak reference object per entry.
 *
 * Invariants, relied on throughout:
 *
 * - A handle is in its owner's table exactly while handle->owner != NULL.
 *   Removal (dealloc or tp_clear) happens before anything that can run user
 *   code (weakref callbacks, the value's dealloc), so user code never finds a
 *   dying or cleared handle in a table.
 * - User code can run at every call into the value's __eq__ and at every
 *   Py_DECREF that may free an object. After it, a lookup re-validates its
 *   probe position (the table may have been resized, or the slot changed) and
 *   an insertion re-checks that no other insertion happened since it looked,
 *   so that reentrant make() of an equal value never yields a second handle.
 * - Table slots are written only under the interner's critical section (a
 *   no-op with the GIL). User code run inside one may suspend it, which is
 *   why the re-validation above is also what makes free-threading correct.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if PY_VERSION_HEX < 0x030C0000
#  include "structmember.h"
#  define Py_T_PYSSIZET T_PYSSIZET
#  define Py_READONLY READONLY
#endif

#if PY_VERSION_HEX < 0x030D0000
#  define Py_BEGIN_CRITICAL_SECTION(op) {
#  define Py_END_CRITICAL_SECTION() }
#endif

/* Free-threaded builds: a lookup may meet a handle whose last reference
 * another thread is dropping right now; it must not be resurrected. 3.14 has
 * the public way to say "take a reference only if it is still alive". On 3.13t
 * there is none, so the module keeps the GIL there (see the Py_mod_gil slot). */
#if defined(Py_GIL_DISABLED) && PY_VERSION_HEX >= 0x030E0000
#  define INTERN_FREE_THREADING 1
#else
#  define INTERN_FREE_THREADING 0
#endif

typedef struct {
    PyTypeObject *handle_type;
    PyTypeObject *interner_type;
    PyObject *default_interner;
    PyObject *stats_type;          /* intern._stats.Stats */
    PyObject *explain_unhashable;  /* intern._checks.explain_unhashable */
    PyObject *check_metaclass;     /* intern._checks.check_metaclass */
} module_state;

typedef struct {
    PyObject_HEAD
    uintptr_t *slots;      /* SLOT_EMPTY, SLOT_DUMMY or a tagged handle pointer */
    size_t size;           /* number of slots; 0 when no table is allocated */
    Py_ssize_t used;       /* handles in the table */
    Py_ssize_t fill;       /* used + dummies */
    uint64_t resizes;      /* changes whenever slots is reallocated or freed */
    uint64_t inserts;      /* changes whenever a handle is stored */
    Py_ssize_t created;
    Py_ssize_t reclaimed;
    PyTypeObject *handle_type;
    PyObject *stats_type;
    PyObject *explain_unhashable;
    PyObject *check_metaclass;
    PyObject *weakreflist;
} InternerObject;

typedef struct {
    PyObject_HEAD
    PyObject *value;
    InternerObject *owner;  /* strong while in owner's table, NULL after */
    Py_hash_t hash;
    PyObject *weakreflist;
} HandleObject;

static PyModuleDef intern_module;

static inline module_state *
state_of_module(PyObject *module)
{
    return (module_state *)PyModule_GetState(module);
}

/* ---------------------------------------------------------------- the table */

#define SLOT_EMPTY ((uintptr_t)0)
#define SLOT_DUMMY ((uintptr_t)1)
/* Handles are at least 8-byte aligned: three low bits of each slot hold three
 * bits of the hash, so most mismatching slots are skipped without reading the
 * handle. A tagged pointer is never 0 or 1. */
#define TAG_MASK ((uintptr_t)7)
#define MIN_SIZE 11
#define MAX_SIZE ((size_t)UINT32_MAX)
/* Grow past 4/5 full; rebuild at about 8/15 full, so that the table costs 10 to
 * 15 bytes per handle. Sizes are primes, not powers of two: a position comes
 * from the high bits of a 64-bit product (Lemire's fast range reduction). */
#define MIX UINT64_C(0x9E3779B97F4A7C15)
#define MIX_STEP UINT64_C(0xD6E8FEB86659FD93)

static inline uintptr_t
tag_of(Py_hash_t hash)
{
    return (uintptr_t)hash & TAG_MASK;
}

static inline HandleObject *
handle_of(uintptr_t slot)
{
    return (HandleObject *)(slot & ~TAG_MASK);
}

static inline size_t
reduce(uint64_t x, size_t n)
{
    return (size_t)(((x >> 32) * (uint64_t)n) >> 32);
}

/* Double hashing: the first position and the step both depend on every bit of
 * the hash, through multiplications, so structured hashes (multiples of a power
 * of two, differences in high bits only) spread out as CPython's perturbation
 * spreads them in a dict. The table size is prime, so any step from 1 to size-1
 * visits every slot exactly once before it repeats: a lookup compares each
 * candidate once, even when many values share one hash. hash + 1 is never 0
 * (no hash is -1), so the start is never the fixed point 0. */
static inline uint64_t
probe_origin(Py_hash_t hash)
{
    return ((uint64_t)hash + 1) * MIX;
}

typedef struct {
    size_t i;
    size_t step;  /* 0 until the first position missed */
    Py_hash_t hash;
} probe_t;

static inline void
probe_start(probe_t *probe, Py_hash_t hash, size_t n)
{
    probe->i = reduce(probe_origin(hash), n);
    probe->step = 0;
    probe->hash = hash;
}

static inline void
probe_next(probe_t *probe, size_t n)
{
    if (probe->step == 0) {
        uint64_t bits = (uint64_t)probe->hash;
        probe->step = 1 + reduce((bits ^ (bits >> 31)) * MIX_STEP, n - 1);
    }
    probe->i += probe->step;
    if (probe->i >= n) {
        probe->i -= n;
    }
}

static int
is_prime(size_t n)
{
    if (n % 2 == 0 || n % 3 == 0) {
        return n == 2 || n == 3;
    }
    for (size_t divisor = 5; divisor * divisor <= n; divisor += 6) {
        if (n % divisor == 0 || n % (divisor + 2) == 0) {
            return 0;
        }
    }
    return n > 1;
}

static void
table_store(uintptr_t *slots, size_t n, HandleObject *handle)
{
    probe_t probe;
    probe_start(&probe, handle->hash, n);
    while (slots[probe.i] != SLOT_EMPTY) {
        probe_next(&probe, n);
    }
    slots[probe.i] = (uintptr_t)handle | tag_of(handle->hash);
}

/* Reallocate the table for `needed` handles. Runs no user code. */
static int
table_resize(InternerObject *self, Py_ssize_t needed)
{
    size_t size = ((size_t)needed * 15 + 7) / 8;
    if (size < MIN_SIZE) {
        size = MIN_SIZE;
    }
    while (size <= MAX_SIZE && !is_prime(size)) {
        size++;
    }
    if (size > MAX_SIZE) {
        PyErr_NoMemory();
        return -1;
    }
    uintptr_t *slots = PyMem_Calloc(size, sizeof(uintptr_t));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < self->size; i++) {
        uintptr_t slot = self->slots[i];
        if (slot != SLOT_EMPTY && slot != SLOT_DUMMY) {
            table_store(slots, size, handle_of(slot));
        }
    }
    PyMem_Free(self->slots);
    self->slots = slots;
    self->size = size;
    self->fill = self->used;
    self->resizes++;
    return 0;
}

/* Store a handle known to be absent. Runs no user code. */
static int
table_insert(InternerObject *self, HandleObject *handle)
{
    if ((size_t)(self->fill + 1) * 5 > self->size * 4
        || (self->size > 64 && (size_t)self->used * 8 < self->size)) {
        if (table_resize(self, self->used + 1) < 0) {
            return -1;
        }
    }
    probe_t probe;
    probe_start(&probe, handle->hash, self->size);
    for (;;) {
        uintptr_t slot = self->slots[probe.i];
        if (slot == SLOT_EMPTY || slot == SLOT_DUMMY) {
            self->fill += slot == SLOT_EMPTY;
            break;
        }
        probe_next(&probe, self->size);
    }
    self->slots[probe.i] = (uintptr_t)handle | tag_of(handle->hash);
    self->used++;
    self->inserts++;
    self->created++;
    handle->owner = (InternerObject *)Py_NewRef(self);
    return 0;
}

/* Take a handle out of its owner's table, by identity. Runs no user code.
 * The caller drops the reference to the owner. */
static void
table_remove(InternerObject *self, HandleObject *handle)
{
    probe_t probe;
    probe_start(&probe, handle->hash, self->size);
    for (;;) {
        uintptr_t slot = self->slots[probe.i];
        if (slot == SLOT_EMPTY) {
            Py_FatalError("intern: a handle is missing from its interner's table");
        }
        if (slot != SLOT_DUMMY && handle_of(slot) == handle) {
            break;
        }
        probe_next(&probe, self->size);
    }
    self->slots[probe.i] = SLOT_DUMMY;
    self->used--;
    self->reclaimed++;
    handle->owner = NULL;
    if (self->used == 0 && self->size > 64) {
        /* Give the memory back after a burst; small tables stay, so that
         * make-and-drop churn does not allocate a table every time. */
        PyMem_Free(self->slots);
        self->slots = NULL;
        self->size = 0;
        self->fill = 0;
        self->resizes++;
    }
}

/* Take a new reference to a handle found in a table, unless it is being
 * destroyed: its refcount reached zero and its dealloc has not run yet. That
 * happens when CPython's trashcan defers deallocations in deep chains of
 * objects (and user code runs meanwhile), and in free-threaded builds when
 * another thread drops the last reference. Its memory stays valid until it
 * leaves the table, so reading it here is safe. */
static inline int
take_handle(HandleObject *handle)
{
#if INTERN_FREE_THREADING
    return PyUnstable_TryIncRef((PyObject *)handle);
#else
    if (Py_REFCNT(handle) == 0) {
        return 0;
    }
    Py_INCREF(handle);
    return 1;
#endif
}

static inline int
unicode_equal(PyObject *left, PyObject *right)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(left);
    if (length != PyUnicode_GET_LENGTH(right)) {
        return 0;
    }
    int kind = PyUnicode_KIND(left);
    if (kind != PyUnicode_KIND(right)) {
        return 0;
    }
    return memcmp(PyUnicode_DATA(left), PyUnicode_DATA(right), (size_t)length * kind) == 0;
}

/* Find the live handle of `value`, whose hash is `hash`. Returns a new
 * reference; NULL without an exception if there is none; NULL with an
 * exception if the value's __eq__ raised. May run user code. Called inside
 * the interner's critical section. */
static HandleObject *
table_find(InternerObject *self, PyObject *value, Py_hash_t hash)
{
    PyTypeObject *type = Py_TYPE(value);
    int exact_str = PyUnicode_CheckExact(value);
    /* Types whose equality runs no user code and allocates nothing. */
    int simple = PyLong_CheckExact(value) || PyFloat_CheckExact(value)
                 || PyBytes_CheckExact(value) || PyComplex_CheckExact(value);
    uintptr_t tag = tag_of(hash);
restart:
    if (self->size == 0) {
        return NULL;
    }
    uint64_t resizes = self->resizes;
    probe_t probe;
    probe_start(&probe, hash, self->size);
    for (;;) {
        uintptr_t slot = self->slots[probe.i];
        if (slot == SLOT_EMPTY) {
            return NULL;
        }
        if (slot != SLOT_DUMMY && (slot & TAG_MASK) == tag) {
            HandleObject *handle = handle_of(slot);
            PyObject *stored = handle->value;
            if (handle->hash == hash && Py_TYPE(stored) == type) {
                if (stored == value || (exact_str && unicode_equal(stored, value))) {
                    if (take_handle(handle)) {
                        return handle;
                    }
                }
                else if (simple) {
                    int equal = PyObject_RichCompareBool(stored, value, Py_EQ);
                    if (equal < 0) {
                        return NULL;
                    }
                    if (equal > 0 && take_handle(handle)) {
                        return handle;
                    }
                }
                else if (!exact_str && take_handle(handle)) {
                    /* Referenced, the handle stays in the table across __eq__;
                     * the value gets its own reference, since a collector in
                     * another thread (free-threaded builds) may clear a handle. */
                    Py_INCREF(stored);
                    int equal = PyObject_RichCompareBool(stored, value, Py_EQ);
                    Py_DECREF(stored);
                    if (equal > 0) {
                        return handle;
                    }
                    Py_DECREF(handle);
                    if (equal < 0) {
                        return NULL;
                    }
                    if (self->resizes != resizes || self->slots[probe.i] != slot) {
                        goto restart;
                    }
                }
            }
        }
        probe_next(&probe, self->size);
    }
}

/* ---------------------------------------------------------------- errors */

/* PyObject_Hash(value) failed. If it was a TypeError, let the shared Python
 * helper say what is unhashable (and where, inside a tuple), looking at types
 * only; otherwise, or if the helper finds nothing to say, the original
 * exception propagates. The value is never hashed again: a __hash__ that
 * fails once must not be given a second chance to succeed or fail otherwise. */
static void
explain_hash_error(InternerObject *self, PyObject *value)
{
    if (!PyErr_ExceptionMatches(PyExc_TypeError)) {
        return;
    }
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *original = PyErr_GetRaisedException();
#else
    PyObject *type, *original, *traceback;
    PyErr_Fetch(&type, &original, &traceback);
    PyErr_NormalizeException(&type, &original, &traceback);
    if (traceback != NULL) {
        PyException_SetTraceback(original, traceback);
    }
#endif
    PyObject *result =
        PyObject_CallFunctionObjArgs(self->explain_unhashable, value, original, NULL);
    if (result == NULL) {  /* the helper raised the better error */
        Py_XDECREF(original);
#if PY_VERSION_HEX < 0x030C0000
        Py_XDECREF(type);
        Py_XDECREF(traceback);
#endif
        return;
    }
    Py_DECREF(result);
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(original);
#else
    PyErr_Restore(type, original, traceback);
#endif
}

/* Refuse a type whose metaclass redefines equality, as _pure.py must (its
 * tables are found by type; here types are compared by identity anyway). The
 * common case is decided here; anything else by the shared Python helper. */
static int
check_metaclass(InternerObject *self, PyObject *value)
{
    PyTypeObject *meta = Py_TYPE(Py_TYPE(value));
    if (meta == &PyType_Type
        || (meta->tp_richcompare == PyType_Type.tp_richcompare
            && meta->tp_hash == PyType_Type.tp_hash)) {
        return 0;
    }
    PyObject *result = PyObject_CallOneArg(self->check_metaclass, (PyObject *)Py_TYPE(value));
    if (result == NULL) {
        return -1;
    }
    Py_DECREF(result);
    return 0;
}

/* ---------------------------------------------------------------- make, get */

static HandleObject *
handle_new(InternerObject *self, PyObject *value, Py_hash_t hash)
{
    HandleObject *handle = PyObject_GC_New(HandleObject, self->handle_type);
    if (handle == NULL) {
        return NULL;
    }
    handle->value = Py_NewRef(value);
    handle->owner = NULL;
    handle->hash = hash;
    handle->weakreflist = NULL;
#if INTERN_FREE_THREADING
    PyUnstable_EnableTryIncRef((PyObject *)handle);
#endif
    /* A value that cannot refer to other objects (str, int, ...) cannot put
     * its handle in a cycle: leave such handles to reference counting. */
    if (PyObject_IS_GC(value)) {
        PyObject_GC_Track(handle);
    }
    return handle;
}

static PyObject *
make_locked(InternerObject *self, PyObject *value, Py_hash_t hash)
{
    for (;;) {
        uint64_t inserts = self->inserts;
        HandleObject *found = table_find(self, value, hash);
        if (found != NULL) {
            return (PyObject *)found;
        }
        if (PyErr_Occurred() || check_metaclass(self, value) < 0) {
            return NULL;
        }
        /* Allocating may run a collection, and with it user code that
         * interns: store only if nothing was stored since the lookup. Between
         * this check and the store nothing runs user code. */
        HandleObject *handle = handle_new(self, value, hash);
        if (handle == NULL) {
            return NULL;
        }
        if (self->inserts == inserts) {
            if (table_insert(self, handle) < 0) {
                Py_DECREF(handle);
                return NULL;
            }
            return (PyObject *)handle;
        }
        Py_DECREF(handle);  /* not in a table: its dealloc touches none */
    }
}

/* A str's cached hash, or -1. 3.15 has an accessor for it (an atomic read in
 * free-threaded builds); 3.14 has none, and there the plain read of the field
 * would race with another thread storing the hash, so 3.14t goes without. */
#if PY_VERSION_HEX >= 0x030F0000
#  define cached_str_hash(op) PyUnstable_Unicode_GET_CACHED_HASH(op)
#elif !INTERN_FREE_THREADING
#  define cached_str_hash(op) (((PyASCIIObject *)(op))->hash)
#endif

/* The hash, read straight from a str's cache when it is there. */
static inline Py_hash_t
value_hash(PyObject *value)
{
#ifdef cached_str_hash
    if (PyUnicode_CheckExact(value)) {
        Py_hash_t hash = cached_str_hash(value);
        if (hash != -1) {
            return hash;
        }
    }
#endif
    return PyObject_Hash(value);
}

/* The common hits, found without running user code: the value itself, or a
 * str equal to it. Returns a new reference, or NULL when the full lookup must
 * decide (absent, a candidate whose equality is user code, or a dying one). */
static inline HandleObject *
find_without_user_code(InternerObject *self, PyObject *value, Py_hash_t hash)
{
    size_t n = self->size;
    if (n == 0) {
        return NULL;
    }
    int exact_str = PyUnicode_CheckExact(value);
    uintptr_t tag = tag_of(hash);
    probe_t probe;
    probe_start(&probe, hash, n);
    for (;;) {
        uintptr_t slot = self->slots[probe.i];
        if (slot == SLOT_EMPTY) {
            return NULL;
        }
        if (slot != SLOT_DUMMY && (slot & TAG_MASK) == tag) {
            HandleObject *handle = handle_of(slot);
            PyObject *stored = handle->value;
            if (stored == value) {
                return take_handle(handle) ? handle : NULL;
            }
            if (handle->hash == hash && Py_TYPE(stored) == Py_TYPE(value)) {
                if (!exact_str || unicode_equal(stored, value)) {
                    return exact_str && take_handle(handle) ? handle : NULL;
                }
            }
        }
        probe_next(&probe, n);
    }
}

static inline PyObject *
interner_make_impl(InternerObject *self, PyObject *value)
{
    Py_hash_t hash = value_hash(value);
    if (hash == -1) {
        explain_hash_error(self, value);
        return NULL;
    }
    PyObject *result;
    Py_BEGIN_CRITICAL_SECTION(self);
    result = (PyObject *)find_without_user_code(self, value, hash);
    if (result == NULL) {
        result = make_locked(self, value, hash);
    }
    Py_END_CRITICAL_SECTION();
    return result;
}

/* Returns a new reference, or NULL: with an exception set on error. */
static PyObject *
interner_get_impl(InternerObject *self, PyObject *value)
{
    Py_hash_t hash = value_hash(value);
    if (hash == -1) {
        explain_hash_error(self, value);
        return NULL;
    }
    HandleObject *found;
    Py_BEGIN_CRITICAL_SECTION(self);
    found = table_find(self, value, hash);
    Py_END_CRITICAL_SECTION();
    return (PyObject *)found;
}

/* ---------------------------------------------------------------- Handle */

static PyObject *
handle_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyErr_SetString(PyExc_TypeError,
                    "Handle objects are not created directly: use intern.make(value)");
    return NULL;
}

static int
handle_traverse(HandleObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->value);
    Py_VISIT(self->owner);
    return 0;
}

/* Leave the table before anything can run user code (see the invariants). */
static void
handle_leave_table(HandleObject *self)
{
    InternerObject *owner = self->owner;
    if (owner != NULL) {
        Py_BEGIN_CRITICAL_SECTION(owner);
        table_remove(owner, self);
        Py_END_CRITICAL_SECTION();
        Py_DECREF(owner);  /* the table's memory lives with the interner */
    }
}

static int
handle_clear(HandleObject *self)
{
    handle_leave_table(self);
    PyObject *value;
    Py_BEGIN_CRITICAL_SECTION(self);
    value = self->value;
    self->value = NULL;
    Py_END_CRITICAL_SECTION();
    Py_XDECREF(value);
    return 0;
}

/* A new reference to the value, or NULL if a collection cleared the handle:
 * the collector clears every object of a garbage cycle, even one that user
 * code run during the collection got hold of again. */
static PyObject *
handle_value_ref(HandleObject *self)
{
    PyObject *value;
    Py_BEGIN_CRITICAL_SECTION(self);
    value = Py_XNewRef(self->value);
    Py_END_CRITICAL_SECTION();
    return value;
}

static void
handle_dealloc(HandleObject *self)
{
    PyObject_GC_UnTrack(self);
    /* Before the trashcan, which may defer the rest while user code runs. */
    handle_leave_table(self);
    Py_TRASHCAN_BEGIN(self, handle_dealloc)
    if (self->weakreflist != NULL) {
        PyObject_ClearWeakRefs((PyObject *)self);
    }
    Py_CLEAR(self->value);
    PyTypeObject *type = Py_TYPE(self);
    type->tp_free(self);
    Py_DECREF(type);
    Py_TRASHCAN_END
}

static PyObject *
handle_repr(HandleObject *self)
{
    PyObject *value = handle_value_ref(self);
    if (value == NULL) {
        return PyUnicode_FromString("Handle(<cleared>)");
    }
    PyObject *result = NULL;
    int recursive = Py_ReprEnter((PyObject *)self);
    if (recursive > 0) {
        result = PyUnicode_FromString("Handle(...)");
    }
    else if (recursive == 0) {
        result = PyUnicode_FromFormat("Handle(%R)", value);
        Py_ReprLeave((PyObject *)self);
    }
    Py_DECREF(value);
    return result;
}

static PyObject *
handle_get_value(HandleObject *self, void *closure)
{
    PyObject *value = handle_value_ref(self);
    if (value == NULL) {
        PyErr_SetString(PyExc_ReferenceError, "the handle was cleared by the garbage collector");
    }
    return value;
}

static PyObject *
handle_reduce(HandleObject *self, PyObject *unused)
{
    /* Pickles name the public intern.make, so that they load under either
     * implementation and re-intern on load. */
    PyObject *intern = PyImport_ImportModule("intern");
    if (intern == NULL) {
        return NULL;
    }
    PyObject *make = PyObject_GetAttrString(intern, "make");
    Py_DECREF(intern);
    if (make == NULL) {
        return NULL;
    }
    PyObject *value = handle_get_value(self, NULL);
    if (value == NULL) {
        Py_DECREF(make);
        return NULL;
    }
    return Py_BuildValue("(N(N))", make, value);
}

static PyObject *
handle_copy(PyObject *self, PyObject *unused)
{
    return Py_NewRef(self);
}

/* The types are final; they accept subclassing at the C level only so that
 * this can refuse it with the same message as _pure.py. */
static PyObject *
handle_init_subclass(PyObject *cls, PyObject *args, PyObject *kwargs)
{
    PyErr_SetString(PyExc_TypeError, "Handle is final and cannot be subclassed");
    return NULL;
}

static PyMethodDef handle_methods[] = {
    {"__reduce__", (PyCFunction)handle_reduce, METH_NOARGS, NULL},
    {"__copy__", handle_copy, METH_NOARGS, NULL},
    {"__deepcopy__", handle_copy, METH_O, NULL},
    {"__init_subclass__", (PyCFunction)(void (*)(void))handle_init_subclass,
     METH_VARARGS | METH_KEYWORDS | METH_CLASS, NULL},
    {"__class_getitem__", Py_GenericAlias, METH_O | METH_CLASS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef handle_getset[] = {
    {"value", (getter)handle_get_value, NULL,
     PyDoc_STR("The canonical value: the first of its equals that was interned."), NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef handle_members[] = {
    {"__weaklistoffset__", Py_T_PYSSIZET, offsetof(HandleObject, weakreflist), Py_READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

PyDoc_STRVAR(handle_doc,
"The canonical handle of a value, as returned by intern.make.\n\n"
"Two live handles are the same object if and only if their values have the\n"
"same type and are equal, so `is` compares them. Handles are immutable,\n"
"compare and hash by identity, can be weakly referenced, are returned as\n"
"themselves by copy.copy and copy.deepcopy, and pickle by value: unpickling\n"
"calls intern.make again.");

static PyType_Slot handle_slots[] = {
    {Py_tp_doc, (void *)handle_doc},
    {Py_tp_new, handle_tp_new},
    {Py_tp_dealloc, handle_dealloc},
    {Py_tp_traverse, handle_traverse},
    {Py_tp_clear, handle_clear},
    {Py_tp_repr, handle_repr},
    {Py_tp_methods, handle_methods},
    {Py_tp_getset, handle_getset},
    {Py_tp_members, handle_members},
    {0, NULL},
};

static PyType_Spec handle_spec = {
    .name = "intern._speedups.Handle",
    .basicsize = sizeof(HandleObject),
    /* BASETYPE only so that __init_subclass__ can refuse with a clear message. */
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE
             | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = handle_slots,
};

/* ---------------------------------------------------------------- Interner */

static PyObject *
interner_new_from_state(PyTypeObject *type, module_state *state)
{
    InternerObject *self = PyObject_GC_New(InternerObject, type);
    if (self == NULL) {
        return NULL;
    }
    self->slots = NULL;
    self->size = 0;
    self->used = 0;
    self->fill = 0;
    self->resizes = 0;
    self->inserts = 0;
    self->created = 0;
    self->reclaimed = 0;
    self->handle_type = (PyTypeObject *)Py_NewRef(state->handle_type);
    self->stats_type = Py_NewRef(state->stats_type);
    self->explain_unhashable = Py_NewRef(state->explain_unhashable);
    self->check_metaclass = Py_NewRef(state->check_metaclass);
    self->weakreflist = NULL;
    PyObject_GC_Track(self);
    return (PyObject *)self;
}

static PyObject *
interner_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    if (PyTuple_GET_SIZE(args) != 0 || (kwargs != NULL && PyDict_GET_SIZE(kwargs) != 0)) {
        PyErr_SetString(PyExc_TypeError, "Interner() takes no arguments");
        return NULL;
    }
    PyObject *module = PyType_GetModuleByDef(type, &intern_module);
    if (module == NULL) {
        return NULL;
    }
    module_state *state = state_of_module(module);
    if (state->interner_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "intern._speedups was cleared");
        return NULL;
    }
    if (type != state->interner_type) {
        /* A base whose __init_subclass__ skips ours let a subclass through. */
        PyErr_SetString(PyExc_TypeError, "Interner is final and cannot be subclassed");
        return NULL;
    }
    return interner_new_from_state(type, state);
}

static int
interner_traverse(InternerObject *self, visitproc visit, void *arg)
{
    /* The table's pointers are borrowed: handles keep their interner alive,
     * never the other way round. */
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->handle_type);
    Py_VISIT(self->stats_type);
    Py_VISIT(self->explain_unhashable);
    Py_VISIT(self->check_metaclass);
    return 0;
}

static void
interner_dealloc(InternerObject *self)
{
    PyObject_GC_UnTrack(self);
    if (self->weakreflist != NULL) {
        PyObject_ClearWeakRefs((PyObject *)self);
    }
    /* Every handle in the table holds a reference to this interner, so the
     * table is empty by now. */
    assert(self->used == 0);
    PyMem_Free(self->slots);
    Py_CLEAR(self->handle_type);
    Py_CLEAR(self->stats_type);
    Py_CLEAR(self->explain_unhashable);
    Py_CLEAR(self->check_metaclass);
    PyTypeObject *type = Py_TYPE(self);
    type->tp_free(self);
    Py_DECREF(type);
}

static PyObject *
interner_make(InternerObject *self, PyObject *value)
{
    return interner_make_impl(self, value);
}

static PyObject *
interner_get(InternerObject *self, PyObject *value)
{
    PyObject *found = interner_get_impl(self, value);
    if (found == NULL && !PyErr_Occurred()) {
        Py_RETURN_NONE;
    }
    return found;
}

static int
interner_contains(InternerObject *self, PyObject *value)
{
    PyObject *found = interner_get_impl(self, value);
    if (found == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    Py_DECREF(found);
    return 1;
}

static void
interner_counts(InternerObject *self, Py_ssize_t *created, Py_ssize_t *reclaimed)
{
    Py_BEGIN_CRITICAL_SECTION(self);
    *created = self->created;
    *reclaimed = self->reclaimed;
    Py_END_CRITICAL_SECTION();
}

static Py_ssize_t
interner_length(InternerObject *self)
{
    Py_ssize_t created, reclaimed;
    interner_counts(self, &created, &reclaimed);
    return created - reclaimed;
}

static PyObject *
interner_stats(InternerObject *self, PyObject *unused)
{
    Py_ssize_t created, reclaimed;
    interner_counts(self, &created, &reclaimed);
    return PyObject_CallFunction(self->stats_type, "nnn", created - reclaimed, created, reclaimed);
}

static PyObject *
interner_repr(InternerObject *self)
{
    Py_ssize_t created, reclaimed;
    interner_counts(self, &created, &reclaimed);
    return PyUnicode_FromFormat("<Interner live=%zd created=%zd reclaimed=%zd>",
                                created - reclaimed, created, reclaimed);
}

static PyObject *
interner_init_subclass(PyObject *cls, PyObject *args, PyObject *kwargs)
{
    PyErr_SetString(PyExc_TypeError, "Interner is final and cannot be subclassed");
    return NULL;
}

static PyObject *
interner_sizeof(InternerObject *self, PyObject *unused)
{
    size_t size;
    Py_BEGIN_CRITICAL_SECTION(self);
    size = self->size;
    Py_END_CRITICAL_SECTION();
    return PyLong_FromSize_t((size_t)Py_TYPE(self)->tp_basicsize + size * sizeof(uintptr_t));
}

static PyMethodDef interner_methods[] = {
    {"make", (PyCFunction)interner_make, METH_O,
     PyDoc_STR("make($self, value, /)\n--\n\nReturn the canonical handle of value in this interner.")},
    {"get", (PyCFunction)interner_get, METH_O,
     PyDoc_STR("get($self, value, /)\n--\n\nReturn the live handle of value, or None; never inserts.")},
    {"stats", (PyCFunction)interner_stats, METH_NOARGS,
     PyDoc_STR("stats($self, /)\n--\n\nReturn a snapshot of the counters: live, created, reclaimed.")},
    {"__sizeof__", (PyCFunction)interner_sizeof, METH_NOARGS, NULL},
    {"__init_subclass__", (PyCFunction)(void (*)(void))interner_init_subclass,
     METH_VARARGS | METH_KEYWORDS | METH_CLASS, NULL},
    {"__class_getitem__", Py_GenericAlias, METH_O | METH_CLASS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef interner_members[] = {
    {"__weaklistoffset__", Py_T_PYSSIZET, offsetof(InternerObject, weakreflist), Py_READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

PyDoc_STRVAR(interner_doc,
"An independent table of canonical handles.\n\n"
"intern.make is the make of the default interner, intern.default; create an\n"
"Interner to keep a separate table (its handles are never shared with another\n"
"interner's).");

static PyType_Slot interner_slots[] = {
    {Py_tp_doc, (void *)interner_doc},
    {Py_tp_new, interner_tp_new},
    {Py_tp_dealloc, interner_dealloc},
    {Py_tp_traverse, interner_traverse},
    {Py_tp_repr, interner_repr},
    {Py_tp_methods, interner_methods},
    {Py_tp_members, interner_members},
    {Py_sq_length, interner_length},
    {Py_sq_contains, interner_contains},
    {0, NULL},
};

static PyType_Spec interner_spec = {
    .name = "intern._speedups.Interner",
    .basicsize = sizeof(InternerObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE
             | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = interner_slots,
};

/* ---------------------------------------------------------------- module */

static PyObject *
module_make(PyObject *module, PyObject *value)
{
    PyObject *interner = state_of_module(module)->default_interner;
    if (interner == NULL) {  /* the module was cleared: only while it is being destroyed */
        PyErr_SetString(PyExc_RuntimeError, "intern._speedups was cleared");
        return NULL;
    }
    return interner_make_impl((InternerObject *)interner, value);
}

PyDoc_STRVAR(module_make_doc,
"make(value, /)\n--\n\n"
"Return the canonical handle of ``value``.\n\n"
"Two live handles make(a) and make(b) are the same object if and only if\n"
"type(a) is type(b) and a == b; the handle's value is the first of those\n"
"equals that was interned. The table holds handles weakly: once the last\n"
"handle to a value is collected, its entry goes away.\n\n"
"Raises TypeError for an unhashable value. Exceptions raised by the value's\n"
"__hash__ or __eq__ propagate unchanged and leave the table as it was.");

static PyMethodDef module_methods[] = {
    {"make", module_make, METH_O, module_make_doc},
    {NULL, NULL, 0, NULL},
};

static PyObject *
import_attribute(const char *module_name, const char *name)
{
    PyObject *module = PyImport_ImportModule(module_name);
    if (module == NULL) {
        return NULL;
    }
    PyObject *attribute = PyObject_GetAttrString(module, name);
    Py_DECREF(module);
    return attribute;
}

static int
module_exec(PyObject *module)
{
    module_state *state = state_of_module(module);
    state->stats_type = import_attribute("intern._stats", "Stats");
    if (state->stats_type == NULL) {
        return -1;
    }
    state->explain_unhashable = import_attribute("intern._checks", "explain_unhashable");
    if (state->explain_unhashable == NULL) {
        return -1;
    }
    state->check_metaclass = import_attribute("intern._checks", "check_metaclass");
    if (state->check_metaclass == NULL) {
        return -1;
    }
    state->handle_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &handle_spec, NULL);
    if (state->handle_type == NULL || PyModule_AddType(module, state->handle_type) < 0) {
        return -1;
    }
    state->interner_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &interner_spec, NULL);
    if (state->interner_type == NULL || PyModule_AddType(module, state->interner_type) < 0) {
        return -1;
    }
    state->default_interner = interner_new_from_state(state->interner_type, state);
    if (state->default_interner == NULL
        || PyModule_AddObjectRef(module, "default", state->default_interner) < 0) {
        return -1;
    }
    /* make's __module__ is the public one, as in _pure.py. */
    PyObject *make = PyObject_GetAttrString(module, "make");
    PyObject *public_name = PyUnicode_FromString("intern");
    int status = -1;
    if (make != NULL && public_name != NULL) {
        status = PyObject_SetAttrString(make, "__module__", public_name);
    }
    Py_XDECREF(make);
    Py_XDECREF(public_name);
    return status;
}

static int
module_traverse(PyObject *module, visitproc visit, void *arg)
{
    module_state *state = state_of_module(module);
    Py_VISIT(state->handle_type);
    Py_VISIT(state->interner_type);
    Py_VISIT(state->default_interner);
    Py_VISIT(state->stats_type);
    Py_VISIT(state->explain_unhashable);
    Py_VISIT(state->check_metaclass);
    return 0;
}

static int
module_clear(PyObject *module)
{
    module_state *state = state_of_module(module);
    Py_CLEAR(state->handle_type);
    Py_CLEAR(state->interner_type);
    Py_CLEAR(state->default_interner);
    Py_CLEAR(state->stats_type);
    Py_CLEAR(state->explain_unhashable);
    Py_CLEAR(state->check_metaclass);
    return 0;
}

static void
module_free(void *module)
{
    module_clear((PyObject *)module);
}

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, module_exec},
#ifdef Py_mod_multiple_interpreters
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#ifdef Py_mod_gil
#  if PY_VERSION_HEX >= 0x030E0000
    /* Correct without the GIL: critical sections around every table access,
     * re-validation after user code, PyUnstable_TryIncRef against
     * resurrection (see the comments at the top of this file). */
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#  else
    /* 3.13t has no public try-incref: the module enables the GIL there (and
     * forcing it off with PYTHON_GIL=0 is not supported). */
    {Py_mod_gil, Py_MOD_GIL_USED},
#  endif
#endif
    {0, NULL},
};

static PyModuleDef intern_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "intern._speedups",
    .m_doc = "The C implementation of intern's handles and interners.",
    .m_size = sizeof(module_state),
    .m_methods = module_methods,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModuleDef_Init(&intern_module);
}
