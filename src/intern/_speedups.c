/* The C implementation of handles and interners: the same contract as
 * _pure.py, with a different table.
 *
 * An interner owns one open-addressing table of borrowed pointers to its
 * handles, whatever their values' types. A handle holds its value, its hash and
 * a strong reference to its interner; its dealloc (or its tp_clear, when the
 * collector breaks a cycle) takes it out of the table. So the table never keeps
 * a value or a handle alive, costs 8 bytes a slot, and needs no weak reference
 * object per entry.
 *
 * Words used alike here and in _pure.py:
 *
 * - hit path: make's and get's lookup of the common hits, which runs no user
 *   code (find_without_user_code; in Python, the closures of _bind_lookups).
 * - slow path: everything else a lookup does (find_slowly; in Python,
 *   _Tables.make_slowly and get_slowly).
 * - candidate: a live handle of the value's type and hash, which only the
 *   value's __eq__ can tell equal or not.
 * - round: a look at the candidates not compared before, then their
 *   comparisons. After the first, a round happens only when a comparison let
 *   user code store handles (MAX_ROUNDS, _MAX_ROUNDS).
 * - inserts: the number of handles stored so far (in Python, a bucket is
 *   replaced whenever a handle of its hash is stored, so its identity says it
 *   per hash).
 * - unreachable: found so by a collection, which takes a handle out of its
 *   table for good (handle_finalize; in Python, the collector clears the
 *   weak reference).
 * - explain_hash_error: what turns a failed hash into the error make raises.
 *
 * Invariants, relied on throughout:
 *
 * - A handle is in its owner's table exactly while handle->owner != NULL. It
 *   leaves (in dealloc, tp_clear or tp_finalize) before anything that can run
 *   user code (weakref callbacks, the value's dealloc, finalizers), and never
 *   comes back, so user code never finds a dying or cleared handle in a table.
 * - User code can run at every call into the value's __eq__ and at every
 *   Py_DECREF that may free an object; it may store and remove handles. A
 *   lookup holds strong references to the candidates it has compared (so their
 *   addresses are not reused), re-walks its probe sequence after user code ran
 *   and something was stored, compares only candidates it has not compared,
 *   and inserts right after a walk that found none, with no user code between:
 *   a reentrant make() of an equal value never yields a second handle, and
 *   stores of other values never make it look again forever.
 * - Table slots are written only under the interner's critical section (a
 *   no-op with the GIL). User code run inside one may suspend it, which is
 *   why the re-walk above is also what makes free-threading correct.
 * - So are the counters (created, reclaimed, hits): a suspended critical
 *   section is held again before the code that suspended it goes on, so they
 *   are exact without the GIL too, and the hit path, which holds the critical
 *   section anyway, counts with a plain increment rather than an atomic one.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if PY_VERSION_HEX < 0x030C0000
#  include "structmember.h"
#  define Py_T_PYSSIZET T_PYSSIZET
#  define Py_READONLY READONLY
#  define Py_T_OBJECT_EX T_OBJECT_EX
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
    PyObject *check_picklable;     /* intern._checks.check_picklable */
    PyTypeObject *pool_type;
    PyObject *pool_stats_type;     /* intern._stats.PoolStats */
    PyObject *make_deep_with;      /* intern._deep.make_deep_with */
    PyObject *getsizeof;           /* sys.getsizeof */
    PyCFunction str_sizeof;        /* str.__sizeof__, if found */
    PyCFunction int_sizeof;        /* int.__sizeof__, if found */
    PyCFunction bytes_sizeof;      /* bytes.__sizeof__, if found */
    PyTypeObject *cache_hits_type;
    PyTypeObject *cached_call_type;
    PyObject *str_miss;            /* "_miss", interned */
    PyObject *kwd_mark;            /* separates arguments from keywords in a call's key */
    PyTypeObject *cleanup_task_type;
    PyTypeObject *registrar_type;
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
    Py_ssize_t hits;       /* calls of make answered by a handle already there */
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

static PyObject *handle_value_ref(HandleObject *self);
static HandleObject *handle_new(InternerObject *self, PyObject *value, Py_hash_t hash);
static PyObject *import_attribute(const char *module_name, const char *name);

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
    return 0;
}

/* Take a handle out of the table, by identity. Runs no user code. */
static void
table_unlink(InternerObject *self, HandleObject *handle)
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

/* ---------------------------------------------------------------- candidates */

/* A list of strong references to handles: the candidates a lookup compared (and
 * found unequal) or is about to compare. Holding them keeps their addresses from
 * being reused by new handles while the lookup runs. */
typedef struct {
    HandleObject **items;
    Py_ssize_t count;
    Py_ssize_t capacity;
    HandleObject *inline_items[4];
} candidates_t;

static void
candidates_init(candidates_t *list)
{
    list->items = list->inline_items;
    list->count = 0;
    list->capacity = (Py_ssize_t)(sizeof list->inline_items / sizeof list->inline_items[0]);
}

/* Append a handle, stealing the reference. Raw memory only: runs no user code. */
static int
candidates_append(candidates_t *list, HandleObject *handle)
{
    if (list->count == list->capacity) {
        size_t capacity = (size_t)list->capacity * 2;
        HandleObject **items;
        if (list->items == list->inline_items) {
            items = PyMem_Malloc(capacity * sizeof(HandleObject *));
            if (items != NULL) {
                memcpy(items, list->items, (size_t)list->count * sizeof(HandleObject *));
            }
        }
        else {
            items = PyMem_Realloc(list->items, capacity * sizeof(HandleObject *));
        }
        if (items == NULL) {
            Py_DECREF(handle);
            PyErr_NoMemory();
            return -1;
        }
        list->items = items;
        list->capacity = (Py_ssize_t)capacity;
    }
    list->items[list->count++] = handle;
    return 0;
}

static int
compare_addresses(const void *left, const void *right)
{
    uintptr_t a = (uintptr_t)*(HandleObject *const *)left;
    uintptr_t b = (uintptr_t)*(HandleObject *const *)right;
    return (a > b) - (a < b);
}

/* Sort the items by address, for candidates_contain. */
static void
candidates_sort(candidates_t *list)
{
    qsort(list->items, (size_t)list->count, sizeof(HandleObject *), compare_addresses);
}

/* Whether `handle` is among the first `count` items, sorted by address: a
 * round may meet as many candidates as the value's hash has. */
static int
candidates_contain(const candidates_t *list, Py_ssize_t count, const HandleObject *handle)
{
    return count > 0
           && bsearch(&handle, list->items, (size_t)count, sizeof(HandleObject *),
                      compare_addresses) != NULL;
}

/* Drop the references (which may run user code: a handle's last reference). */
static void
candidates_clear(candidates_t *list)
{
    for (Py_ssize_t i = 0; i < list->count; i++) {
        Py_XDECREF(list->items[i]);
    }
    if (list->items != list->inline_items) {
        PyMem_Free(list->items);
    }
    candidates_init(list);
}

/* Compare the value of a candidate (a strong reference) with `value`: 1 if
 * equal, 0 if not, -1 on error. Runs user code. The value gets its own
 * reference, as a collector (in another thread, on free-threaded builds) may
 * clear the handle meanwhile; a cleared handle equals nothing. */
static int
candidate_equal(HandleObject *candidate, PyObject *value)
{
    PyObject *stored = handle_value_ref(candidate);
    if (stored == NULL) {
        return 0;
    }
    int equal = PyObject_RichCompareBool(stored, value, Py_EQ);
    Py_DECREF(stored);
    return equal;
}

/* ---------------------------------------------------------------- the slow path */

/* Rounds of comparisons a lookup makes before it gives up (see find_slowly). */
#define MAX_ROUNDS 100

/* How the value under lookup compares with a stored one of its type and hash. */
typedef struct {
    PyObject *value;
    PyTypeObject *type;
    Py_hash_t hash;
    uintptr_t tag;
    int exact_str;  /* equality decided by unicode_equal */
    int simple;     /* equality runs no user code and allocates nothing */
} probe_key_t;

static void
probe_key_init(probe_key_t *key, PyObject *value, Py_hash_t hash)
{
    key->value = value;
    key->type = Py_TYPE(value);
    key->hash = hash;
    key->tag = tag_of(hash);
    key->exact_str = PyUnicode_CheckExact(value);
    key->simple = PyLong_CheckExact(value) || PyFloat_CheckExact(value)
                  || PyBytes_CheckExact(value) || PyComplex_CheckExact(value);
}

/* What a slot holds for the value under lookup. */
enum { NOT_A_CANDIDATE, EQUAL, CANDIDATE };

/* Decide, without user code, whether `handle` holds the value: EQUAL (same
 * object, equal str, or an equal int, float, bytes or complex), CANDIDATE (same
 * type and hash, and only its __eq__ can tell) or NOT_A_CANDIDATE. */
static int
classify(const probe_key_t *key, HandleObject *handle)
{
    PyObject *stored = handle->value;
    if (stored == key->value) {
        return EQUAL;
    }
    if (handle->hash != key->hash || Py_TYPE(stored) != key->type) {
        return NOT_A_CANDIDATE;
    }
    if (key->exact_str) {
        return unicode_equal(stored, key->value) ? EQUAL : NOT_A_CANDIDATE;
    }
    if (key->simple) {
        return PyObject_RichCompareBool(stored, key->value, Py_EQ) > 0 ? EQUAL : NOT_A_CANDIDATE;
    }
    return CANDIDATE;
}

/* The first round: walk the probe sequence comparing each candidate as it
 * comes, as the common hit (an equal tuple, a record) wants. A candidate found
 * unequal is kept in `compared`. Returns a new reference to the handle found,
 * or NULL: with an exception if __eq__ raised, else having walked to the end
 * (*complete = 1) or stopped where a comparison changed the table under it
 * (*complete = 0), which the later rounds take over. */
static HandleObject *
first_round(InternerObject *self, const probe_key_t *key, candidates_t *compared,
            int *complete)
{
    *complete = 1;
    if (self->size == 0) {
        return NULL;
    }
    uint64_t resizes = self->resizes;
    uint64_t inserts = self->inserts;
    probe_t probe;
    probe_start(&probe, key->hash, self->size);
    for (;;) {
        uintptr_t slot = self->slots[probe.i];
        if (slot == SLOT_EMPTY) {
            return NULL;
        }
        if (slot != SLOT_DUMMY && (slot & TAG_MASK) == key->tag) {
            HandleObject *handle = handle_of(slot);
            int kind = classify(key, handle);
            if (kind != NOT_A_CANDIDATE && take_handle(handle)) {
                if (kind == EQUAL) {
                    return handle;
                }
                int equal = candidate_equal(handle, key->value);
                if (equal > 0) {
                    return handle;
                }
                if (candidates_append(compared, handle) < 0 || equal < 0) {
                    return NULL;
                }
                /* Anything stored meanwhile (perhaps ahead in this very probe
                 * sequence, again and again) is for the later rounds, which
                 * are counted. */
                if (self->inserts != inserts || self->resizes != resizes
                    || self->slots[probe.i] != slot) {
                    *complete = 0;
                    return NULL;
                }
            }
        }
        probe_next(&probe, self->size);
    }
}

/* A later round's scan: walk the whole probe sequence without running user
 * code, returning the handle if it is found without user code, else adding to
 * `compared` every candidate not in it yet (the round's fresh candidates). */
static HandleObject *
scan(InternerObject *self, const probe_key_t *key, candidates_t *compared)
{
    if (self->size == 0) {
        return NULL;
    }
    Py_ssize_t known = compared->count;
    probe_t probe;
    probe_start(&probe, key->hash, self->size);
    for (;;) {
        uintptr_t slot = self->slots[probe.i];
        if (slot == SLOT_EMPTY) {
            return NULL;
        }
        if (slot != SLOT_DUMMY && (slot & TAG_MASK) == key->tag) {
            HandleObject *handle = handle_of(slot);
            int kind = classify(key, handle);
            if (kind == EQUAL && take_handle(handle)) {
                return handle;
            }
            if (kind == CANDIDATE) {
                if (!candidates_contain(compared, known, handle) && take_handle(handle)
                    && candidates_append(compared, handle) < 0) {
                    return NULL;
                }
            }
        }
        probe_next(&probe, self->size);
    }
}

/* The slow path of make (insert = 1) and get (insert = 0): find the handle of
 * a value equal to `value` among the candidates (the live handles of its type
 * and hash), comparing each once, and insert a new one if there is none.
 * Returns a new reference; NULL with an exception on error; NULL without one
 * when get finds nothing. Called inside the interner's critical section, which
 * user code may suspend.
 *
 * Each comparison runs user code, which may store new handles, even of equal
 * values, and free others. So after the first round, every round scans the
 * whole probe sequence without running user code and compares the candidates
 * it has not compared before; a round that finds none is a miss, and make
 * inserts there, before anything else can run. Values of other types or hashes
 * never add a round; a value whose comparisons keep storing values of its own
 * type and hash gets a RuntimeError after MAX_ROUNDS rounds. */
static PyObject *
find_slowly(InternerObject *self, PyObject *value, Py_hash_t hash, int insert)
{
    probe_key_t key;
    probe_key_init(&key, value, hash);
    candidates_t compared;
    candidates_init(&compared);
    HandleObject *handle = NULL;  /* the new handle, once made */
    HandleObject *found = NULL;
    PyObject *result = NULL;
    int complete;
    uint64_t inserts = self->inserts;
    found = first_round(self, &key, &compared, &complete);
    if (found != NULL) {
        result = (PyObject *)found;
        goto hit;
    }
    if (PyErr_Occurred()) {
        goto done;
    }
    /* Look again if the walk stopped early, or if something was stored since
     * it began: only then can a candidate have come that it did not see. */
    int again = !complete || self->inserts != inserts;
    for (int round = 1; round < MAX_ROUNDS; round++) {
        if (again) {
            inserts = self->inserts;
            candidates_sort(&compared);
            Py_ssize_t known = compared.count;
            found = scan(self, &key, &compared);
            if (found != NULL) {
                result = (PyObject *)found;
                goto hit;
            }
            if (PyErr_Occurred()) {
                goto done;
            }
            for (Py_ssize_t i = known; i < compared.count; i++) {
                int equal = candidate_equal(compared.items[i], value);
                if (equal < 0) {
                    goto done;
                }
                if (equal > 0) {
                    result = Py_NewRef(compared.items[i]);
                    goto hit;
                }
            }
            again = self->inserts != inserts;
            if (again) {
                continue;
            }
        }
        /* A miss, and nothing was stored since the last look. */
        if (!insert) {
            goto done;
        }
        if (handle == NULL) {
            handle = handle_new(self, value, hash);  /* may run a collection */
            if (handle == NULL) {
                goto done;
            }
            again = self->inserts != inserts;
            if (again) {
                continue;
            }
        }
        if (table_insert(self, handle) == 0) {
            self->created++;
            handle->owner = (InternerObject *)Py_NewRef(self);
            result = (PyObject *)handle;
            handle = NULL;
        }
        goto done;
    }
    PyErr_Format(PyExc_RuntimeError,
                 "intern.make gave up on a '%s' value after %d rounds of comparisons: "
                 "each round, other '%s' values of its hash were interned while it "
                 "compared (by its __eq__, a __del__ it set off, or another thread), so it "
                 "could never tell whether an equal one was among them",
                 key.type->tp_name, MAX_ROUNDS, key.type->tp_name);
    goto done;
hit:
    if (insert) {  /* make found a handle: a hit; get is not counted */
        self->hits++;
    }
done:
    Py_XDECREF(handle);  /* made but not stored: its dealloc touches no table */
    candidates_clear(&compared);
    return result;
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
    if (result != NULL) {
        self->hits++;
    }
    else if (check_metaclass(self, value) == 0) {
        result = find_slowly(self, value, hash, 1);  /* counts its own hits */
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
    PyObject *found;
    Py_BEGIN_CRITICAL_SECTION(self);
    found = (PyObject *)find_without_user_code(self, value, hash);
    if (found == NULL) {
        found = find_slowly(self, value, hash, 0);
    }
    Py_END_CRITICAL_SECTION();
    return found;
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

/* Leave the table for good, before anything can run user code (see the
 * invariants). */
static void
handle_leave_table(HandleObject *self)
{
    InternerObject *owner = self->owner;
    if (owner == NULL) {
        return;
    }
    Py_BEGIN_CRITICAL_SECTION(owner);
    if (self->owner == owner) {  /* not gone meanwhile, on another thread */
        table_unlink(owner, self);
        owner->reclaimed++;
        self->owner = NULL;
    }
    else {
        owner = NULL;
    }
    Py_END_CRITICAL_SECTION();
    Py_XDECREF(owner);  /* the table's memory lives with the interner */
}

/* Called by the collector once it has found the handle unreachable, in a
 * garbage cycle, before it clears anything: the handle leaves its table then,
 * for good, as weak references to garbage are cleared. Otherwise a finalizer,
 * or a weak reference callback it sets up, could get the handle from make()
 * only to see the collector clear it. A finalizer may still bring the handle
 * back to life: it is then no longer canonical, as a weakly referenced object
 * would not be. It could not be put back: the collector finalizes an object
 * once in its life, so a later collection could not take it out again.
 * (The __del__ that Python would offer for this slot is taken away in
 * module_exec: only the collector calls it.) */
static void
handle_finalize(PyObject *self)
{
    handle_leave_table((HandleObject *)self);
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
handle_reduce_ex(HandleObject *self, PyObject *protocol)
{
    PyObject *module = PyType_GetModuleByDef(Py_TYPE(self), &intern_module);
    if (module == NULL) {
        return NULL;
    }
    module_state *state = state_of_module(module);
    if (state->check_picklable == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "intern._speedups was cleared");
        return NULL;
    }
    PyObject *value = handle_get_value(self, NULL);
    if (value == NULL) {
        return NULL;
    }
    /* Pickles name the public intern.make, so that they load under either
     * implementation and re-intern on load. */
    PyObject *make = NULL;
    PyObject *checked = PyObject_CallFunctionObjArgs(
        state->check_picklable, (PyObject *)self, value, protocol, NULL);
    if (checked != NULL) {
        Py_DECREF(checked);
        make = import_attribute("intern", "make");
    }
    if (make == NULL) {
        Py_DECREF(value);
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
    {"__reduce_ex__", (PyCFunction)handle_reduce_ex, METH_O, NULL},
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
    {Py_tp_finalize, handle_finalize},
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
    self->hits = 0;
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
interner_counts(InternerObject *self, Py_ssize_t *created, Py_ssize_t *reclaimed,
                Py_ssize_t *hits)
{
    Py_BEGIN_CRITICAL_SECTION(self);
    *created = self->created;
    *reclaimed = self->reclaimed;
    *hits = self->hits;
    Py_END_CRITICAL_SECTION();
}

static Py_ssize_t
interner_length(InternerObject *self)
{
    Py_ssize_t created, reclaimed, hits;
    interner_counts(self, &created, &reclaimed, &hits);
    return created - reclaimed;
}

static PyObject *
interner_stats(InternerObject *self, PyObject *unused)
{
    Py_ssize_t created, reclaimed, hits;
    interner_counts(self, &created, &reclaimed, &hits);
    return PyObject_CallFunction(self->stats_type, "nnnn", created - reclaimed, created,
                                 reclaimed, hits);
}

static PyObject *
interner_repr(InternerObject *self)
{
    Py_ssize_t created, reclaimed, hits;
    interner_counts(self, &created, &reclaimed, &hits);
    return PyUnicode_FromFormat("<Interner live=%zd created=%zd reclaimed=%zd hits=%zd>",
                                created - reclaimed, created, reclaimed, hits);
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
     PyDoc_STR("stats($self, /)\n--\n\n"
               "Return a snapshot of the counters: live, created, reclaimed, hits.")},
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

/* ---------------------------------------------------------------- Pool
 *
 * The twin of _pool.py's Pool (its docstring says what a pool is). Exact str,
 * int, float and bytes, and None and the booleans, are answered from a dict per
 * kind, value to handle: a dict's equality is make's rule within one kind, and
 * a handle the pool holds stays canonical, so a hit is one dict lookup. Other
 * values go to the interner's make, their handles into a set.
 *
 * Free-threading: the holders are swapped by clear() and the counters added to
 * under the pool's critical section, held only for those few lines (no user
 * code runs inside); the dicts and the set are thread-safe themselves. */

enum { MEMO_STR, MEMO_INT, MEMO_FLOAT, MEMO_BYTES, MEMO_CONSTANTS, MEMO_KINDS };

typedef struct {
    PyObject_HEAD
    PyObject *interner;
    InternerObject *fast;   /* interner, when it is one of this module's; else NULL */
    PyObject *make;         /* interner.make */
    PyObject *memo[MEMO_KINDS];
    PyObject *handles;      /* set of the other handles */
    Py_ssize_t values;
    Py_ssize_t deduplicated;
    Py_ssize_t bytes_saved;
} PoolObject;

/* What one call counted, added to the pool's totals once at its end; and
 * whether it may have run user code (see walk_dict). */
typedef struct {
    Py_ssize_t values;
    Py_ssize_t deduplicated;
    Py_ssize_t bytes_saved;
    int ran_code;
} tally_t;

static inline int
memo_kind(PyObject *value)
{
    PyTypeObject *type = Py_TYPE(value);
    if (type == &PyUnicode_Type) {
        return MEMO_STR;
    }
    if (type == &PyLong_Type) {
        return MEMO_INT;
    }
    if (type == &PyFloat_Type) {
        return MEMO_FLOAT;
    }
    if (type == &PyBytes_Type) {
        return MEMO_BYTES;
    }
    if (type == &PyBool_Type || value == Py_None) {
        return MEMO_CONSTANTS;  /* None, False and True: no two of them are equal */
    }
    return -1;
}

static module_state *
pool_state(PoolObject *self)
{
    return (module_state *)PyType_GetModuleState(Py_TYPE(self));
}

/* The C function behind type.__sizeof__, if it takes no argument: for a type
 * the collector does not track, sys.getsizeof returns what it returns. */
static PyCFunction
find_sizeof(PyTypeObject *type)
{
    for (PyMethodDef *method = type->tp_methods; method && method->ml_name; method++) {
        if (strcmp(method->ml_name, "__sizeof__") == 0) {
            return (method->ml_flags & METH_NOARGS) ? method->ml_meth : NULL;
        }
    }
    return NULL;
}

/* sys.getsizeof(value): worked out for the common cases, asked for otherwise. */
static Py_ssize_t
size_of(PoolObject *self, PyObject *value, tally_t *counts)
{
    if (PyUnicode_CheckExact(value) && PyUnicode_IS_COMPACT_ASCII(value)) {
        return (Py_ssize_t)sizeof(PyASCIIObject) + PyUnicode_GET_LENGTH(value) + 1;
    }
    if (PyFloat_CheckExact(value)) {
        return (Py_ssize_t)sizeof(PyFloatObject);
    }
    module_state *state = pool_state(self);
    PyCFunction direct = PyUnicode_CheckExact(value) ? state->str_sizeof
                         : PyLong_CheckExact(value) ? state->int_sizeof
                         : PyBytes_CheckExact(value) ? state->bytes_sizeof : NULL;
    counts->ran_code |= direct == NULL;
    PyObject *size = direct != NULL ? direct(value, NULL)
                                    : PyObject_CallOneArg(state->getsizeof, value);
    if (size == NULL) {
        return -1;
    }
    Py_ssize_t result = PyLong_AsSsize_t(size);
    Py_DECREF(size);
    return result;
}

static int
tally(PoolObject *self, tally_t *counts, PyObject *given, PyObject *result)
{
    counts->values++;
    if (result != given) {
        Py_ssize_t size = size_of(self, given, counts);
        if (size < 0) {
            return -1;
        }
        counts->deduplicated++;
        counts->bytes_saved += size;
    }
    return 0;
}

static void
pool_add_tally(PoolObject *self, const tally_t *counts)
{
    Py_BEGIN_CRITICAL_SECTION(self);
    self->values += counts->values;
    self->deduplicated += counts->deduplicated;
    self->bytes_saved += counts->bytes_saved;
    Py_END_CRITICAL_SECTION();
}

/* The value of a handle the pool got from its interner: a new reference. */
static PyObject *
pool_value_of(PoolObject *self, PyObject *handle)
{
    if (self->fast == NULL) {
        return PyObject_GetAttrString(handle, "value");
    }
    return handle_get_value((HandleObject *)handle, NULL);
}

/* A new reference to the holder of kind (a memo dict), or to the set. */
static PyObject *
pool_holder(PoolObject *self, int kind)
{
    PyObject *holder;
    Py_BEGIN_CRITICAL_SECTION(self);
    holder = Py_NewRef(kind >= 0 ? self->memo[kind] : self->handles);
    Py_END_CRITICAL_SECTION();
    return holder;
}

/* The handle of value, held by the pool: a new reference. Sets *ran_code
 * unless it was answered from a memo dict, which runs no user code (the dict
 * compares values of one built-in type, and nothing is allocated or freed). */
static PyObject *
pool_handle(PoolObject *self, PyObject *value, int *ran_code)
{
    int kind = memo_kind(value);
    PyObject *holder = pool_holder(self, kind);
    PyObject *handle = NULL;
    if (kind >= 0) {
#if PY_VERSION_HEX >= 0x030D0000
        if (PyDict_GetItemRef(holder, value, &handle) < 0) {
            goto done;
        }
#else
        handle = Py_XNewRef(PyDict_GetItemWithError(holder, value));
        if (handle == NULL && PyErr_Occurred()) {
            goto done;
        }
#endif
        if (handle != NULL) {
            goto done;
        }
    }
    *ran_code = 1;
    handle = self->fast != NULL ? interner_make_impl(self->fast, value)
                                : PyObject_CallOneArg(self->make, value);
    if (handle == NULL) {
        goto done;
    }
    int status;
    if (kind >= 0) {
        PyObject *canonical = pool_value_of(self, handle);
        status = canonical == NULL ? -1 : PyDict_SetItem(holder, canonical, handle);
        Py_XDECREF(canonical);
    }
    else {
        status = PySet_Add(holder, handle);
    }
    if (status < 0) {
        Py_CLEAR(handle);
    }
done:
    Py_DECREF(holder);
    return handle;
}

/* The canonical object equal to value, counted: a new reference. */
static PyObject *
pool_canonical(PoolObject *self, PyObject *value, tally_t *counts)
{
    PyObject *handle = pool_handle(self, value, &counts->ran_code);
    if (handle == NULL) {
        return NULL;
    }
    PyObject *result = pool_value_of(self, handle);
    Py_DECREF(handle);
    if (result != NULL && tally(self, counts, value, result) < 0) {
        Py_CLEAR(result);
    }
    return result;
}

/* value through make_deep, its handle held in the set, counted: a new reference. */
static PyObject *
pool_canonical_deep(PoolObject *self, PyObject *value, tally_t *counts)
{
    counts->ran_code = 1;
    PyObject *handle = PyObject_CallFunctionObjArgs(pool_state(self)->make_deep_with,
                                                    self->make, value, NULL);
    if (handle == NULL) {
        return NULL;
    }
    PyObject *holder = pool_holder(self, -1);
    int status = PySet_Add(holder, handle);
    Py_DECREF(holder);
    PyObject *result = status < 0 ? NULL : pool_value_of(self, handle);
    Py_DECREF(handle);
    if (result != NULL && tally(self, counts, value, result) < 0) {
        Py_CLEAR(result);
    }
    return result;
}

static PyObject *
pool_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"interner", NULL};
    PyObject *interner = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:Pool", keywords, &interner)) {
        return NULL;
    }
    PyObject *module = PyType_GetModuleByDef(type, &intern_module);
    if (module == NULL) {
        return NULL;
    }
    module_state *state = state_of_module(module);
    if (interner == Py_None) {
        interner = state->default_interner;
        if (interner == NULL) {
            PyErr_SetString(PyExc_RuntimeError, "intern._speedups was cleared");
            return NULL;
        }
    }
    PyObject *make = PyObject_GetAttrString(interner, "make");
    if (make == NULL) {
        return NULL;
    }
    PoolObject *self = (PoolObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        Py_DECREF(make);
        return NULL;
    }
    self->interner = Py_NewRef(interner);
    self->fast = Py_IS_TYPE(interner, state->interner_type) ? (InternerObject *)interner : NULL;
    self->make = make;
    for (int kind = 0; kind < MEMO_KINDS; kind++) {
        if ((self->memo[kind] = PyDict_New()) == NULL) {
            Py_DECREF(self);
            return NULL;
        }
    }
    if ((self->handles = PySet_New(NULL)) == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int
pool_traverse(PoolObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->interner);
    Py_VISIT(self->make);
    for (int kind = 0; kind < MEMO_KINDS; kind++) {
        Py_VISIT(self->memo[kind]);
    }
    Py_VISIT(self->handles);
    return 0;
}

static int
pool_clear_references(PoolObject *self)
{
    self->fast = NULL;
    Py_CLEAR(self->interner);
    Py_CLEAR(self->make);
    for (int kind = 0; kind < MEMO_KINDS; kind++) {
        Py_CLEAR(self->memo[kind]);
    }
    Py_CLEAR(self->handles);
    return 0;
}

static void
pool_dealloc(PoolObject *self)
{
    PyTypeObject *type = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    pool_clear_references(self);
    type->tp_free(self);
    Py_DECREF(type);
}

/* A pool cleared by the collector (a cycle through a held value) refuses work. */
static int
pool_usable(PoolObject *self)
{
    if (self->handles == NULL) {
        PyErr_SetString(PyExc_ReferenceError, "the pool was cleared by the garbage collector");
        return 0;
    }
    return 1;
}

static PyObject *
pool_make(PoolObject *self, PyObject *value)
{
    if (!pool_usable(self)) {
        return NULL;
    }
    tally_t counts = {0, 0, 0, 0};
    PyObject *handle = pool_handle(self, value, &counts.ran_code);
    if (handle == NULL) {
        return NULL;
    }
    PyObject *canonical = pool_value_of(self, handle);
    if (canonical == NULL || tally(self, &counts, value, canonical) < 0) {
        Py_XDECREF(canonical);
        Py_DECREF(handle);
        return NULL;
    }
    Py_DECREF(canonical);
    pool_add_tally(self, &counts);
    return handle;
}

static PyObject *
pool_value(PoolObject *self, PyObject *value)
{
    if (!pool_usable(self)) {
        return NULL;
    }
    tally_t counts = {0, 0, 0, 0};
    PyObject *result = pool_canonical(self, value, &counts);
    pool_add_tally(self, &counts);
    return result;
}

static PyObject *
pool_value_deep(PoolObject *self, PyObject *value)
{
    if (!pool_usable(self)) {
        return NULL;
    }
    tally_t counts = {0, 0, 0, 0};
    PyObject *result = pool_canonical_deep(self, value, &counts);
    pool_add_tally(self, &counts);
    return result;
}

/* row over a tuple only this call holds: its items are replaced in place. */
static PyObject *
pool_row_owned(PoolObject *self, PyObject *row, tally_t *counts)
{
    Py_ssize_t n = PyTuple_GET_SIZE(row);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *field = PyTuple_GET_ITEM(row, i);
        PyObject *canonical = pool_canonical(self, field, counts);
        if (canonical == NULL) {
            Py_DECREF(row);
            return NULL;
        }
        PyTuple_SET_ITEM(row, i, canonical);
        Py_DECREF(field);
    }
    return row;
}

static PyObject *
pool_row_impl(PoolObject *self, PyObject *fields, tally_t *counts)
{
    if (!PyTuple_CheckExact(fields)) {
        /* A list or any iterable: a tuple of its fields, ours alone to fill in. */
        PyObject *row = PyList_CheckExact(fields) ? PyList_AsTuple(fields)
                                                  : PySequence_Tuple(fields);
        return row == NULL ? NULL : pool_row_owned(self, row, counts);
    }
    /* The caller's tuple: returned as it is if every field is canonical already. */
    Py_ssize_t n = PyTuple_GET_SIZE(fields);
    PyObject *row = NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *field = PyTuple_GET_ITEM(fields, i);
        PyObject *canonical = pool_canonical(self, field, counts);
        if (canonical == NULL) {
            Py_XDECREF(row);
            return NULL;
        }
        if (row == NULL && canonical != field) {
            if ((row = PyTuple_New(n)) == NULL) {
                Py_DECREF(canonical);
                return NULL;
            }
            for (Py_ssize_t j = 0; j < i; j++) {
                PyTuple_SET_ITEM(row, j, Py_NewRef(PyTuple_GET_ITEM(fields, j)));
            }
        }
        if (row != NULL) {
            PyTuple_SET_ITEM(row, i, canonical);
        }
        else {
            Py_DECREF(canonical);
        }
    }
    return row != NULL ? row : Py_NewRef(fields);
}

static PyObject *
pool_row(PoolObject *self, PyObject *fields)
{
    if (!pool_usable(self)) {
        return NULL;
    }
    tally_t counts = {0, 0, 0, 0};
    PyObject *row = pool_row_impl(self, fields, &counts);
    pool_add_tally(self, &counts);
    return row;
}

/* ---------------------------------------------------------------- Pool.dedup
 *
 * A walk keeps every container it has met in `entries`, each with where it was
 * found (the entry of its parent and its key or index there), so that an error
 * can say where it happened; `todo` lists the entries not yet walked, and
 * `seen` the containers' addresses (the entries keep them alive, so an address
 * is not reused during the walk). */

#define WALK_INLINE 8

typedef struct {
    PyObject *container;
    Py_ssize_t parent;      /* -1 for the object dedup was given */
    PyObject *key;          /* the key or index in the parent; NULL for the root */
} entry_t;

typedef struct {
    PoolObject *pool;
    tally_t counts;
    entry_t *entries;
    Py_ssize_t n_entries, entries_size;
    Py_ssize_t *todo;
    Py_ssize_t n_todo, todo_size;
    uintptr_t *seen;        /* open addressing, linear probing; 0 is empty */
    size_t seen_size, n_seen;
    /* Most walks (a record and a few containers in it) allocate nothing: their
     * entries fit here, and are searched one by one instead of through seen. */
    entry_t entries_inline[WALK_INLINE];
    Py_ssize_t todo_inline[WALK_INLINE];
} walk_t;

static void
walk_init(walk_t *walk, PoolObject *pool)
{
    memset(walk, 0, sizeof(*walk));
    walk->pool = pool;
    walk->entries = walk->entries_inline;
    walk->entries_size = WALK_INLINE;
    walk->todo = walk->todo_inline;
    walk->todo_size = WALK_INLINE;
}

/* Double an array that starts out as inline (then copied, not reallocated). */
static int
grow(void **array, Py_ssize_t *size, size_t item_size, const void *inline_array)
{
    Py_ssize_t new_size = *size * 2;
    void *grown;
    if (*array == inline_array) {
        grown = PyMem_Malloc((size_t)new_size * item_size);
        if (grown != NULL) {
            memcpy(grown, *array, (size_t)*size * item_size);
        }
    }
    else {
        grown = PyMem_Realloc(*array, (size_t)new_size * item_size);
    }
    if (grown == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *array = grown;
    *size = new_size;
    return 0;
}

static inline size_t
seen_index(uintptr_t address, size_t size)
{
    return (size_t)((address >> 4) * MIX) & (size - 1);
}

/* Add address to the set: 1 if it was new, 0 if seen already, -1 on error. */
static int
seen_add(walk_t *walk, uintptr_t address)
{
    if (2 * (walk->n_seen + 1) > walk->seen_size) {
        size_t new_size = walk->seen_size ? walk->seen_size * 2 : 64;
        uintptr_t *table = PyMem_Calloc(new_size, sizeof(uintptr_t));
        if (table == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        for (size_t i = 0; i < walk->seen_size; i++) {
            uintptr_t old = walk->seen[i];
            if (old != 0) {
                size_t j = seen_index(old, new_size);
                while (table[j] != 0) {
                    j = (j + 1) & (new_size - 1);
                }
                table[j] = old;
            }
        }
        PyMem_Free(walk->seen);
        walk->seen = table;
        walk->seen_size = new_size;
    }
    size_t i = seen_index(address, walk->seen_size);
    while (walk->seen[i] != 0) {
        if (walk->seen[i] == address) {
            return 0;
        }
        i = (i + 1) & (walk->seen_size - 1);
    }
    walk->seen[i] = address;
    walk->n_seen++;
    return 1;
}

/* Schedule container (found at parent's key) unless it was met before. */
static int
walk_schedule(walk_t *walk, PyObject *container, Py_ssize_t parent, PyObject *key)
{
    if (walk->seen == NULL && walk->n_entries < WALK_INLINE) {
        for (Py_ssize_t i = 0; i < walk->n_entries; i++) {
            if (walk->entries[i].container == container) {
                return 0;
            }
        }
    }
    else {
        for (Py_ssize_t i = 0; walk->seen == NULL && i < walk->n_entries; i++) {
            if (seen_add(walk, (uintptr_t)walk->entries[i].container) < 0) {
                return -1;
            }
        }
        int added = seen_add(walk, (uintptr_t)container);
        if (added <= 0) {
            return added;
        }
    }
    if (walk->n_entries == walk->entries_size
        && grow((void **)&walk->entries, &walk->entries_size, sizeof(entry_t),
                walk->entries_inline) < 0) {
        return -1;
    }
    if (walk->n_todo == walk->todo_size
        && grow((void **)&walk->todo, &walk->todo_size, sizeof(Py_ssize_t), walk->todo_inline)
               < 0) {
        return -1;
    }
    entry_t *entry = &walk->entries[walk->n_entries];
    entry->container = Py_NewRef(container);
    entry->parent = parent;
    entry->key = Py_XNewRef(key);
    walk->todo[walk->n_todo++] = walk->n_entries++;
    return 0;
}

static void
walk_free(walk_t *walk)
{
    for (Py_ssize_t i = 0; i < walk->n_entries; i++) {
        Py_DECREF(walk->entries[i].container);
        Py_XDECREF(walk->entries[i].key);
    }
    if (walk->entries != walk->entries_inline) {
        PyMem_Free(walk->entries);
    }
    if (walk->todo != walk->todo_inline) {
        PyMem_Free(walk->todo);
    }
    PyMem_Free(walk->seen);
}

/* "obj['rows'][3]": where entry's container is, followed by [key] if key is given. */
static PyObject *
walk_where(walk_t *walk, Py_ssize_t at, PyObject *key)
{
    PyObject *steps = PyList_New(0);
    if (steps == NULL || (key != NULL && PyList_Append(steps, key) < 0)) {
        Py_XDECREF(steps);
        return NULL;
    }
    for (; at >= 0 && walk->entries[at].key != NULL; at = walk->entries[at].parent) {
        if (PyList_Append(steps, walk->entries[at].key) < 0) {
            Py_DECREF(steps);
            return NULL;
        }
    }
    PyObject *where = PyUnicode_FromString("obj");
    for (Py_ssize_t i = PyList_GET_SIZE(steps) - 1; where != NULL && i >= 0; i--) {
        /* A key whose repr fails shows as ?: the note must not hide the error. */
        PyObject *shown = PyObject_Repr(PyList_GET_ITEM(steps, i));
        if (shown == NULL && PyErr_ExceptionMatches(PyExc_Exception)) {
            PyErr_Clear();
            shown = PyUnicode_FromString("?");
        }
        PyObject *longer = shown == NULL ? NULL : PyUnicode_FromFormat("%U[%U]", where, shown);
        Py_XDECREF(shown);
        Py_SETREF(where, longer);
    }
    Py_DECREF(steps);
    return where;
}

/* Add "(in Pool.dedup, at obj[...])" to the exception being raised. */
static void
walk_note_error(walk_t *walk, Py_ssize_t at, PyObject *key)
{
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *error = PyErr_GetRaisedException();
#else
    PyObject *type, *error, *traceback;
    PyErr_Fetch(&type, &error, &traceback);
    PyErr_NormalizeException(&type, &error, &traceback);
    if (traceback != NULL) {
        PyException_SetTraceback(error, traceback);
    }
    Py_XDECREF(type);
    Py_XDECREF(traceback);
#endif
    PyObject *where = walk_where(walk, at, key);
    PyObject *note = where == NULL ? NULL : PyUnicode_FromFormat("(in Pool.dedup, at %U)", where);
    PyObject *added = note == NULL ? NULL : PyObject_CallMethod(error, "add_note", "O", note);
    Py_XDECREF(where);
    Py_XDECREF(note);
    if (added == NULL) {  /* keep the original error; the note is a courtesy */
        PyErr_Clear();
    }
    Py_XDECREF(added);
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(error);
#else
    PyErr_Restore(Py_NewRef(Py_TYPE(error)), error, PyException_GetTraceback(error));
#endif
}

static inline int
is_leaf_type(PyTypeObject *type)
{
    return type == &PyUnicode_Type || type == &PyLong_Type || type == &PyFloat_Type
           || type == &PyBytes_Type || type == &PyBool_Type || type == Py_TYPE(Py_None)
           || type == &PyComplex_Type;
}

/* A tuple of leaves has each made canonical, then is itself (rebuilt only if an
 * item changed); any other tuple goes through make_deep. A new reference. */
static PyObject *
walk_tuple(walk_t *walk, PyObject *value)
{
    PoolObject *pool = walk->pool;
    Py_ssize_t n = PyTuple_GET_SIZE(value);
    int flat = PyTuple_CheckExact(value);
    for (Py_ssize_t i = 0; flat && i < n; i++) {
        flat = is_leaf_type(Py_TYPE(PyTuple_GET_ITEM(value, i)));
    }
    if (!flat) {
        return pool_canonical_deep(pool, value, &walk->counts);
    }
    walk->counts.ran_code = 1;  /* a rebuilt tuple may set off a collection */
    PyObject *rebuilt = pool_row_impl(pool, value, &walk->counts);
    if (rebuilt == NULL) {
        return NULL;
    }
    PyObject *handle = pool_handle(pool, rebuilt, &walk->counts.ran_code);
    PyObject *result = handle == NULL ? NULL : pool_value_of(pool, handle);
    Py_XDECREF(handle);
    /* A tuple rebuilt only to hold canonical items saves nothing by itself. */
    if (result != NULL
        && tally(pool, &walk->counts, value, result == rebuilt ? value : result) < 0) {
        Py_CLEAR(result);
    }
    Py_DECREF(rebuilt);
    return result;
}

/* The key of a part: key itself, or for a list's item (key NULL) its index. */
static PyObject *
part_key(PyObject *key, Py_ssize_t index)
{
    return key != NULL ? Py_NewRef(key) : PyLong_FromSsize_t(index);
}

/* The canonical form of a key, value or item found at entry `at`, under key (or
 * at index, for a list's item): containers are scheduled and returned as they
 * are. A new reference. */
static PyObject *
walk_part(walk_t *walk, PyObject *value, Py_ssize_t at, PyObject *key, Py_ssize_t index,
          int schedule)
{
    if (schedule && (PyDict_Check(value) || PyList_Check(value))) {
        PyObject *where = part_key(key, index);
        int status = where == NULL ? -1 : walk_schedule(walk, value, at, where);
        Py_XDECREF(where);
        return status < 0 ? NULL : Py_NewRef(value);
    }
    PyObject *result;
    if (PyTuple_Check(value)) {
        result = walk_tuple(walk, value);
    }
    else if (Py_TYPE(value)->tp_hash == PyObject_HashNotImplemented) {
        return Py_NewRef(value);  /* not a value: left as it is */
    }
    else {
        result = pool_canonical(walk->pool, value, &walk->counts);
    }
    if (result == NULL && at >= 0) {
        PyObject *where = part_key(key, index);
        if (where != NULL) {
            walk_note_error(walk, at, where);
            Py_DECREF(where);
        }
    }
    return result;
}

static int
dict_changed_error(walk_t *walk, Py_ssize_t at)
{
    PyObject *where = walk_where(walk, at, NULL);
    if (where != NULL) {
        PyErr_Format(PyExc_RuntimeError,
                     "Pool.dedup: a dict changed while its parts were being interned"
                     " (at %U); it was left as it is", where);
        Py_DECREF(where);
    }
    return -1;
}

/* A dict's keys and values in its own order, as new references: keys at even
 * places, values at odd ones, in pairs (PyMem); NULL with *n == -1 on error. */
static PyObject **
dict_snapshot(PyObject *mapping, Py_ssize_t *n)
{
    PyObject *items = NULL;
    *n = -1;
    if (PyDict_CheckExact(mapping)) {
        *n = PyDict_GET_SIZE(mapping);
    }
    else {
        if ((items = PyMapping_Items(mapping)) == NULL) {
            return NULL;
        }
        *n = PyList_GET_SIZE(items);
    }
    PyObject **pairs = PyMem_New(PyObject *, 2 * (size_t)*n + 1);
    if (pairs == NULL) {
        Py_XDECREF(items);
        *n = -1;
        PyErr_NoMemory();
        return NULL;
    }
    if (items == NULL) {
        Py_ssize_t position = 0, i = 0;
        PyObject *key, *value;
        while (PyDict_Next(mapping, &position, &key, &value)) {
            pairs[i++] = Py_NewRef(key);
            pairs[i++] = Py_NewRef(value);
        }
        return pairs;
    }
    for (Py_ssize_t i = 0; i < *n; i++) {
        PyObject *pair = PyList_GET_ITEM(items, i);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
            PyErr_SetString(PyExc_TypeError, "Pool.dedup: a dict's items() must be pairs");
            for (Py_ssize_t j = 0; j < 2 * i; j++) {
                Py_DECREF(pairs[j]);
            }
            PyMem_Free(pairs);
            Py_DECREF(items);
            *n = -1;
            return NULL;
        }
        pairs[2 * i] = Py_NewRef(PyTuple_GET_ITEM(pair, 0));
        pairs[2 * i + 1] = Py_NewRef(PyTuple_GET_ITEM(pair, 1));
    }
    Py_DECREF(items);
    return pairs;
}

static void
pairs_free(PyObject **pairs, Py_ssize_t count)
{
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_XDECREF(pairs[i]);
    }
    PyMem_Free(pairs);
}

/* Whether mapping still holds exactly the n pairs (by identity), in that order. */
static int
dict_unchanged(PyObject *mapping, PyObject **pairs, Py_ssize_t n)
{
    if (PyDict_CheckExact(mapping)) {
        if (PyDict_GET_SIZE(mapping) != n) {
            return 0;
        }
        Py_ssize_t position = 0, i = 0;
        PyObject *key, *value;
        while (PyDict_Next(mapping, &position, &key, &value)) {
            if (pairs[i] != key || pairs[i + 1] != value) {
                return 0;
            }
            i += 2;
        }
        return 1;
    }
    Py_ssize_t now_n;
    PyObject **now = dict_snapshot(mapping, &now_n);
    if (now == NULL) {
        return -1;
    }
    int same = now_n == n;
    for (Py_ssize_t i = 0; same && i < 2 * n; i++) {
        same = now[i] == pairs[i];
    }
    pairs_free(now, 2 * now_n);
    return same;
}

/* Put back the n pairs through the built-in methods, which a subclass cannot
 * make fail (an OrderedDict keeps its order beside the dict's storage: its own
 * methods keep both). */
static int
dict_restore(PyObject *mapping, PyObject **pairs, Py_ssize_t n)
{
    int ordered = PyODict_Check(mapping);
    if (ordered) {
        PyObject *done = PyObject_CallMethod((PyObject *)&PyODict_Type, "clear", "O", mapping);
        if (done == NULL) {
            return -1;
        }
        Py_DECREF(done);
    }
    else {
        PyDict_Clear(mapping);
    }
    for (Py_ssize_t i = 0; i < 2 * n; i += 2) {
        if ((ordered ? PyODict_SetItem(mapping, pairs[i], pairs[i + 1])
                     : PyDict_SetItem(mapping, pairs[i], pairs[i + 1])) < 0) {
            return -1;
        }
    }
    return 0;
}

/* Empty mapping, then store the n pairs, through a subclass's own methods. */
static int
dict_refill(PyObject *mapping, PyObject **pairs, Py_ssize_t n)
{
    int exact = PyDict_CheckExact(mapping);
    if (exact) {
        PyDict_Clear(mapping);
    }
    else {
        PyObject *done = PyObject_CallMethod(mapping, "clear", NULL);
        if (done == NULL) {
            return -1;
        }
        Py_DECREF(done);
    }
    for (Py_ssize_t i = 0; i < 2 * n; i += 2) {
        if ((exact ? PyDict_SetItem(mapping, pairs[i], pairs[i + 1])
                   : PyObject_SetItem(mapping, pairs[i], pairs[i + 1])) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
walk_dict(walk_t *walk, Py_ssize_t at)
{
    PyObject *mapping = walk->entries[at].container;
    Py_ssize_t n;
    PyObject **old = dict_snapshot(mapping, &n);
    if (old == NULL) {
        return -1;
    }
    PyObject **new = PyMem_New(PyObject *, 2 * (size_t)n + 1);
    if (new == NULL) {
        pairs_free(old, 2 * n);
        PyErr_NoMemory();
        return -1;
    }
    memset(new, 0, (2 * (size_t)n + 1) * sizeof(PyObject *));
    int status = -1, keys_changed = 0, values_changed = 0;
    walk->counts.ran_code = !PyDict_CheckExact(mapping);
    for (Py_ssize_t i = 0; i < 2 * n; i += 2) {  /* the keys first, then the values */
        if ((new[i] = walk_part(walk, old[i], at, old[i], 0, 0)) == NULL) {
            goto done;
        }
        keys_changed |= new[i] != old[i];
    }
    for (Py_ssize_t i = 1; i < 2 * n; i += 2) {
        if ((new[i] = walk_part(walk, old[i], at, old[i - 1], 0, 1)) == NULL) {
            goto done;
        }
        values_changed |= new[i] != old[i];
    }
    if (!keys_changed && !values_changed) {
        status = 0;
        goto done;
    }
    /* Only user code can have changed the dict since the snapshot (or another
     * thread, without the GIL: a race the program must not make). */
    int unchanged = walk->counts.ran_code ? dict_unchanged(mapping, old, n) : 1;
    if (unchanged <= 0) {
        if (unchanged == 0) {
            dict_changed_error(walk, at);
        }
        goto done;
    }
    if (!keys_changed) {
        int exact = PyDict_CheckExact(mapping);
        for (Py_ssize_t i = 0; i < 2 * n; i += 2) {
            if (new[i + 1] != old[i + 1]
                && (exact ? PyDict_SetItem(mapping, old[i], new[i + 1])
                          : PyObject_SetItem(mapping, old[i], new[i + 1])) < 0) {
                goto done;
            }
        }
        status = 0;
        goto done;
    }
    if (dict_refill(mapping, new, n) < 0) {
        /* The error to report is this one, whether or not the dict comes back. */
#if PY_VERSION_HEX >= 0x030C0000
        PyObject *error = PyErr_GetRaisedException();
#else
        PyObject *type, *error, *traceback;
        PyErr_Fetch(&type, &error, &traceback);
#endif
        if (dict_restore(mapping, old, n) < 0) {
            PyErr_Clear();
        }
#if PY_VERSION_HEX >= 0x030C0000
        PyErr_SetRaisedException(error);
#else
        PyErr_Restore(type, error, traceback);
#endif
        goto done;
    }
    /* The storage's size: a subclass's __len__ may say anything. */
    if (PyDict_GET_SIZE(mapping) != n) {  /* only an __eq__ that contradicts itself */
        if (dict_restore(mapping, old, n) == 0) {
            PyObject *where = walk_where(walk, at, NULL);
            if (where != NULL) {
                PyErr_Format(PyExc_ValueError,
                             "Pool.dedup: keys of a dict compared equal once made canonical,"
                             " so their __eq__ contradicts itself (at %U); the dict was left"
                             " as it was", where);
                Py_DECREF(where);
            }
        }
        goto done;
    }
    status = 0;
done:
    pairs_free(new, 2 * n);
    pairs_free(old, 2 * n);
    return status;
}

static int
walk_list(walk_t *walk, Py_ssize_t at)
{
    PyObject *items = walk->entries[at].container;
    int exact = PyList_CheckExact(items);
    /* The items as they were: user code run meanwhile may add or move some. */
    PyObject *snapshot = PyList_GetSlice(items, 0, PyList_GET_SIZE(items));
    if (snapshot == NULL) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(snapshot); i++) {
        PyObject *item = Py_NewRef(PyList_GET_ITEM(snapshot, i));
        PyObject *new_item = walk_part(walk, item, at, NULL, i, 1);
        int status = new_item == NULL ? -1 : 0;
        /* Written back only where the item still is: user code may have moved it. */
        if (new_item != NULL && new_item != item && i < PyList_GET_SIZE(items)
            && PyList_GET_ITEM(items, i) == item) {
            if (exact) {
                PyList_SetItem(items, i, Py_NewRef(new_item));
            }
            else {
                status = PySequence_SetItem(items, i, new_item);
            }
        }
        Py_XDECREF(new_item);
        Py_DECREF(item);
        if (status < 0) {
            Py_DECREF(snapshot);
            return -1;
        }
    }
    Py_DECREF(snapshot);
    return 0;
}

static PyObject *
pool_dedup(PoolObject *self, PyObject *obj)
{
    if (!pool_usable(self)) {
        return NULL;
    }
    walk_t walk;
    walk_init(&walk, self);
    PyObject *result = NULL;
    if (!PyDict_Check(obj) && !PyList_Check(obj)) {
        result = walk_part(&walk, obj, -1, NULL, 0, 0);
        goto done;
    }
    if (walk_schedule(&walk, obj, -1, NULL) < 0) {
        goto done;
    }
    while (walk.n_todo > 0) {
        Py_ssize_t at = walk.todo[--walk.n_todo];
        PyObject *container = walk.entries[at].container;
        if ((PyDict_Check(container) ? walk_dict(&walk, at) : walk_list(&walk, at)) < 0) {
            goto done;
        }
    }
    result = Py_NewRef(obj);
done:
    walk_free(&walk);
    pool_add_tally(self, &walk.counts);
    return result;
}

static Py_ssize_t
pool_length(PoolObject *self)
{
    Py_ssize_t total = 0;
    Py_BEGIN_CRITICAL_SECTION(self);
    if (self->handles != NULL) {
        for (int kind = 0; kind < MEMO_KINDS; kind++) {
            total += PyDict_GET_SIZE(self->memo[kind]);
        }
        total += PySet_GET_SIZE(self->handles);
    }
    Py_END_CRITICAL_SECTION();
    return total;
}

static PyObject *
pool_clear(PoolObject *self, PyObject *unused)
{
    if (!pool_usable(self)) {
        return NULL;
    }
    PyObject *fresh[MEMO_KINDS + 1] = {NULL};
    for (int kind = 0; kind <= MEMO_KINDS; kind++) {
        fresh[kind] = kind < MEMO_KINDS ? PyDict_New() : PySet_New(NULL);
        if (fresh[kind] == NULL) {
            for (int done = 0; done < kind; done++) {
                Py_DECREF(fresh[done]);
            }
            return NULL;
        }
    }
    Py_BEGIN_CRITICAL_SECTION(self);
    for (int kind = 0; kind < MEMO_KINDS; kind++) {
        PyObject *old = self->memo[kind];
        self->memo[kind] = fresh[kind];
        fresh[kind] = old;
    }
    PyObject *old = self->handles;
    self->handles = fresh[MEMO_KINDS];
    fresh[MEMO_KINDS] = old;
    Py_END_CRITICAL_SECTION();
    /* Only now may the handles go, and run user code as they do. */
    for (int kind = 0; kind <= MEMO_KINDS; kind++) {
        Py_DECREF(fresh[kind]);
    }
    Py_RETURN_NONE;
}

static PyObject *
pool_stats(PoolObject *self, PyObject *unused)
{
    Py_ssize_t values, deduplicated, bytes_saved;
    Py_BEGIN_CRITICAL_SECTION(self);
    values = self->values;
    deduplicated = self->deduplicated;
    bytes_saved = self->bytes_saved;
    Py_END_CRITICAL_SECTION();
    return PyObject_CallFunction(pool_state(self)->pool_stats_type, "nnnn", values,
                                 pool_length(self), deduplicated, bytes_saved);
}

static PyObject *
pool_enter(PyObject *self, PyObject *unused)
{
    return Py_NewRef(self);
}

static PyObject *
pool_exit(PoolObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *done = pool_clear(self, NULL);
    if (done == NULL) {
        return NULL;
    }
    Py_DECREF(done);
    Py_RETURN_NONE;
}

static PyObject *
pool_repr(PoolObject *self)
{
    return PyUnicode_FromFormat("<Pool holding %zd handles>", pool_length(self));
}

static PyObject *
pool_get_interner(PoolObject *self, void *closure)
{
    if (!pool_usable(self)) {
        return NULL;
    }
    return Py_NewRef(self->interner);
}

static PyMethodDef pool_methods[] = {
    {"make", (PyCFunction)pool_make, METH_O,
     PyDoc_STR("make($self, value, /)\n--\n\n"
               "Return the canonical handle of ``value``, and keep it until the pool is cleared.")},
    {"value", (PyCFunction)pool_value, METH_O,
     PyDoc_STR("value($self, value, /)\n--\n\n"
               "Return the canonical object equal to ``value`` (same type), kept canonical.")},
    {"value_deep", (PyCFunction)pool_value_deep, METH_O,
     PyDoc_STR("value_deep($self, value, /)\n--\n\n"
               "Like :meth:`value`, through :func:`intern.make_deep`: its parts are canonical"
               " too.")},
    {"row", (PyCFunction)pool_row, METH_O,
     PyDoc_STR("row($self, fields, /)\n--\n\n"
               "Return the canonical object of each field, as a tuple (see intern._pool).")},
    {"dedup", (PyCFunction)pool_dedup, METH_O,
     PyDoc_STR("dedup($self, obj, /)\n--\n\n"
               "Return ``obj`` with every part canonical (see intern._pool).")},
    {"stats", (PyCFunction)pool_stats, METH_NOARGS,
     PyDoc_STR("stats($self, /)\n--\n\n"
               "Return what the pool has done: values seen, held, deduplicated, and bytes"
               " saved.")},
    {"clear", (PyCFunction)pool_clear, METH_NOARGS,
     PyDoc_STR("clear($self, /)\n--\n\nLet go of every handle the pool holds.")},
    {"__enter__", pool_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)(void (*)(void))pool_exit, METH_FASTCALL, NULL},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef pool_getset[] = {
    {"interner", (getter)pool_get_interner, NULL,
     PyDoc_STR("The interner whose handles the pool holds."), NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(pool_doc,
"Pool(interner=None)\n--\n\n"
"A scoped, strong holder of canonical values: the C twin of intern._pool.Pool,\n"
"whose docstring is the reference.");

static PyType_Slot pool_slots[] = {
    {Py_tp_doc, (void *)pool_doc},
    {Py_tp_new, pool_tp_new},
    {Py_tp_dealloc, pool_dealloc},
    {Py_tp_traverse, pool_traverse},
    {Py_tp_clear, pool_clear_references},
    {Py_tp_repr, pool_repr},
    {Py_tp_methods, pool_methods},
    {Py_tp_getset, pool_getset},
    {Py_sq_length, pool_length},
    {0, NULL},
};

static PyType_Spec pool_spec = {
    .name = "intern._speedups.Pool",
    .basicsize = sizeof(PoolObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = pool_slots,
};

/* ---------------------------------------------------------------- weak caches
 *
 * The hit paths of _cache.py's WeakCache and @weak_cache; their twins are
 * _pure.py's CacheHits and CachedCall. A CacheHits holds a cache's dict (key
 * to a weak reference to its value) and its two counters; the Python subclass
 * in _cache.py adds everything else, and a lookup that finds no live value
 * calls its _miss, which keeps the single flight and the recursion check in
 * Python. A CachedCall builds functools' key from its arguments and looks it
 * up in its CacheHits the same way.
 *
 * Free threading: a hit takes no lock of the cache's. The dict lookup and
 * PyWeakref_GetRef are each thread-safe; the counters are changed and read
 * only in the cache's critical section, which nothing holds across user code
 * or a wait, so they stay exact. self->values is set by tp_new and never
 * replaced while anyone can call the cache (tp_clear runs only once it is
 * unreachable), so it is read without a critical section.
 *
 * User code: the dict lookup runs the key's __hash__ and __eq__, which may
 * change the cache, drop entries, or raise; dropping a weak reference may free
 * its key. Across both, a lookup holds only strong references: the dict, and
 * the caller's own key and cache.
 */

typedef struct {
    PyObject_HEAD
    PyObject *values;  /* dict: key to a weak reference to its value; strong */
    Py_ssize_t hits;
    Py_ssize_t misses;
} CacheHitsObject;

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    CacheHitsObject *cache;  /* strong */
    PyObject *kwd_mark;      /* strong: the module's */
} CachedCallObject;

/* The object a weak reference refers to, as a new reference in *value, if it
 * is alive: 1; 0 with *value NULL if it is dead or dying; -1 on error. */
static inline int
live_referent(PyObject *ref, PyObject **value)
{
#if PY_VERSION_HEX >= 0x030D0000
    return PyWeakref_GetRef(ref, value);
#else
    /* Borrowed, and None once dead. Under the GIL nothing can drop it between
     * here and the incref; a refcount of 0 is an object whose dealloc is
     * pending (the trashcan), which must not come back to life. */
    PyObject *object = PyWeakref_GetObject(ref);
    if (object == NULL) {
        *value = NULL;
        return -1;
    }
    if (object == Py_None || Py_REFCNT(object) == 0) {
        *value = NULL;
        return 0;
    }
    *value = Py_NewRef(object);
    return 1;
#endif
}

static inline int
dict_get_ref(PyObject *dict, PyObject *key, PyObject **result)
{
#if PY_VERSION_HEX >= 0x030D0000
    return PyDict_GetItemRef(dict, key, result);
#else
    *result = Py_XNewRef(PyDict_GetItemWithError(dict, key));
    if (*result == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    return 1;
#endif
}

static inline void
cache_count(CacheHitsObject *self, Py_ssize_t hits, Py_ssize_t misses)
{
    Py_BEGIN_CRITICAL_SECTION(self);
    self->hits += hits;
    self->misses += misses;
    Py_END_CRITICAL_SECTION();
}

/* The hit path: 1 with a new reference to key's live value in *value, counted
 * as a hit; 0 if there is none (absent, dead, dying, or an entry that is no
 * weak reference), for _miss to count; -1 if the key's __hash__ or __eq__
 * raised. */
static int
cache_find(CacheHitsObject *self, PyObject *key, PyObject **value)
{
    *value = NULL;
    PyObject *values = Py_XNewRef(self->values);
    if (values == NULL) {
        return 0;  /* cleared by the collector: _miss says so */
    }
    PyObject *ref;
    int found = dict_get_ref(values, key, &ref);  /* may run user code */
    Py_DECREF(values);
    if (found <= 0) {
        return found;
    }
    int alive = PyWeakref_CheckRef(ref) ? live_referent(ref, value) : 0;
    Py_DECREF(ref);  /* may free the entry's key (user code): nothing is borrowed */
    if (alive > 0) {
        cache_count(self, 1, 0);
    }
    return alive;
}

/* The cache's _miss(key) or, for a call, _miss(key, args, kwargs). */
static PyObject *
cache_miss(PyObject *cache, PyObject *key, PyObject *args, PyObject *kwargs)
{
    PyObject *module = PyType_GetModuleByDef(Py_TYPE(cache), &intern_module);
    if (module == NULL) {
        return NULL;
    }
    PyObject *name = state_of_module(module)->str_miss;  /* the module owns it */
    if (args == NULL) {
        return PyObject_CallMethodOneArg(cache, name, key);
    }
    return PyObject_CallMethodObjArgs(cache, name, key, args, kwargs, NULL);
}

static PyObject *
cache_hits_subscript(CacheHitsObject *self, PyObject *key)
{
    PyObject *value;
    int found = cache_find(self, key, &value);
    if (found != 0) {
        return value;  /* NULL with the exception, if found < 0 */
    }
    return cache_miss((PyObject *)self, key, NULL, NULL);
}

static PyObject *
cache_hits_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    /* The arguments are for the subclass's __init__ (create). */
    CacheHitsObject *self = (CacheHitsObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->values = PyDict_New();
    if (self->values == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int
cache_hits_traverse(CacheHitsObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->values);
    return 0;
}

static int
cache_hits_clear(CacheHitsObject *self)
{
    Py_CLEAR(self->values);
    return 0;
}

static void
cache_hits_dealloc(CacheHitsObject *self)
{
    PyObject_GC_UnTrack(self);
    Py_CLEAR(self->values);
    PyTypeObject *type = Py_TYPE(self);
    type->tp_free(self);
    Py_DECREF(type);
}

static PyObject *
cache_hits_count_hit(CacheHitsObject *self, PyObject *unused)
{
    cache_count(self, 1, 0);
    Py_RETURN_NONE;
}

static PyObject *
cache_hits_count_miss(CacheHitsObject *self, PyObject *unused)
{
    cache_count(self, 0, 1);
    Py_RETURN_NONE;
}

static PyObject *
cache_hits_info(CacheHitsObject *self, PyObject *unused)
{
    Py_ssize_t hits, misses;
    Py_BEGIN_CRITICAL_SECTION(self);
    hits = self->hits;
    misses = self->misses;
    Py_END_CRITICAL_SECTION();
    return Py_BuildValue("(nn)", hits, misses);
}

static PyObject *
cache_hits_reset_counts(CacheHitsObject *self, PyObject *unused)
{
    Py_BEGIN_CRITICAL_SECTION(self);
    self->hits = 0;
    self->misses = 0;
    Py_END_CRITICAL_SECTION();
    Py_RETURN_NONE;
}

static PyMethodDef cache_hits_methods[] = {
    {"_count_hit", (PyCFunction)cache_hits_count_hit, METH_NOARGS, NULL},
    {"_count_miss", (PyCFunction)cache_hits_count_miss, METH_NOARGS, NULL},
    {"_info", (PyCFunction)cache_hits_info, METH_NOARGS, NULL},
    {"_reset_counts", (PyCFunction)cache_hits_reset_counts, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef cache_hits_members[] = {
    {"_values", Py_T_OBJECT_EX, offsetof(CacheHitsObject, values), Py_READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot cache_hits_slots[] = {
    {Py_tp_doc, (void *)PyDoc_STR("The hit path of intern.WeakCache (see intern._cache).")},
    {Py_tp_new, cache_hits_tp_new},
    {Py_tp_dealloc, cache_hits_dealloc},
    {Py_tp_traverse, cache_hits_traverse},
    {Py_tp_clear, cache_hits_clear},
    {Py_tp_methods, cache_hits_methods},
    {Py_tp_members, cache_hits_members},
    {Py_mp_subscript, cache_hits_subscript},
    {0, NULL},
};

static PyType_Spec cache_hits_spec = {
    .name = "intern._speedups.CacheHits",
    .basicsize = sizeof(CacheHitsObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE
             | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = cache_hits_slots,
};

/* functools' key for these arguments (_make_key, untyped): the argument itself
 * for one positional exact str or int; otherwise a tuple of the positional
 * arguments and, if there are keywords, the mark, then each name and value in
 * call order. A new reference. */
static PyObject *
call_key(CachedCallObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    if (nkw == 0 && nargs == 1
        && (PyUnicode_CheckExact(args[0]) || PyLong_CheckExact(args[0]))) {
        return Py_NewRef(args[0]);
    }
    PyObject *key = PyTuple_New(nargs + (nkw == 0 ? 0 : 1 + 2 * nkw));
    if (key == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        PyTuple_SET_ITEM(key, i, Py_NewRef(args[i]));
    }
    if (nkw != 0) {
        PyTuple_SET_ITEM(key, nargs, Py_NewRef(self->kwd_mark));
        for (Py_ssize_t i = 0; i < nkw; i++) {
            PyTuple_SET_ITEM(key, nargs + 1 + 2 * i, Py_NewRef(PyTuple_GET_ITEM(kwnames, i)));
            PyTuple_SET_ITEM(key, nargs + 2 + 2 * i, Py_NewRef(args[nargs + i]));
        }
    }
    return key;
}

/* A miss: the cache's _miss(key, args, kwargs), which calls the function. */
static PyObject *
cached_call_miss(CachedCallObject *self, PyObject *key, PyObject *const *args,
                 Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *result = NULL;
    PyObject *kwargs = NULL;
    PyObject *positional = PyTuple_New(nargs);
    if (positional == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        PyTuple_SET_ITEM(positional, i, Py_NewRef(args[i]));
    }
    kwargs = PyDict_New();
    if (kwargs == NULL) {
        goto done;
    }
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    for (Py_ssize_t i = 0; i < nkw; i++) {
        if (PyDict_SetItem(kwargs, PyTuple_GET_ITEM(kwnames, i), args[nargs + i]) < 0) {
            goto done;
        }
    }
    result = cache_miss((PyObject *)self->cache, key, positional, kwargs);
done:
    Py_DECREF(positional);
    Py_XDECREF(kwargs);
    return result;
}

static PyObject *
cached_call_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf,
                       PyObject *kwnames)
{
    CachedCallObject *self = (CachedCallObject *)callable;
    if (self->cache == NULL) {  /* cleared by the collector: only from a __del__ */
        PyErr_SetString(PyExc_RuntimeError, "this weak_cache function was cleared");
        return NULL;
    }
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    PyObject *key = call_key(self, args, nargs, kwnames);
    if (key == NULL) {
        return NULL;
    }
    /* A strong reference to the cache: user code in the lookup cannot clear
     * self's (tp_clear needs self unreachable, and the caller holds it), but
     * nothing here relies on that. */
    CacheHitsObject *cache = (CacheHitsObject *)Py_NewRef(self->cache);
    PyObject *value;
    int found = cache_find(cache, key, &value);
    if (found == 0) {
        value = cached_call_miss(self, key, args, nargs, kwnames);
    }
    Py_DECREF(cache);
    Py_DECREF(key);
    return value;
}

static PyObject *
cached_call_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *module = PyType_GetModuleByDef(type, &intern_module);
    if (module == NULL) {
        return NULL;
    }
    module_state *state = state_of_module(module);
    PyObject *cache;
    if ((kwargs != NULL && PyDict_GET_SIZE(kwargs) != 0)
        || !PyArg_ParseTuple(args, "O!:CachedCall", state->cache_hits_type, &cache)) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "CachedCall takes one cache, positionally");
        }
        return NULL;
    }
    CachedCallObject *self = (CachedCallObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->vectorcall = cached_call_vectorcall;
    self->cache = (CacheHitsObject *)Py_NewRef(cache);
    self->kwd_mark = Py_NewRef(state->kwd_mark);
    return (PyObject *)self;
}

static int
cached_call_traverse(CachedCallObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->cache);
    Py_VISIT(self->kwd_mark);
    return 0;
}

static int
cached_call_clear(CachedCallObject *self)
{
    Py_CLEAR(self->cache);
    Py_CLEAR(self->kwd_mark);
    return 0;
}

static void
cached_call_dealloc(CachedCallObject *self)
{
    PyObject_GC_UnTrack(self);
    cached_call_clear(self);
    PyTypeObject *type = Py_TYPE(self);
    type->tp_free(self);
    Py_DECREF(type);
}

static PyMemberDef cached_call_members[] = {
    {"_cache", Py_T_OBJECT_EX, offsetof(CachedCallObject, cache), Py_READONLY, NULL},
    {"__vectorcalloffset__", Py_T_PYSSIZET, offsetof(CachedCallObject, vectorcall), Py_READONLY,
     NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot cached_call_slots[] = {
    {Py_tp_doc, (void *)PyDoc_STR("The hit path of @intern.weak_cache (see intern._cache).")},
    {Py_tp_new, cached_call_tp_new},
    {Py_tp_dealloc, cached_call_dealloc},
    {Py_tp_traverse, cached_call_traverse},
    {Py_tp_clear, cached_call_clear},
    {Py_tp_call, PyVectorcall_Call},
    {Py_tp_members, cached_call_members},
    {0, NULL},
};

static PyType_Spec cached_call_spec = {
    .name = "intern._speedups.CachedCall",
    .basicsize = sizeof(CachedCallObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE
             | Py_TPFLAGS_IMMUTABLETYPE | Py_TPFLAGS_HAVE_VECTORCALL,
    .slots = cached_call_slots,
};

/* ---------------------------------------------------------------- cleanups
 *
 * The common registration of _cleanup.py's add_cleanup, and the task it makes
 * (the twin of _cleanup.py's _Task). A Registrar holds what add_cleanup's
 * closure holds: the registry's dict of pending watches, the _Watch type, the
 * Cleanup type, the registry (for .closed) and the Python registration, which
 * it calls for everything but the common case: a plain function with no
 * closure or defaults, or a builtin, that is not obj nor bound to it, and an
 * arg that is not obj nor a tuple, list, set or dict. So every refusal check
 * is still made, in Python where it is not this one.
 *
 * A task's fn and arg are read by the one that pops its watch from the dict:
 * the callback runs fn(arg), stop() releases them. dict pops are atomic (and
 * watches hash and compare by identity, running no user code), so the two
 * never both touch them, with or without the GIL.
 */

typedef struct {
    PyObject_HEAD
    PyObject *fn;       /* strong; NULL once released */
    PyObject *arg;      /* strong; NULL once released */
    PyObject *pending;  /* strong: the registry's dict */
} CleanupTaskObject;

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *pending;       /* all strong */
    PyObject *watch_type;
    PyTypeObject *cleanup_type;
    PyObject *registry;
    PyObject *checked;       /* the Python registration */
    PyTypeObject *task_type;
    PyObject *str_watch;     /* "_watch" */
    PyObject *str_closed;    /* "closed" */
    PyObject *str_stop;      /* "stop" */
} RegistrarObject;

/* Take key out of dict: 1 with its value in *value, 0 if absent, -1 on error. */
static inline int
dict_pop(PyObject *dict, PyObject *key, PyObject **value)
{
#if PY_VERSION_HEX >= 0x030D0000
    return PyDict_Pop(dict, key, value);
#else
    /* With the GIL, and keys that hash and compare by identity, nothing runs
     * between the two calls. */
    *value = Py_XNewRef(PyDict_GetItemWithError(dict, key));
    if (*value == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    if (PyDict_DelItem(dict, key) < 0) {
        Py_CLEAR(*value);
        return -1;
    }
    return 1;
#endif
}

static PyObject *
cleanup_task_call(CleanupTaskObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *watch;
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs) != 0) {
        PyErr_SetString(PyExc_TypeError, "cleanup() takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_UnpackTuple(args, "cleanup", 1, 1, &watch)) {
        return NULL;
    }
    if (self->pending == NULL) {  /* cleared by the collector: nothing to run */
        return Py_NewRef(Py_None);
    }
    PyObject *popped;
    int found = dict_pop(self->pending, watch, &popped);
    if (found <= 0) {
        return found < 0 ? NULL : Py_NewRef(Py_None);  /* stopped, or dropped at exit */
    }
    Py_DECREF(popped);  /* self: the caller (the weak reference's callback) holds it too */
    /* Only the winner of the pop runs or releases the task; the critical
     * section is for repr, which may read them meanwhile. Strong references
     * for the call, which may run anything. */
    PyObject *fn, *arg;
    Py_BEGIN_CRITICAL_SECTION(self);
    fn = Py_XNewRef(self->fn);
    arg = Py_XNewRef(self->arg);
    Py_END_CRITICAL_SECTION();
    PyObject *result = fn == NULL ? Py_NewRef(Py_None) : PyObject_CallOneArg(fn, arg);
    Py_XDECREF(fn);
    Py_XDECREF(arg);
    if (result == NULL) {
        return NULL;  /* to sys.unraisablehook, naming this task */
    }
    Py_DECREF(result);
    Py_RETURN_NONE;
}

static PyObject *
cleanup_task_release(CleanupTaskObject *self, PyObject *unused)
{
    PyObject *fn, *arg;
    Py_BEGIN_CRITICAL_SECTION(self);
    fn = self->fn;
    arg = self->arg;
    self->fn = NULL;
    self->arg = NULL;
    Py_END_CRITICAL_SECTION();
    Py_XDECREF(fn);  /* may run user code: the fields are already cleared */
    Py_XDECREF(arg);
    Py_RETURN_NONE;
}

static PyObject *
cleanup_task_repr(CleanupTaskObject *self)
{
    PyObject *fn;
    Py_BEGIN_CRITICAL_SECTION(self);
    fn = self->fn == NULL ? Py_NewRef(Py_None) : Py_NewRef(self->fn);
    Py_END_CRITICAL_SECTION();
    PyObject *text = PyUnicode_FromFormat("<intern cleanup %R>", fn);
    Py_DECREF(fn);
    return text;
}

static int
cleanup_task_traverse(CleanupTaskObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->fn);
    Py_VISIT(self->arg);
    Py_VISIT(self->pending);
    return 0;
}

static int
cleanup_task_clear(CleanupTaskObject *self)
{
    Py_CLEAR(self->fn);
    Py_CLEAR(self->arg);
    Py_CLEAR(self->pending);
    return 0;
}

static void
cleanup_task_dealloc(CleanupTaskObject *self)
{
    PyObject_GC_UnTrack(self);
    cleanup_task_clear(self);
    PyTypeObject *type = Py_TYPE(self);
    type->tp_free(self);
    Py_DECREF(type);
}

static PyMethodDef cleanup_task_methods[] = {
    {"release", (PyCFunction)cleanup_task_release, METH_NOARGS,
     PyDoc_STR("Let go of fn and arg once the task will never run.")},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot cleanup_task_slots[] = {
    {Py_tp_doc, (void *)PyDoc_STR("The callback of a cleanup's watch (see intern._cleanup).")},
    {Py_tp_dealloc, cleanup_task_dealloc},
    {Py_tp_traverse, cleanup_task_traverse},
    {Py_tp_clear, cleanup_task_clear},
    {Py_tp_call, cleanup_task_call},
    {Py_tp_repr, cleanup_task_repr},
    {Py_tp_methods, cleanup_task_methods},
    {0, NULL},
};

static PyType_Spec cleanup_task_spec = {
    .name = "intern._speedups.CleanupTask",
    .basicsize = sizeof(CleanupTaskObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE
             | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = cleanup_task_slots,
};

/* Whether the refusal checks would all pass without looking further: see
 * the comment above. Reads only types and pointers; runs no user code. */
static inline int
plainly_acceptable(PyObject *obj, PyObject *fn, PyObject *arg)
{
    if (fn == obj || arg == obj) {
        return 0;
    }
    if (PyFunction_Check(fn)) {
        if (PyFunction_GetClosure(fn) != NULL || PyFunction_GetDefaults(fn) != NULL
            || PyFunction_GetKwDefaults(fn) != NULL) {
            return 0;
        }
    }
    else if (!PyCFunction_CheckExact(fn) || PyCFunction_GET_SELF(fn) == obj) {
        return 0;
    }
    return !(PyTuple_Check(arg) || PyList_Check(arg) || PyAnySet_Check(arg) || PyDict_Check(arg));
}

static PyObject *
registrar_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf,
                     PyObject *kwnames)
{
    RegistrarObject *self = (RegistrarObject *)callable;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (self->checked == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "intern's cleanup registrar was cleared");
        return NULL;
    }
    if (nargs != 3 || kwnames != NULL || !plainly_acceptable(args[0], args[1], args[2])
        || !PyType_SUPPORTS_WEAKREFS(Py_TYPE(args[0]))) {
        return PyObject_Vectorcall(self->checked, args, nargsf, kwnames);
    }
    PyObject *obj = args[0], *fn = args[1], *arg = args[2];
    PyObject *watch = NULL, *cleanup = NULL, *closed = NULL;
    CleanupTaskObject *task = PyObject_GC_New(CleanupTaskObject, self->task_type);
    if (task == NULL) {
        return NULL;
    }
    task->fn = Py_NewRef(fn);
    task->arg = Py_NewRef(arg);
    task->pending = Py_NewRef(self->pending);
    PyObject_GC_Track(task);
    watch = PyObject_CallFunctionObjArgs(self->watch_type, obj, (PyObject *)task, NULL);
    if (watch == NULL) {
        goto error;
    }
    /* As object.__new__(Cleanup): its __new__ refuses to be called. */
    cleanup = self->cleanup_type->tp_alloc(self->cleanup_type, 0);
    if (cleanup == NULL || PyObject_SetAttr(cleanup, self->str_watch, watch) < 0
        || PyDict_SetItem(self->pending, watch, (PyObject *)task) < 0) {
        goto error;
    }
    closed = PyObject_GetAttr(self->registry, self->str_closed);
    int exiting = closed == NULL ? -1 : PyObject_IsTrue(closed);
    if (exiting < 0) {
        goto error;
    }
    if (exiting) {  /* the interpreter is exiting: never run */
        PyObject *stopped = PyObject_CallMethodNoArgs(cleanup, self->str_stop);
        if (stopped == NULL) {
            goto error;
        }
        Py_DECREF(stopped);
    }
    Py_DECREF(closed);
    Py_DECREF(watch);
    Py_DECREF(task);
    return cleanup;
error:
    if (watch != NULL) {  /* never registered, or stopped: a task never to run */
        PyObject *popped;
        if (dict_pop(self->pending, watch, &popped) > 0) {
            Py_DECREF(popped);
        }
    }
    Py_XDECREF(closed);
    Py_XDECREF(cleanup);
    Py_XDECREF(watch);
    Py_XDECREF(cleanup_task_release(task, NULL));
    Py_DECREF(task);
    return NULL;
}

static PyObject *
registrar_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *module = PyType_GetModuleByDef(type, &intern_module);
    if (module == NULL) {
        return NULL;
    }
    module_state *state = state_of_module(module);
    PyObject *pending, *watch_type, *cleanup_type, *registry, *checked;
    if ((kwargs != NULL && PyDict_GET_SIZE(kwargs) != 0)
        || !PyArg_ParseTuple(args, "O!O!O!OO:CleanupRegistrar", &PyDict_Type, &pending,
                             &PyType_Type, &watch_type, &PyType_Type, &cleanup_type, &registry,
                             &checked)) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "CleanupRegistrar takes positional arguments only");
        }
        return NULL;
    }
    /* The fast path makes a cleanup by cleanup_type's tp_alloc alone, as
     * object.__new__ would: only right for a class of Python's own, based on
     * object directly, whose instances need nothing else set. */
    PyTypeObject *made = (PyTypeObject *)cleanup_type;
    if (!(made->tp_flags & Py_TPFLAGS_HEAPTYPE) || made->tp_base != &PyBaseObject_Type
        || made->tp_alloc != PyType_GenericAlloc || made->tp_itemsize != 0) {
        PyErr_SetString(PyExc_TypeError,
                        "CleanupRegistrar: cleanup_type must be a class based on object");
        return NULL;
    }
    RegistrarObject *self = (RegistrarObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->vectorcall = registrar_vectorcall;
    self->pending = Py_NewRef(pending);
    self->watch_type = Py_NewRef(watch_type);
    self->cleanup_type = (PyTypeObject *)Py_NewRef(cleanup_type);
    self->registry = Py_NewRef(registry);
    self->checked = Py_NewRef(checked);
    self->task_type = (PyTypeObject *)Py_NewRef(state->cleanup_task_type);
    self->str_watch = PyUnicode_InternFromString("_watch");
    self->str_closed = PyUnicode_InternFromString("closed");
    self->str_stop = PyUnicode_InternFromString("stop");
    if (self->str_watch == NULL || self->str_closed == NULL || self->str_stop == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int
registrar_traverse(RegistrarObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->pending);
    Py_VISIT(self->watch_type);
    Py_VISIT(self->cleanup_type);
    Py_VISIT(self->registry);
    Py_VISIT(self->checked);
    Py_VISIT(self->task_type);
    return 0;
}

static int
registrar_clear(RegistrarObject *self)
{
    Py_CLEAR(self->pending);
    Py_CLEAR(self->watch_type);
    Py_CLEAR(self->cleanup_type);
    Py_CLEAR(self->registry);
    Py_CLEAR(self->checked);
    Py_CLEAR(self->task_type);
    Py_CLEAR(self->str_watch);
    Py_CLEAR(self->str_closed);
    Py_CLEAR(self->str_stop);
    return 0;
}

static void
registrar_dealloc(RegistrarObject *self)
{
    PyObject_GC_UnTrack(self);
    registrar_clear(self);
    PyTypeObject *type = Py_TYPE(self);
    type->tp_free(self);
    Py_DECREF(type);
}

static PyMemberDef registrar_members[] = {
    {"__vectorcalloffset__", Py_T_PYSSIZET, offsetof(RegistrarObject, vectorcall), Py_READONLY,
     NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot registrar_slots[] = {
    {Py_tp_doc, (void *)PyDoc_STR("CleanupRegistrar(pending, watch_type, cleanup_type, registry, "
                                  "checked): add_cleanup's common case (see intern._cleanup).")},
    {Py_tp_new, registrar_tp_new},
    {Py_tp_dealloc, registrar_dealloc},
    {Py_tp_traverse, registrar_traverse},
    {Py_tp_clear, registrar_clear},
    {Py_tp_call, PyVectorcall_Call},
    {Py_tp_members, registrar_members},
    {0, NULL},
};

static PyType_Spec registrar_spec = {
    .name = "intern._speedups.CleanupRegistrar",
    .basicsize = sizeof(RegistrarObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE
             | Py_TPFLAGS_HAVE_VECTORCALL,
    .slots = registrar_slots,
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

/* Take away the __del__ that type creation made for tp_finalize, so that no
 * one but the collector takes a live handle out of its table. */
static int
hide_finalizer(PyTypeObject *type)
{
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *dict = PyType_GetDict(type);
#else
    PyObject *dict = Py_XNewRef(type->tp_dict);
#endif
    if (dict == NULL) {
        return -1;
    }
    int status = PyDict_DelItemString(dict, "__del__");
    Py_DECREF(dict);
    PyType_Modified(type);
    return status;
}

static int
module_exec(PyObject *module)
{
    module_state *state = state_of_module(module);
    /* What the module borrows from the Python side, and from sys. */
    const struct {
        PyObject **slot;
        const char *module_name;
        const char *name;
    } imports[] = {
        {&state->stats_type, "intern._stats", "Stats"},
        {&state->pool_stats_type, "intern._stats", "PoolStats"},
        {&state->explain_unhashable, "intern._checks", "explain_unhashable"},
        {&state->check_metaclass, "intern._checks", "check_metaclass"},
        {&state->check_picklable, "intern._checks", "check_picklable"},
        {&state->make_deep_with, "intern._deep", "make_deep_with"},
        {&state->getsizeof, "sys", "getsizeof"},
    };
    for (size_t i = 0; i < sizeof(imports) / sizeof(imports[0]); i++) {
        *imports[i].slot = import_attribute(imports[i].module_name, imports[i].name);
        if (*imports[i].slot == NULL) {
            return -1;
        }
    }
    state->str_sizeof = find_sizeof(&PyUnicode_Type);
    state->int_sizeof = find_sizeof(&PyLong_Type);
    state->bytes_sizeof = find_sizeof(&PyBytes_Type);
    state->handle_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &handle_spec, NULL);
    if (state->handle_type == NULL || hide_finalizer(state->handle_type) < 0
        || PyModule_AddType(module, state->handle_type) < 0) {
        return -1;
    }
    state->interner_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &interner_spec, NULL);
    if (state->interner_type == NULL || PyModule_AddType(module, state->interner_type) < 0) {
        return -1;
    }
    state->pool_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &pool_spec, NULL);
    if (state->pool_type == NULL || PyModule_AddType(module, state->pool_type) < 0) {
        return -1;
    }
    state->cache_hits_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &cache_hits_spec,
                                                                       NULL);
    if (state->cache_hits_type == NULL
        || PyModule_AddType(module, state->cache_hits_type) < 0) {
        return -1;
    }
    state->cached_call_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &cached_call_spec,
                                                                        NULL);
    if (state->cached_call_type == NULL
        || PyModule_AddType(module, state->cached_call_type) < 0) {
        return -1;
    }
    state->cleanup_task_type = (PyTypeObject *)PyType_FromModuleAndSpec(
        module, &cleanup_task_spec, NULL);
    if (state->cleanup_task_type == NULL
        || PyModule_AddType(module, state->cleanup_task_type) < 0) {
        return -1;
    }
    state->registrar_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &registrar_spec,
                                                                      NULL);
    if (state->registrar_type == NULL || PyModule_AddType(module, state->registrar_type) < 0) {
        return -1;
    }
    state->str_miss = PyUnicode_InternFromString("_miss");
    state->kwd_mark = PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type);
    if (state->str_miss == NULL || state->kwd_mark == NULL) {
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
    Py_VISIT(state->check_picklable);
    Py_VISIT(state->pool_type);
    Py_VISIT(state->pool_stats_type);
    Py_VISIT(state->make_deep_with);
    Py_VISIT(state->getsizeof);
    Py_VISIT(state->cache_hits_type);
    Py_VISIT(state->cached_call_type);
    Py_VISIT(state->str_miss);
    Py_VISIT(state->kwd_mark);
    Py_VISIT(state->cleanup_task_type);
    Py_VISIT(state->registrar_type);
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
    Py_CLEAR(state->check_picklable);
    Py_CLEAR(state->pool_type);
    Py_CLEAR(state->pool_stats_type);
    Py_CLEAR(state->make_deep_with);
    Py_CLEAR(state->getsizeof);
    Py_CLEAR(state->cache_hits_type);
    Py_CLEAR(state->cached_call_type);
    Py_CLEAR(state->str_miss);
    Py_CLEAR(state->kwd_mark);
    Py_CLEAR(state->cleanup_task_type);
    Py_CLEAR(state->registrar_type);
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
