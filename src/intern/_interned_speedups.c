/* The hit path of @intern.interned, in C: intern._interned_speedups.
 *
 * A Constructor is the __new__ of one interned class (see intern/_interned.py,
 * whose generated Python __new__ it replaces, line for line):
 *
 *   - called for the class itself, it builds a candidate (object.__new__, then
 *     the class's original __init__ with the arguments given), looks the tuple
 *     of its compared fields up in the plain index, and returns the live
 *     instance found there; otherwise the Python slow path, find_or_add, decides;
 *   - called for a subclass that is not interned, it hands over to `other`.
 *
 * Who owns what: the Constructor holds strong references to all its fields,
 * the class among them (a cycle through the class's __dict__, which the
 * collector sees: tp_traverse). Nothing global refers to a Constructor.
 *
 * What may run user code: the original __init__, getting the fields, and the
 * dict lookup (a field's __hash__ and __eq__, when the key is not plain). After
 * the lookup returns, nothing runs until the reference found is owned.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>  /* offsetof: Python.h brings it in on some versions only */

#if PY_VERSION_HEX < 0x030C0000
#  include "structmember.h"
#  define Py_T_OBJECT_EX T_OBJECT_EX
#  define Py_T_PYSSIZET T_PYSSIZET
#  define Py_READONLY READONLY
#endif

typedef struct {
    PyObject_HEAD
    PyObject *owner;       /* the interned class */
    PyObject *init;        /* its original __init__, or None (object's) */
    PyObject *fields;      /* tuple of the compared fields' names, or None */
    PyObject *plain;       /* dict: the plain index (shared with the Python table) */
    PyObject *find_or_add; /* the slow path: find_or_add(candidate) */
    PyObject *other;       /* other(cls, *args, **kwargs), for subclasses */
    PyObject *hits;        /* itertools.count, advanced once per hit */
    PyObject *empty;       /* () for object.__new__ */
    PyObject *signature;   /* __signature__, for inspect */
    vectorcallfunc vectorcall;
} ConstructorObject;

typedef struct {
    PyObject *constructor_type;
} module_state;

/* Return a new reference to the live referent of `ref`, NULL if dead (no error). */
static PyObject *
live_referent(PyObject *ref)
{
#if PY_VERSION_HEX >= 0x030D0000
    PyObject *referent = NULL;
    if (PyWeakref_GetRef(ref, &referent) < 0) {
        PyErr_Clear(); /* not a weak reference: cannot happen, entries are ours */
        return NULL;
    }
    return referent;
#else
    PyObject *referent = PyWeakref_GetObject(ref); /* borrowed; None if dead */
    if (referent == NULL) {
        PyErr_Clear();
        return NULL;
    }
    if (referent == Py_None || Py_REFCNT(referent) <= 0) {
        return NULL;
    }
    return Py_NewRef(referent);
#endif
}

/* Look `key` up in the plain index: a new reference to the live instance, or
 * NULL, with an error set if the lookup raised. May run user code. */
static PyObject *
find_plain(PyObject *plain, PyObject *key)
{
    PyObject *ref;
#if PY_VERSION_HEX >= 0x030D0000
    if (PyDict_GetItemRef(plain, key, &ref) <= 0) {
        return NULL;
    }
#else
    ref = PyDict_GetItemWithError(plain, key); /* borrowed: owned at once */
    if (ref == NULL) {
        return NULL;
    }
    Py_INCREF(ref);
#endif
    PyObject *found = live_referent(ref);
    Py_DECREF(ref);
    return found;
}

static PyObject *
fields_key(ConstructorObject *self, PyObject *candidate)
{
    Py_ssize_t count = PyTuple_GET_SIZE(self->fields);
    PyObject *key = PyTuple_New(count);
    if (key == NULL) {
        return NULL;
    }
    for (Py_ssize_t index = 0; index < count; index++) {
        PyObject *value = PyObject_GetAttr(candidate, PyTuple_GET_ITEM(self->fields, index));
        if (value == NULL) {
            Py_DECREF(key);
            return NULL;
        }
        PyTuple_SET_ITEM(key, index, value);
    }
    return key;
}

#define SMALL_STACK 8

/* Run the original __init__ on the candidate with the arguments after the class. */
static int
run_init(ConstructorObject *self, PyObject *candidate, PyObject *const *args, Py_ssize_t nargs,
         PyObject *kwnames)
{
    Py_ssize_t keywords = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    if (self->init == Py_None) {
        if (nargs > 1 || keywords > 0) {
            PyErr_Format(PyExc_TypeError, "%s() takes no arguments",
                         ((PyTypeObject *)self->owner)->tp_name);
            return -1;
        }
        return 0;
    }
    Py_ssize_t total = nargs + keywords; /* the candidate in the class's place */
    PyObject *small[SMALL_STACK];
    PyObject **stack = small;
    if (total > SMALL_STACK) {
        stack = PyMem_Malloc((size_t)total * sizeof(PyObject *));
        if (stack == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    stack[0] = candidate;
    for (Py_ssize_t index = 1; index < total; index++) {
        stack[index] = args[index];
    }
    PyObject *result = PyObject_Vectorcall(self->init, stack, (size_t)nargs, kwnames);
    if (stack != small) {
        PyMem_Free(stack);
    }
    if (result == NULL) {
        return -1;
    }
    Py_DECREF(result);
    return 0;
}

static PyObject *
constructor_vectorcall(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    ConstructorObject *self = (ConstructorObject *)op;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs < 1 || !PyType_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "__new__ of an interned class needs the class first");
        return NULL;
    }
    if (self->owner == NULL) { /* cleared by the collector: its class is garbage */
        PyErr_SetString(PyExc_RuntimeError, "the interned class is being collected");
        return NULL;
    }
    if (args[0] != self->owner) {
        return PyObject_Vectorcall(self->other, args, (size_t)nargs, kwnames);
    }
    PyTypeObject *cls = (PyTypeObject *)args[0];
    PyObject *candidate = PyBaseObject_Type.tp_new(cls, self->empty, NULL);
    if (candidate == NULL) {
        return NULL;
    }
    if (run_init(self, candidate, args, nargs, kwnames) < 0) {
        Py_DECREF(candidate);
        return NULL;
    }
    if (self->fields != Py_None) {
        PyObject *key = fields_key(self, candidate);
        if (key == NULL) {
            Py_DECREF(candidate);
            return NULL;
        }
        PyObject *found = find_plain(self->plain, key);
        Py_DECREF(key);
        if (found != NULL) {
            Py_DECREF(candidate);
            PyObject *count = PyIter_Next(self->hits); /* never exhausted: a count */
            if (count == NULL && PyErr_Occurred()) {
                Py_DECREF(found);
                return NULL;
            }
            Py_XDECREF(count);
            return found;
        }
        if (PyErr_Occurred()) {
            Py_DECREF(candidate);
            return NULL;
        }
    }
    PyObject *result = PyObject_CallOneArg(self->find_or_add, candidate);
    Py_DECREF(candidate);
    return result;
}

static PyObject *
constructor_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *keywords[] = {"owner", "init", "fields", "plain", "find_or_add", "other", "hits",
                               NULL};
    PyObject *owner, *init, *fields, *plain, *find_or_add, *other, *hits;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!OOO!OOO:Constructor", keywords, &PyType_Type,
                                     &owner, &init, &fields, &PyDict_Type, &plain, &find_or_add,
                                     &other, &hits)) {
        return NULL;
    }
    if (!PyIter_Check(hits)) {
        PyErr_SetString(PyExc_TypeError, "hits must be an iterator (an itertools.count)");
        return NULL;
    }
    if (fields != Py_None && !PyTuple_CheckExact(fields)) {
        PyErr_SetString(PyExc_TypeError, "fields must be a tuple of names or None");
        return NULL;
    }
    if (fields != Py_None) {
        for (Py_ssize_t index = 0; index < PyTuple_GET_SIZE(fields); index++) {
            if (!PyUnicode_Check(PyTuple_GET_ITEM(fields, index))) {
                PyErr_SetString(PyExc_TypeError, "fields must be a tuple of names or None");
                return NULL;
            }
        }
    }
    ConstructorObject *self = (ConstructorObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->owner = Py_NewRef(owner);
    self->init = Py_NewRef(init);
    self->fields = Py_NewRef(fields);
    self->plain = Py_NewRef(plain);
    self->find_or_add = Py_NewRef(find_or_add);
    self->other = Py_NewRef(other);
    self->hits = Py_NewRef(hits);
    self->empty = PyTuple_New(0);
    self->signature = NULL;
    self->vectorcall = constructor_vectorcall;
    if (self->empty == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int
constructor_traverse(PyObject *op, visitproc visit, void *arg)
{
    ConstructorObject *self = (ConstructorObject *)op;
    Py_VISIT(Py_TYPE(op));
    Py_VISIT(self->owner);
    Py_VISIT(self->init);
    Py_VISIT(self->fields);
    Py_VISIT(self->plain);
    Py_VISIT(self->find_or_add);
    Py_VISIT(self->other);
    Py_VISIT(self->hits);
    Py_VISIT(self->signature);
    return 0;
}

static int
constructor_clear(PyObject *op)
{
    ConstructorObject *self = (ConstructorObject *)op;
    Py_CLEAR(self->owner);
    Py_CLEAR(self->init);
    Py_CLEAR(self->fields);
    Py_CLEAR(self->plain);
    Py_CLEAR(self->find_or_add);
    Py_CLEAR(self->other);
    Py_CLEAR(self->hits);
    Py_CLEAR(self->empty);
    Py_CLEAR(self->signature);
    return 0;
}

static void
constructor_dealloc(PyObject *op)
{
    PyTypeObject *type = Py_TYPE(op);
    PyObject_GC_UnTrack(op);
    (void)constructor_clear(op);
    type->tp_free(op);
    Py_DECREF(type);
}

static PyMemberDef constructor_members[] = {
    {"__vectorcalloffset__", Py_T_PYSSIZET, offsetof(ConstructorObject, vectorcall), Py_READONLY,
     NULL},
    {"__signature__", Py_T_OBJECT_EX, offsetof(ConstructorObject, signature), 0,
     "The signature inspect reports for the class."},
    {NULL},
};

static PyType_Slot constructor_slots[] = {
    {Py_tp_doc, "The __new__ of a class decorated with @intern.interned."},
    {Py_tp_new, constructor_new},
    {Py_tp_call, PyVectorcall_Call},
    {Py_tp_traverse, constructor_traverse},
    {Py_tp_clear, constructor_clear},
    {Py_tp_dealloc, constructor_dealloc},
    {Py_tp_members, constructor_members},
    {0, NULL},
};

static PyType_Spec constructor_spec = {
    .name = "intern._interned_speedups.Constructor",
    .basicsize = sizeof(ConstructorObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL |
             Py_TPFLAGS_IMMUTABLETYPE,
    .slots = constructor_slots,
};

static int
module_exec(PyObject *module)
{
    module_state *state = PyModule_GetState(module);
    state->constructor_type = PyType_FromModuleAndSpec(module, &constructor_spec, NULL);
    if (state->constructor_type == NULL) {
        return -1;
    }
    return PyModule_AddObjectRef(module, "Constructor", state->constructor_type);
}

static int
module_traverse(PyObject *module, visitproc visit, void *arg)
{
    module_state *state = PyModule_GetState(module);
    Py_VISIT(state->constructor_type);
    return 0;
}

static int
module_clear(PyObject *module)
{
    module_state *state = PyModule_GetState(module);
    Py_CLEAR(state->constructor_type);
    return 0;
}

static void
module_free(void *module)
{
    (void)module_clear((PyObject *)module);
}

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, module_exec},
#ifdef Py_mod_multiple_interpreters
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#ifdef Py_mod_gil
    /* Correct without the GIL: dict and weak reference lookups that return
     * owned references (PyDict_GetItemRef, PyWeakref_GetRef); the table itself
     * is changed by the Python slow path only. */
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static PyModuleDef interned_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "intern._interned_speedups",
    .m_doc = "The C hit path of @intern.interned.",
    .m_size = sizeof(module_state),
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC
PyInit__interned_speedups(void)
{
    return PyModuleDef_Init(&interned_module);
}
