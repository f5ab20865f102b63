/*
 * inferrer._columns: the engine's per-value work, compiled. Each part has a Python
 * reference with the same result (tests/test_inference_compiled.py compares them);
 * inferrer.native loads this module unless INFERRER_PURE_PYTHON is set.
 *
 * - process_column(col, node, ids), the column pass: what the Python
 *   inferrer.inference.stats.process_column_reference does. It folds one column of
 *   JSON values into a FieldNode's statistics and returns the column's genson schema
 *   fragment. The per-value work (type dispatch, counts, min/max, lengths, exact
 *   distinct sets, the sketch's hash filter, the strict formats that are plain ASCII
 *   grammars) runs here; the rare decisions stay in Python and are called back: the
 *   map-key class of objects with unusual keys, formats that need a Python validator
 *   (email, IPv6, URI, and any non-ASCII string), starting and updating the sketch.
 * - raw_scan / raw_fold / raw_member_values, the raw pass: the same folding read
 *   straight from JSON text, without a Python value per field (its own section).
 * - json_facts(raws, values, max_depth, names): checks a batch parsed by orjson for
 *   what the per-record decoder treats specially: nesting deeper than max_depth,
 *   duplicate member names (orjson keeps the last one silently), integer literals
 *   beyond 64 bits (which orjson turns into floats), and which of some member names
 *   each top-level object has (envelope markers, discriminators).
 * - record_columns, values_size, member_values: a chunk's records and discriminators
 *   read in one pass each.
 *
 * Every function here only reads the values it is given; state lives in the
 * FieldNode objects, so saving, loading and merging stay in Python.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <structmember.h>
#include <zlib.h>

/* ---- configuration (set once by inferrer.inference.stats) ----------------------- */

static PyObject *FieldNodeType;     /* inferrer.inference.stats.FieldNode */
static PyObject *add_distinct_many; /* stats._add_distinct_many(node, tag, values) */
static PyObject *map_class;         /* stats._map_class(obj) -> str | None */
static PyObject *match_formats_all; /* rules.match_formats_all(values, mask) -> int */
static Py_ssize_t distinct_bound = -1;
static Py_ssize_t sketch_size = -1;

/* Format bits, in the order of rules.FORMATS (checked by configure). */
enum {
    F_DATE = 1 << 0,
    F_DATE_TIME = 1 << 1,
    F_EMAIL = 1 << 2,
    F_IPV4 = 1 << 3,
    F_IPV6 = 1 << 4,
    F_TIME = 1 << 5,
    F_URI = 1 << 6,
    F_UUID = 1 << 7,
};
static const char *const FORMAT_NAMES[] = {"date", "date-time", "email", "ipv4",
                                           "ipv6", "time",      "uri",   "uuid"};
#define N_FORMATS 8
/* Checked in Python (after a necessary condition here). */
#define PY_FORMATS (F_EMAIL | F_IPV6 | F_URI)

/* Interned names. */
static PyObject *s_present, *s_n_null, *s_n_true, *s_n_false, *s_n_int, *s_n_float,
    *s_n_str, *s_n_obj, *s_n_arr, *s_min_num, *s_max_num, *s_min_len, *s_max_len,
    *s_mask, *s_strs, *s_ints, *s_floats, *s_sketch, *s_children, *s_items, *s_values,
    *s_start_sketch, *s_type, *s_required, *s_properties, *s_object, *s_array,
    *s_anyOf, *s_additionalProperties, *s_x_map_keys, *s_tag_s, *s_tag_i, *s_tag_f,
    *s_string, *s_integer, *s_number, *s_boolean, *s_null, *s_values_attr;

static int
intern_all(void)
{
#define I(var, text)                                                                   \
    if ((var = PyUnicode_InternFromString(text)) == NULL)                               \
        return -1;
    I(s_present, "present") I(s_n_null, "n_null") I(s_n_true, "n_true")
    I(s_n_false, "n_false") I(s_n_int, "n_int") I(s_n_float, "n_float")
    I(s_n_str, "n_str") I(s_n_obj, "n_obj") I(s_n_arr, "n_arr") I(s_min_num, "min_num")
    I(s_max_num, "max_num") I(s_min_len, "min_len") I(s_max_len, "max_len")
    I(s_mask, "mask") I(s_strs, "strs") I(s_ints, "ints") I(s_floats, "floats")
    I(s_sketch, "sketch") I(s_children, "children") I(s_items, "items")
    I(s_values, "values") I(s_start_sketch, "_start_sketch") I(s_type, "type")
    I(s_required, "required") I(s_properties, "properties") I(s_object, "object")
    I(s_array, "array") I(s_anyOf, "anyOf")
    I(s_additionalProperties, "additionalProperties") I(s_x_map_keys, "x-map-keys")
    I(s_tag_s, "s") I(s_tag_i, "i") I(s_tag_f, "f") I(s_string, "string")
    I(s_integer, "integer") I(s_number, "number") I(s_boolean, "boolean")
    I(s_null, "null") I(s_values_attr, "value")
#undef I
    return 0;
}

/* ---- CRC-32, as zlib.crc32(data, seed) --------------------------------------------- */

static uint32_t crc_table[256];

static void
crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t
crc32_of(uint32_t seed, const char *data, Py_ssize_t n)
{
    uint32_t c = seed ^ 0xFFFFFFFFu;
    const unsigned char *p = (const unsigned char *)data;
    for (Py_ssize_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* ---- node attributes ----------------------------------------------------------------- */

static int
get_ssize(PyObject *node, PyObject *name, Py_ssize_t *out)
{
    PyObject *v = PyObject_GetAttr(node, name);
    if (v == NULL)
        return -1;
    *out = PyLong_AsSsize_t(v);
    Py_DECREF(v);
    return (*out == -1 && PyErr_Occurred()) ? -1 : 0;
}

static int
set_ssize(PyObject *node, PyObject *name, Py_ssize_t value)
{
    PyObject *v = PyLong_FromSsize_t(value);
    if (v == NULL)
        return -1;
    int r = PyObject_SetAttr(node, name, v);
    Py_DECREF(v);
    return r;
}

static int
add_ssize(PyObject *node, PyObject *name, Py_ssize_t delta)
{
    Py_ssize_t cur;
    if (delta == 0)
        return 0;
    if (get_ssize(node, name, &cur) < 0)
        return -1;
    return set_ssize(node, name, cur + delta);
}

/* ---- growable columns of borrowed values ------------------------------------------ */

typedef struct {
    PyObject **v;
    Py_ssize_t *id; /* owner ids, or NULL: one value per message */
    Py_ssize_t n, cap;
} Column;

static int
column_push(Column *c, PyObject *v, Py_ssize_t id, int with_ids)
{
    if (c->n == c->cap) {
        Py_ssize_t cap = c->cap ? c->cap * 2 : 16;
        PyObject **nv = PyMem_Realloc(c->v, (size_t)cap * sizeof(PyObject *));
        if (nv == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        c->v = nv;
        if (with_ids) {
            Py_ssize_t *ni = PyMem_Realloc(c->id, (size_t)cap * sizeof(Py_ssize_t));
            if (ni == NULL) {
                PyErr_NoMemory();
                return -1;
            }
            c->id = ni;
        }
        c->cap = cap;
    }
    c->v[c->n] = v;
    if (with_ids)
        c->id[c->n] = id;
    c->n++;
    return 0;
}

static void
column_free(Column *c)
{
    PyMem_Free(c->v);
    PyMem_Free(c->id);
    c->v = NULL;
    c->id = NULL;
    c->n = c->cap = 0;
}

/* Distinct owner ids. They come in non-decreasing order from every caller here; any
 * other order is still counted right, by sorting a copy. */
static int
cmp_ssize(const void *a, const void *b)
{
    Py_ssize_t x = *(const Py_ssize_t *)a, y = *(const Py_ssize_t *)b;
    return (x > y) - (x < y);
}

static Py_ssize_t
count_distinct(const Py_ssize_t *ids, Py_ssize_t n)
{
    Py_ssize_t out = n ? 1 : 0;
    for (Py_ssize_t i = 1; i < n; i++) {
        if (ids[i] < ids[i - 1]) {
            Py_ssize_t *copy = PyMem_Malloc((size_t)n * sizeof(Py_ssize_t));
            if (copy == NULL) {
                PyErr_NoMemory();
                return -1;
            }
            memcpy(copy, ids, (size_t)n * sizeof(Py_ssize_t));
            qsort(copy, (size_t)n, sizeof(Py_ssize_t), cmp_ssize);
            out = 1;
            for (Py_ssize_t j = 1; j < n; j++)
                out += copy[j] != copy[j - 1];
            PyMem_Free(copy);
            return out;
        }
        out += ids[i] != ids[i - 1];
    }
    return out;
}

/* ---- formats (ASCII grammars of rules.py's patterns) --------------------------------- */

static inline int
dig(char c)
{
    return c >= '0' && c <= '9';
}

static inline int
hex(char c)
{
    return dig(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline int
num2(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* \d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) and a real calendar date (datetime.date). */
static int
date_at(const char *s)
{
    if (!(dig(s[0]) && dig(s[1]) && dig(s[2]) && dig(s[3]) && s[4] == '-' && dig(s[5]) &&
          dig(s[6]) && s[7] == '-' && dig(s[8]) && dig(s[9])))
        return 0;
    int year = num2(s) * 100 + num2(s + 2), month = num2(s + 5), day = num2(s + 8);
    if (month < 1 || month > 12 || day < 1 || day > 31 || year < 1)
        return 0;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return day <= mdays[month - 1] + (month == 2 && leap);
}

/* ([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)\Z */
static int
time_at(const char *s, Py_ssize_t n)
{
    if (n < 9)
        return 0;
    if (!(dig(s[0]) && dig(s[1]) && s[2] == ':' && dig(s[3]) && dig(s[4]) && s[5] == ':' &&
          dig(s[6]) && dig(s[7])))
        return 0;
    if (num2(s) > 23 || s[3] > '5' || num2(s + 6) > 60)
        return 0;
    Py_ssize_t i = 8;
    if (s[i] == '.') {
        Py_ssize_t start = ++i;
        while (i < n && dig(s[i]))
            i++;
        if (i == start)
            return 0;
    }
    if (i >= n)
        return 0;
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n)
        return 1;
    if ((s[i] == '+' || s[i] == '-') && i + 6 == n) {
        const char *o = s + i + 1;
        return dig(o[0]) && dig(o[1]) && num2(o) <= 23 && o[2] == ':' && o[3] >= '0' &&
               o[3] <= '5' && dig(o[4]);
    }
    return 0;
}

static int
is_uuid(const char *s, Py_ssize_t n)
{
    if (n != 36)
        return 0;
    for (Py_ssize_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        }
        else if (!hex(s[i]))
            return 0;
    }
    return 1;
}

/* Four dotted decimal octets 0-255, no leading zeros. */
static int
is_ipv4(const char *s, Py_ssize_t n)
{
    Py_ssize_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= n || s[i] != '.')
                return 0;
            i++;
        }
        Py_ssize_t start = i;
        int value = 0;
        while (i < n && dig(s[i]) && i - start < 3)
            value = value * 10 + (s[i++] - '0');
        Py_ssize_t len = i - start;
        if (len == 0 || (len > 1 && s[start] == '0') || value > 255)
            return 0;
    }
    return i == n;
}

/* [0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\Z; the address itself is validated in Python. */
static int
ipv6_candidate(const char *s, Py_ssize_t n)
{
    int colon = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ':')
            colon = 1;
        else if (!(hex(c) || c == '.'))
            return 0;
    }
    return colon;
}

static int
uri_candidate(const char *s, Py_ssize_t n)
{
    if (n >= 4 && memcmp(s, "urn:", 4) == 0)
        return 1;
    for (Py_ssize_t i = 0; i + 2 < n; i++)
        if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/')
            return 1;
    return 0;
}

typedef struct {
    long mask;
    int all_bits; /* a value the grammars here cannot judge (non-ASCII) is pending */
    PyObject *pending; /* list of values Python must check, or NULL */
} FormatState;

/* Narrow st->mask by one ASCII string; true when a Python check remains for it. */
static int
narrow_ascii(FormatState *st, const char *s, Py_ssize_t n)
{
    long m = st->mask;
    if ((m & F_DATE) && !(n == 10 && date_at(s)))
        m &= ~F_DATE;
    if ((m & F_DATE_TIME) &&
        !(n >= 20 && date_at(s) && (s[10] == 'T' || s[10] == 't') && time_at(s + 11, n - 11)))
        m &= ~F_DATE_TIME;
    if ((m & F_TIME) && !time_at(s, n))
        m &= ~F_TIME;
    if ((m & F_UUID) && !is_uuid(s, n))
        m &= ~F_UUID;
    if ((m & F_IPV4) && !is_ipv4(s, n))
        m &= ~F_IPV4;
    if ((m & F_EMAIL) && memchr(s, '@', (size_t)n) == NULL)
        m &= ~F_EMAIL;
    if ((m & F_IPV6) && !ipv6_candidate(s, n))
        m &= ~F_IPV6;
    if ((m & F_URI) && !uri_candidate(s, n))
        m &= ~F_URI;
    st->mask = m;
    return (m & PY_FORMATS) != 0;
}

static int
queue_for_python(FormatState *st, PyObject *v)
{
    if (st->pending == NULL && (st->pending = PyList_New(0)) == NULL)
        return -1;
    return PyList_Append(st->pending, v);
}

/* Narrow st->mask by one string; queue it for Python when a Python check remains. */
static int
check_formats(FormatState *st, PyObject *v)
{
    if (!PyUnicode_IS_ASCII(v)) {
        st->all_bits = 1;
        return queue_for_python(st, v);
    }
    if (narrow_ascii(st, (const char *)PyUnicode_DATA(v), PyUnicode_GET_LENGTH(v)))
        return queue_for_python(st, v);
    return 0;
}

/* The final mask: the bits still pending are decided by rules.match_formats_all. */
static int
finish_formats(FormatState *st)
{
    if (st->pending == NULL)
        return 0;
    long verify = st->all_bits ? st->mask : (st->mask & PY_FORMATS);
    int rc = 0;
    if (verify) {
        PyObject *r = PyObject_CallFunction(match_formats_all, "Ol", st->pending, verify);
        if (r == NULL)
            rc = -1;
        else {
            long got = PyLong_AsLong(r);
            Py_DECREF(r);
            if (got == -1 && PyErr_Occurred())
                rc = -1;
            else
                st->mask = (st->mask & ~verify) | (got & verify);
        }
    }
    Py_CLEAR(st->pending);
    return rc;
}

/* ---- distinct values ------------------------------------------------------------------ */

/* The hash the sketch keeps (stats.stable_hash), or -1 when Python must compute it. */
/* stats.stable_hash of an int and of a float: CRC-32 of repr, seeded by type. */
static int64_t
hash_int64(long long x)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld", x);
    return crc32_of(2, buf, n);
}

static int64_t
hash_double(double x)
{
    char *text = PyOS_double_to_string(x, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (text == NULL) {
        PyErr_Clear();
        return -1;
    }
    uint32_t h = crc32_of(3, text, (Py_ssize_t)strlen(text));
    PyMem_Free(text);
    return h;
}

static int64_t
stable_hash(char tag, PyObject *v)
{
    if (tag == 's') {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(v, &n);
        if (s == NULL) { /* lone surrogates: Python encodes them with surrogatepass */
            PyErr_Clear();
            return -1;
        }
        return crc32_of(1, s, n);
    }
    if (tag == 'i') {
        int overflow;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (overflow || (x == -1 && PyErr_Occurred())) {
            PyErr_Clear();
            return -1;
        }
        return hash_int64(x);
    }
    return hash_double(PyFloat_AS_DOUBLE(v));
}

/* Record values of one type: in the exact set (starting the sketch past the bound), or
 * in the sketch through Python, for the few values whose hash can enter it.
 * fmt is NULL except for strings; for exact sets only new values are checked. */
static int
add_distinct(PyObject *node, char tag, PyObject **v, Py_ssize_t n, FormatState *fmt)
{
    PyObject *name = tag == 's' ? s_strs : tag == 'i' ? s_ints : s_floats;
    PyObject *exact = PyObject_GetAttr(node, name);
    if (exact == NULL)
        return -1;
    int rc = -1;
    if (exact != Py_None) {
        if (!PySet_CheckExact(exact)) {
            PyErr_SetString(PyExc_TypeError, "FieldNode distinct values must be a set");
            goto done;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            if (fmt != NULL && fmt->mask) {
                int seen = PySet_Contains(exact, v[i]);
                if (seen < 0)
                    goto done;
                if (seen)
                    continue;
                if (check_formats(fmt, v[i]) < 0)
                    goto done;
            }
            if (PySet_Add(exact, v[i]) < 0)
                goto done;
        }
        if (fmt != NULL && finish_formats(fmt) < 0)
            goto done;
        if (fmt != NULL && set_ssize(node, s_mask, fmt->mask) < 0)
            goto done;
        if (PySet_GET_SIZE(exact) > distinct_bound) {
            PyObject *r = PyObject_CallMethodNoArgs(node, s_start_sketch);
            if (r == NULL)
                goto done;
            Py_DECREF(r);
        }
        rc = 0;
        goto done;
    }
    /* The sketch: only hashes below a full sketch's largest can change it. */
    if (fmt != NULL && fmt->mask) {
        for (Py_ssize_t i = 0; i < n; i++)
            if (check_formats(fmt, v[i]) < 0)
                goto done;
        if (finish_formats(fmt) < 0 || set_ssize(node, s_mask, fmt->mask) < 0)
            goto done;
    }
    {
        PyObject *sketch = PyObject_GetAttr(node, s_sketch);
        if (sketch == NULL)
            goto done;
        int64_t limit = -1; /* -1: not full, every value is a candidate */
        if (PyList_Check(sketch) && PyList_GET_SIZE(sketch) >= sketch_size) {
            limit = PyLong_AsLongLong(PyList_GET_ITEM(sketch, PyList_GET_SIZE(sketch) - 1));
            if (limit == -1 && PyErr_Occurred()) {
                Py_DECREF(sketch);
                goto done;
            }
        }
        Py_DECREF(sketch);
        PyObject *cands = PyList_New(0);
        if (cands == NULL)
            goto done;
        for (Py_ssize_t i = 0; i < n; i++) {
            int64_t h = limit < 0 ? -1 : stable_hash(tag, v[i]);
            if ((h < 0 || h < limit) && PyList_Append(cands, v[i]) < 0) {
                Py_DECREF(cands);
                goto done;
            }
        }
        if (PyList_GET_SIZE(cands)) {
            PyObject *t = tag == 's' ? s_tag_s : tag == 'i' ? s_tag_i : s_tag_f;
            PyObject *r = PyObject_CallFunctionObjArgs(add_distinct_many, node, t, cands, NULL);
            if (r == NULL) {
                Py_DECREF(cands);
                goto done;
            }
            Py_DECREF(r);
        }
        Py_DECREF(cands);
    }
    rc = 0;
done:
    Py_DECREF(exact);
    return rc;
}

/* ---- the column pass ---------------------------------------------------------------- */

enum { TY_STR, TY_INT, TY_FLOAT, TY_BOOL, TY_NULL, TY_DICT, TY_LIST, N_TYPES };

static int
type_of(PyObject *v)
{
    if (PyUnicode_CheckExact(v))
        return TY_STR;
    if (PyLong_CheckExact(v))
        return TY_INT;
    if (PyFloat_CheckExact(v))
        return TY_FLOAT;
    if (PyBool_Check(v))
        return TY_BOOL;
    if (v == Py_None)
        return TY_NULL;
    if (PyDict_CheckExact(v))
        return TY_DICT;
    if (PyList_CheckExact(v))
        return TY_LIST;
    return -1;
}

static PyObject *process(PyObject **v, Py_ssize_t *ids, Py_ssize_t n, PyObject *node);

/* node.<attr> (items, values), or a new FieldNode not yet attached (*fresh = 1). */
static PyObject *
fieldnode_at(PyObject *node, PyObject *attr, int *fresh)
{
    PyObject *child = PyObject_GetAttr(node, attr);
    *fresh = child == Py_None;
    if (!*fresh)
        return child;
    Py_DECREF(child);
    return PyObject_CallNoArgs(FieldNodeType);
}

/* A child FieldNode: node.<attr> (items, values), created and attached when missing. */
static PyObject *
child_slot(PyObject *node, PyObject *attr)
{
    int fresh;
    PyObject *child = fieldnode_at(node, attr, &fresh);
    if (child != NULL && fresh && PyObject_SetAttr(node, attr, child) < 0)
        Py_CLEAR(child);
    return child;
}

/* ---- genson fragments (the column pass and the raw pass build the same) ------------- */

/* {"type": "object", "required": [...]} with "properties" when there are any. */
static int
append_record_part(PyObject *parts, PyObject *required, PyObject *properties)
{
    PyObject *record = Py_BuildValue("{s:s,s:O}", "type", "object", "required", required);
    if (record == NULL)
        return -1;
    int r = (PyDict_GET_SIZE(properties) && PyDict_SetItem(record, s_properties, properties) < 0)
                ? -1
                : PyList_Append(parts, record);
    Py_DECREF(record);
    return r;
}

/* {"type": "object", "x-map-keys": classes, "additionalProperties": values}. */
static int
append_map_part(PyObject *parts, PyObject *classes, PyObject *values)
{
    PyObject *m = Py_BuildValue("{s:s,O:O,O:O}", "type", "object", s_x_map_keys, classes,
                                s_additionalProperties, values);
    if (m == NULL)
        return -1;
    int r = PyList_Append(parts, m);
    Py_DECREF(m);
    return r;
}

/* {"type": "array"}, with "items" when there were items. */
static int
append_array_part(PyObject *parts, PyObject *items)
{
    PyObject *a = items == NULL ? Py_BuildValue("{s:s}", "type", "array")
                                : Py_BuildValue("{s:s,s:O}", "type", "array", "items", items);
    if (a == NULL)
        return -1;
    int r = PyList_Append(parts, a);
    Py_DECREF(a);
    return r;
}

/* {"type": ...} of the scalar types seen, sorted by name; integer is subsumed by number. */
static int
append_scalar_part(PyObject *parts, int boolean, int integer, int null, int number, int string)
{
    PyObject *names[5];
    int k = 0;
    if (boolean)
        names[k++] = s_boolean;
    if (integer && !number)
        names[k++] = s_integer;
    if (null)
        names[k++] = s_null;
    if (number)
        names[k++] = s_number;
    if (string)
        names[k++] = s_string;
    if (!k)
        return 0;
    PyObject *type;
    if (k == 1)
        type = Py_NewRef(names[0]);
    else {
        if ((type = PyList_New(k)) == NULL)
            return -1;
        for (int j = 0; j < k; j++)
            PyList_SET_ITEM(type, j, Py_NewRef(names[j]));
    }
    PyObject *part = PyDict_New();
    int r = part == NULL || PyDict_SetItem(part, s_type, type) < 0 ? -1
                                                                    : PyList_Append(parts, part);
    Py_XDECREF(part);
    Py_DECREF(type);
    return r;
}

/* The fragment of its parts: the one part, or {"anyOf": parts}. */
static PyObject *
fragment_of(PyObject *parts)
{
    if (PyList_GET_SIZE(parts) == 1)
        return Py_NewRef(PyList_GET_ITEM(parts, 0));
    PyObject *out = PyDict_New();
    if (out != NULL && PyDict_SetItem(out, s_anyOf, parts) < 0)
        Py_CLEAR(out);
    return out;
}

static int
update_min_max(PyObject *node, PyObject *lo, PyObject *hi)
{
    PyObject *cur = PyObject_GetAttr(node, s_min_num);
    if (cur == NULL)
        return -1;
    int less = cur == Py_None ? 1 : PyObject_RichCompareBool(lo, cur, Py_LT);
    Py_DECREF(cur);
    if (less < 0 || (less && PyObject_SetAttr(node, s_min_num, lo) < 0))
        return -1;
    cur = PyObject_GetAttr(node, s_max_num);
    if (cur == NULL)
        return -1;
    int more = cur == Py_None ? 1 : PyObject_RichCompareBool(hi, cur, Py_GT);
    Py_DECREF(cur);
    if (more < 0 || (more && PyObject_SetAttr(node, s_max_num, hi) < 0))
        return -1;
    return 0;
}

static int
do_strings(PyObject **v, Py_ssize_t n, PyObject *node)
{
    Py_ssize_t lo = PY_SSIZE_T_MAX, hi = -1, min_len, max_len, mask;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t len = PyUnicode_GET_LENGTH(v[i]);
        if (len < lo)
            lo = len;
        if (len > hi)
            hi = len;
    }
    if (add_ssize(node, s_n_str, n) < 0 || get_ssize(node, s_min_len, &min_len) < 0 ||
        get_ssize(node, s_max_len, &max_len) < 0 || get_ssize(node, s_mask, &mask) < 0)
        return -1;
    if ((min_len < 0 || lo < min_len) && set_ssize(node, s_min_len, lo) < 0)
        return -1;
    if (hi > max_len && set_ssize(node, s_max_len, hi) < 0)
        return -1;
    FormatState fmt = {(long)mask, 0, NULL};
    int rc = add_distinct(node, 's', v, n, &fmt);
    Py_XDECREF(fmt.pending);
    return rc;
}

static int
do_numbers(PyObject **v, Py_ssize_t n, PyObject *node, int is_int)
{
    PyObject *lo = v[0], *hi = v[0], *zero = NULL, **copy = NULL;
    if (is_int) {
        int overflow = 0;
        long long lov = PyLong_AsLongLongAndOverflow(v[0], &overflow), hiv = lov;
        for (Py_ssize_t i = 1; i < n && !overflow; i++) {
            long long x = PyLong_AsLongLongAndOverflow(v[i], &overflow);
            if (overflow)
                break;
            if (x < lov) {
                lov = x;
                lo = v[i];
            }
            if (x > hiv) {
                hiv = x;
                hi = v[i];
            }
        }
        if (overflow) { /* integers beyond 64 bits: compare as Python does */
            lo = hi = v[0];
            for (Py_ssize_t i = 1; i < n; i++) {
                int r = PyObject_RichCompareBool(v[i], lo, Py_LT);
                if (r < 0)
                    return -1;
                if (r)
                    lo = v[i];
                r = PyObject_RichCompareBool(v[i], hi, Py_GT);
                if (r < 0)
                    return -1;
                if (r)
                    hi = v[i];
            }
        }
    }
    else {
        /* -0.0 counts as 0.0 (else which one is kept depends on order), as in Python */
        for (Py_ssize_t i = 0; i < n; i++)
            if (PyFloat_AS_DOUBLE(v[i]) == 0.0 && signbit(PyFloat_AS_DOUBLE(v[i]))) {
                if (zero == NULL && (zero = PyFloat_FromDouble(0.0)) == NULL)
                    return -1;
                if (copy == NULL) {
                    if ((copy = PyMem_Malloc((size_t)n * sizeof(PyObject *))) == NULL) {
                        Py_DECREF(zero);
                        PyErr_NoMemory();
                        return -1;
                    }
                    memcpy(copy, v, (size_t)n * sizeof(PyObject *));
                    v = copy;
                }
                v[i] = zero;
            }
        lo = hi = v[0];
        double lov = PyFloat_AS_DOUBLE(v[0]), hiv = lov;
        for (Py_ssize_t i = 1; i < n; i++) {
            double x = PyFloat_AS_DOUBLE(v[i]);
            if (x < lov) {
                lov = x;
                lo = v[i];
            }
            if (x > hiv) {
                hiv = x;
                hi = v[i];
            }
        }
    }
    int rc = -1;
    if (add_ssize(node, is_int ? s_n_int : s_n_float, n) >= 0 && update_min_max(node, lo, hi) >= 0)
        rc = add_distinct(node, is_int ? 'i' : 'f', v, n, NULL);
    PyMem_Free(copy);
    Py_XDECREF(zero);
    return rc;
}

static int
is_plain_name(PyObject *key)
{
    if (!PyUnicode_Check(key))
        return 0;
    Py_ssize_t n = PyUnicode_GET_LENGTH(key);
    if (n == 0 || n == 36)
        return 0;
    return Py_UNICODE_ISLOWER(PyUnicode_READ_CHAR(key, 0));
}

/* Objects: records (one column per property) and maps (one column of values). */
static int
do_objects(PyObject **v, Py_ssize_t *ids, Py_ssize_t n, PyObject *node, PyObject *parts)
{
    int rc = -1;
    PyObject *index = PyDict_New(); /* key -> column number */
    PyObject *classes = PySet_New(NULL);
    PyObject *children = NULL, *properties = NULL, *required = NULL, *keys = NULL;
    Column *cols = NULL;
    Py_ssize_t ncols = 0, capcols = 0, nrecords = 0;
    Column maps = {0}, mapvals = {0};
    char *is_map = NULL;
    int with_ids = ids != NULL;
    if (index == NULL || classes == NULL)
        goto done;

    /* One pass over the items: a column per key (records), one for map values. Keys
     * are matched by identity with the key at the same position in the previous
     * object first (decoders share key objects), then looked up. An object with a key
     * that is no ordinary property name may be a map: then every object is classified
     * (map_class, in Python) and the pass starts over. */
#define KEY_CACHE 64
    PyObject *cache_key[KEY_CACHE];
    Py_ssize_t cache_col[KEY_CACHE];
again:
    memset(cache_key, 0, sizeof cache_key);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t owner = with_ids ? ids[i] : i;
        Py_ssize_t pos = 0, j = 0;
        PyObject *k, *val;
        if (is_map != NULL && is_map[i]) {
            if (column_push(&maps, v[i], owner, 1) < 0)
                goto done;
            while (PyDict_Next(v[i], &pos, &k, &val))
                if (column_push(&mapvals, val, owner, 1) < 0)
                    goto done;
            continue;
        }
        nrecords++;
        for (; PyDict_Next(v[i], &pos, &k, &val); j++) {
            Py_ssize_t c;
            if (j < KEY_CACHE && cache_key[j] == k)
                c = cache_col[j];
            else {
                if (is_map == NULL && !is_plain_name(k))
                    goto classify;
                PyObject *num = PyDict_GetItemWithError(index, k);
                if (num == NULL) {
                    if (PyErr_Occurred())
                        goto done;
                    if (ncols == capcols) {
                        Py_ssize_t cap = capcols ? capcols * 2 : 16;
                        Column *nc = PyMem_Realloc(cols, (size_t)cap * sizeof(Column));
                        if (nc == NULL) {
                            PyErr_NoMemory();
                            goto done;
                        }
                        memset(nc + capcols, 0, (size_t)(cap - capcols) * sizeof(Column));
                        cols = nc;
                        capcols = cap;
                    }
                    c = ncols++;
                    PyObject *cn = PyLong_FromSsize_t(c);
                    if (cn == NULL || PyDict_SetItem(index, k, cn) < 0) {
                        Py_XDECREF(cn);
                        goto done;
                    }
                    Py_DECREF(cn);
                }
                else
                    c = PyLong_AsSsize_t(num);
                if (j < KEY_CACHE) {
                    cache_key[j] = k;
                    cache_col[j] = c;
                }
            }
            if (column_push(&cols[c], val, owner, with_ids) < 0)
                goto done;
        }
    }
    goto collected;
classify:
    /* Start over: every object classified, no column kept. */
    for (Py_ssize_t c = 0; c < ncols; c++)
        column_free(&cols[c]);
    ncols = 0;
    nrecords = 0;
    PyDict_Clear(index);
    if ((is_map = PyMem_Calloc(n ? (size_t)n : 1, 1)) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (PyDict_GET_SIZE(v[i]) == 0)
            continue;
        PyObject *cls = PyObject_CallOneArg(map_class, v[i]);
        if (cls == NULL)
            goto done;
        if (cls != Py_None) {
            is_map[i] = 1;
            if (PySet_Add(classes, cls) < 0) {
                Py_DECREF(cls);
                goto done;
            }
        }
        Py_DECREF(cls);
    }
    goto again;
collected:

    if (nrecords) {
        if ((children = PyObject_GetAttr(node, s_children)) == NULL)
            goto done;
        if (!PyDict_Check(children)) {
            PyErr_SetString(PyExc_TypeError, "FieldNode.children must be a dict");
            goto done;
        }
        if ((properties = PyDict_New()) == NULL || (required = PyList_New(0)) == NULL)
            goto done;
        if ((keys = PyDict_Keys(index)) == NULL || PyList_Sort(keys) < 0)
            goto done;
        for (Py_ssize_t j = 0; j < PyList_GET_SIZE(keys); j++) {
            PyObject *k = PyList_GET_ITEM(keys, j);
            Py_ssize_t c = PyLong_AsSsize_t(PyDict_GetItem(index, k));
            PyObject *child = PyDict_GetItemWithError(children, k);
            if (child == NULL) {
                if (PyErr_Occurred())
                    goto done;
                child = PyObject_CallOneArg(FieldNodeType, k);
                if (child == NULL)
                    goto done;
                if (PyDict_SetItem(children, k, child) < 0) {
                    Py_DECREF(child);
                    goto done;
                }
            }
            else
                Py_INCREF(child);
            PyObject *frag = process(cols[c].v, with_ids ? cols[c].id : NULL, cols[c].n, child);
            Py_DECREF(child);
            if (frag == NULL)
                goto done;
            int r = PyDict_SetItem(properties, k, frag);
            Py_DECREF(frag);
            if (r < 0)
                goto done;
            if (cols[c].n == nrecords && PyList_Append(required, k) < 0)
                goto done;
        }
        if (append_record_part(parts, required, properties) < 0)
            goto done;
    }
    if (maps.n) {
        PyObject *values = child_slot(node, s_values);
        if (values == NULL)
            goto done;
        PyObject *frag = process(mapvals.v, mapvals.id, mapvals.n, values);
        Py_DECREF(values);
        if (frag == NULL)
            goto done;
        PyObject *sorted = PySequence_List(classes);
        if (sorted == NULL || PyList_Sort(sorted) < 0) {
            Py_XDECREF(sorted);
            Py_DECREF(frag);
            goto done;
        }
        int r = append_map_part(parts, sorted, frag);
        Py_DECREF(sorted);
        Py_DECREF(frag);
        if (r < 0)
            goto done;
    }
    rc = 0;
done:
    for (Py_ssize_t c = 0; c < ncols; c++)
        column_free(&cols[c]);
    PyMem_Free(cols);
    PyMem_Free(is_map);
    column_free(&maps);
    column_free(&mapvals);
    Py_XDECREF(index);
    Py_XDECREF(classes);
    Py_XDECREF(children);
    Py_XDECREF(properties);
    Py_XDECREF(required);
    Py_XDECREF(keys);
    return rc;
}

static int
do_arrays(PyObject **v, Py_ssize_t *ids, Py_ssize_t n, PyObject *node, PyObject *parts)
{
    Column items = {0};
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t owner = ids != NULL ? ids[i] : i;
        for (Py_ssize_t j = 0; j < PyList_GET_SIZE(v[i]); j++)
            if (column_push(&items, PyList_GET_ITEM(v[i], j), owner, 1) < 0) {
                column_free(&items);
                return -1;
            }
    }
    PyObject *frag = NULL;
    Py_ssize_t count = items.n;
    if (count) {
        PyObject *child = child_slot(node, s_items);
        if (child != NULL) {
            frag = process(items.v, items.id, items.n, child);
            Py_DECREF(child);
        }
    }
    column_free(&items);
    if (count && frag == NULL)
        return -1;
    int r = append_array_part(parts, frag);
    Py_XDECREF(frag);
    return r;
}

static PyObject *
process(PyObject **v, Py_ssize_t *ids, Py_ssize_t n, PyObject *node)
{
    Py_ssize_t count[N_TYPES] = {0};
    unsigned char *types = NULL;
    PyObject *parts = NULL, *out = NULL;
    Column split[N_TYPES];
    memset(split, 0, sizeof split);
    int ntypes = 0;

    if (Py_EnterRecursiveCall(" in the column pass"))
        return NULL;
    Py_ssize_t present = ids != NULL ? count_distinct(ids, n) : n;
    if (present < 0 || add_ssize(node, s_present, present) < 0)
        goto done;
    if ((types = PyMem_Malloc(n ? (size_t)n : 1)) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int t = type_of(v[i]);
        if (t < 0) {
            PyErr_Format(PyExc_TypeError, "not a JSON value: %s", Py_TYPE(v[i])->tp_name);
            goto done;
        }
        types[i] = (unsigned char)t;
        ntypes += count[t]++ == 0;
    }
    if (ntypes > 1) {
        for (Py_ssize_t i = 0; i < n; i++)
            if (column_push(&split[types[i]], v[i], ids ? ids[i] : 0, ids != NULL) < 0)
                goto done;
    }
    if ((parts = PyList_New(0)) == NULL)
        goto done;
    int scalars[N_TYPES] = {0};
    for (int t = 0; t < N_TYPES; t++) {
        if (!count[t])
            continue;
        PyObject **tv = ntypes > 1 ? split[t].v : v;
        Py_ssize_t *tid = ntypes > 1 ? split[t].id : ids;
        Py_ssize_t tn = count[t];
        int r = 0;
        switch (t) {
        case TY_STR:
            r = do_strings(tv, tn, node);
            break;
        case TY_INT:
        case TY_FLOAT:
            r = do_numbers(tv, tn, node, t == TY_INT);
            break;
        case TY_BOOL: {
            Py_ssize_t trues = 0;
            for (Py_ssize_t i = 0; i < tn; i++)
                trues += tv[i] == Py_True;
            r = add_ssize(node, s_n_true, trues) < 0 ? -1 : add_ssize(node, s_n_false, tn - trues);
            break;
        }
        case TY_NULL:
            r = add_ssize(node, s_n_null, tn);
            break;
        case TY_DICT:
            r = add_ssize(node, s_n_obj, tn) < 0 ? -1 : do_objects(tv, tid, tn, node, parts);
            break;
        case TY_LIST:
            r = add_ssize(node, s_n_arr, tn) < 0 ? -1 : do_arrays(tv, tid, tn, node, parts);
            break;
        }
        if (r < 0)
            goto done;
        scalars[t] = 1;
    }
    if (append_scalar_part(parts, scalars[TY_BOOL], scalars[TY_INT], scalars[TY_NULL],
                           scalars[TY_FLOAT], scalars[TY_STR]) == 0)
        out = fragment_of(parts);
done:
    Py_LeaveRecursiveCall();
    for (int t = 0; t < N_TYPES; t++)
        column_free(&split[t]);
    PyMem_Free(types);
    Py_XDECREF(parts);
    return out;
}

static PyObject *
py_process_column(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "process_column(col, node, ids)");
        return NULL;
    }
    if (FieldNodeType == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "inferrer._columns is not configured");
        return NULL;
    }
    PyObject *col = args[0], *node = args[1], *ids_obj = args[2];
    if (!PyList_Check(col)) {
        PyErr_SetString(PyExc_TypeError, "col must be a list");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(col);
    Py_ssize_t *ids = NULL;
    if (ids_obj != Py_None) {
        if (!PyList_Check(ids_obj) || PyList_GET_SIZE(ids_obj) != n) {
            PyErr_SetString(PyExc_TypeError, "ids must be None or a list as long as col");
            return NULL;
        }
        if ((ids = PyMem_Malloc(n ? (size_t)n * sizeof(Py_ssize_t) : 1)) == NULL)
            return PyErr_NoMemory();
        for (Py_ssize_t i = 0; i < n; i++) {
            ids[i] = PyLong_AsSsize_t(PyList_GET_ITEM(ids_obj, i));
            if (ids[i] == -1 && PyErr_Occurred()) {
                PyMem_Free(ids);
                return NULL;
            }
        }
    }
    /* A private copy of the item pointers: the list may not change under us. */
    PyObject *items = PySequence_Tuple(col);
    PyObject *out = NULL;
    if (items != NULL) {
        out = process(&PyTuple_GET_ITEM(items, 0), ids, n, node);
        Py_DECREF(items);
    }
    PyMem_Free(ids);
    return out;
}

/* ---- json_facts ------------------------------------------------------------------------- */

/* Facts of one raw JSON text (already parsed by orjson, so well formed): the deepest
 * nesting, the number of object members (colons outside strings), and whether an
 * integer literal lies outside [-2**63, 2**64 - 1] (orjson reads those as floats). */
static int
beyond_64_bits(const char *digits, Py_ssize_t n, int negative)
{
    const char *limit = negative ? "9223372036854775808" : "18446744073709551615";
    Py_ssize_t limit_n = (Py_ssize_t)strlen(limit);
    if (n != limit_n)
        return n > limit_n;
    return memcmp(digits, limit, (size_t)n) > 0;
}

/* Byte classes for scan_json. Outside strings: */
enum { C_NONE, C_QUOTE, C_OPEN, C_CLOSE, C_COLON, C_DIGIT };
static unsigned char outside_class[256];
/* Inside strings: where a string may end (quote, backslash, or the NUL every bytes
 * object ends with, checked against the length). */
static unsigned char string_stop[256];

static void
scan_init(void)
{
    outside_class['"'] = C_QUOTE;
    outside_class['{'] = outside_class['['] = C_OPEN;
    outside_class['}'] = outside_class[']'] = C_CLOSE;
    outside_class[':'] = C_COLON;
    for (int c = '0'; c <= '9'; c++)
        outside_class[c] = C_DIGIT;
    string_stop['"'] = string_stop['\\'] = string_stop[0] = 1;
}

/* s must be NUL-terminated at s[n] (bytes objects are). */
static void
scan_json(const char *s, Py_ssize_t n, Py_ssize_t *depth, Py_ssize_t *members, int *big_int)
{
    const unsigned char *u = (const unsigned char *)s;
    Py_ssize_t d = 0, deepest = 0, m = 0;
    int big = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        switch (outside_class[u[i]]) {
        case C_NONE:
            break;
        case C_QUOTE:
            for (i++; i < n; i++) {
                while (!string_stop[u[i]])
                    i++;
                if (u[i] == '\\')
                    i++; /* the escaped byte is skipped by the loop step */
                else
                    break; /* the closing quote, or the end */
            }
            break;
        case C_OPEN:
            if (++d > deepest)
                deepest = d;
            break;
        case C_CLOSE:
            d--;
            break;
        case C_COLON:
            m++;
            break;
        case C_DIGIT: {
            Py_ssize_t start = i;
            while (i + 1 < n && outside_class[u[i + 1]] == C_DIGIT)
                i++;
            Py_ssize_t digits = i - start + 1;
            if (digits > 18) {
                int fraction = i + 1 < n && (s[i + 1] == '.' || s[i + 1] == 'e' || s[i + 1] == 'E');
                if (!fraction && beyond_64_bits(s + start, digits, start > 0 && s[start - 1] == '-'))
                    big = 1;
            }
            /* the rest of the number: fraction and exponent */
            while (i + 1 < n && (outside_class[u[i + 1]] == C_DIGIT || s[i + 1] == '.' ||
                                 s[i + 1] == 'e' || s[i + 1] == 'E' || s[i + 1] == '+' ||
                                 s[i + 1] == '-'))
                i++;
            break;
        }
        }
    }
    *depth = deepest;
    *members = m;
    *big_int = big;
}

static Py_ssize_t
count_members(PyObject *v, int budget)
{
    if (budget <= 0)
        return -1;
    Py_ssize_t total = 0;
    if (PyDict_Check(v)) {
        Py_ssize_t pos = 0;
        PyObject *k, *val;
        total = PyDict_GET_SIZE(v);
        while (PyDict_Next(v, &pos, &k, &val)) {
            if (!PyDict_Check(val) && !PyList_Check(val))
                continue;
            Py_ssize_t sub = count_members(val, budget - 1);
            if (sub < 0)
                return -1;
            total += sub;
        }
    }
    else if (PyList_Check(v)) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(v); i++) {
            PyObject *item = PyList_GET_ITEM(v, i);
            if (!PyDict_Check(item) && !PyList_Check(item))
                continue;
            Py_ssize_t sub = count_members(item, budget - 1);
            if (sub < 0)
                return -1;
            total += sub;
        }
    }
    return total;
}

/* json_facts(raws, values, max_depth, names) -> the union of the flags of every message:
 * FACT_TOO_DEEP, FACT_DUPLICATE_KEYS, FACT_BIG_INT, FACT_NOT_OBJECT (the raw text does
 * not start with '{'), and bit (FACT_NAMES_SHIFT + j) when the value is an object with
 * a member names[j]. */
#define FACT_TOO_DEEP 1
#define FACT_DUPLICATE_KEYS 2
#define FACT_BIG_INT 4
#define FACT_NOT_OBJECT 8
#define FACT_NAMES_SHIFT 4

static PyObject *
py_json_facts(PyObject *self, PyObject *args)
{
    PyObject *raws, *values, *names;
    Py_ssize_t max_depth;
    if (!PyArg_ParseTuple(args, "O!O!nO!", &PyList_Type, &raws, &PyList_Type, &values,
                          &max_depth, &PyTuple_Type, &names))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(raws), nnames = PyTuple_GET_SIZE(names);
    if (PyList_GET_SIZE(values) != n || nnames > 40 || max_depth > 10000) {
        PyErr_SetString(PyExc_ValueError, "json_facts: bad arguments");
        return NULL;
    }
    long long all = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *raw = PyList_GET_ITEM(raws, i), *value = PyList_GET_ITEM(values, i);
        if (!PyBytes_Check(raw)) {
            PyErr_SetString(PyExc_TypeError, "raws must be bytes");
            return NULL;
        }
        const char *text = PyBytes_AS_STRING(raw);
        Py_ssize_t len = PyBytes_GET_SIZE(raw), depth, members;
        int big_int;
        long long flags = 0;
        if (len == 0 || text[0] != '{')
            flags |= FACT_NOT_OBJECT;
        scan_json(text, len, &depth, &members, &big_int);
        if (depth > max_depth)
            flags |= FACT_TOO_DEEP;
        else if (count_members(value, (int)max_depth + 2) != members)
            flags |= FACT_DUPLICATE_KEYS;
        if (big_int)
            flags |= FACT_BIG_INT;
        if (PyDict_Check(value)) {
            for (Py_ssize_t j = 0; j < nnames; j++) {
                int has = PyDict_Contains(value, PyTuple_GET_ITEM(names, j));
                if (has < 0)
                    return NULL;
                if (has)
                    flags |= 1LL << (FACT_NAMES_SHIFT + j);
            }
        }
        else
            flags |= FACT_NOT_OBJECT;
        all |= flags;
    }
    return PyLong_FromLongLong(all);
}

/* member_values(objects, name) -> [obj.get(name) for obj in objects] */
static PyObject *
py_member_values(PyObject *self, PyObject *args)
{
    PyObject *objects, *name;
    if (!PyArg_ParseTuple(args, "O!O", &PyList_Type, &objects, &name))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(objects);
    PyObject *out = PyList_New(n);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *obj = PyList_GET_ITEM(objects, i), *v = NULL;
        if (!PyDict_Check(obj)) {
            Py_DECREF(out);
            PyErr_SetString(PyExc_TypeError, "objects must be dicts");
            return NULL;
        }
        v = PyDict_GetItemWithError(obj, name);
        if (v == NULL) {
            if (PyErr_Occurred()) {
                Py_DECREF(out);
                return NULL;
            }
            v = Py_None;
        }
        Py_INCREF(v);
        PyList_SET_ITEM(out, i, v);
    }
    return out;
}

/* ==== the raw pass: JSON text folded into the statistics, without Python values ======
 *
 * raw_scan(raws, max_depth, names) tokenizes a batch of JSON texts into one tape, or
 * returns None when any text is outside what the raw pass covers: it must be an object
 * starting at its first byte, at most max_depth deep, with valid strings (those with
 * escapes or non-ASCII text are decoded here, the rest are their bytes), property names
 * in printable ASCII without escapes (maps are told from records as stats._map_class
 * does), no duplicate names, integers within int64 and finite floats. Those batches take the
 * orjson path (process_column), which gives the same result for what both cover.
 * raw_fold(batch, positions, root) then folds the chosen messages into a FieldNode tree
 * as process_column(list of the parsed messages, root, None) would, and returns the same
 * fragment: only values that enter an exact distinct set, a sketch candidate list or a
 * Python format check become Python objects.
 */

enum { K_OBJ = 1, K_ARR, K_STR, K_INT, K_FLT, K_TRUE, K_FALSE, K_NULL };

typedef struct {
    uint8_t kind;
    uint8_t canon;       /* FLT: the literal is Python's repr of the value */
    uint32_t start, len; /* STR: the bytes between the quotes; FLT: the literal */
    uint32_t end;        /* OBJ, ARR: index of the token after the value */
    union {
        int64_t i;
        double f;
    } v;
} Tok;

typedef struct {
    PyObject_HEAD PyObject *raws; /* list of bytes, kept alive: tokens point into them */
    PyObject *strings;            /* decoded string values with escapes or non-ASCII */
    Py_ssize_t n;
    Py_ssize_t *first; /* first token of each message */
    Tok *tok;
    Py_ssize_t ntok, captok;
} RawBatch;

static void
rawbatch_dealloc(RawBatch *b)
{
    Py_XDECREF(b->raws);
    Py_XDECREF(b->strings);
    PyMem_Free(b->first);
    PyMem_Free(b->tok);
    Py_TYPE(b)->tp_free((PyObject *)b);
}

static PyTypeObject RawBatchType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "inferrer._columns.RawBatch",
    .tp_basicsize = sizeof(RawBatch),
    .tp_dealloc = (destructor)rawbatch_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A batch of JSON texts, tokenized by raw_scan (opaque).",
};

static unsigned char plain_string_byte[256]; /* printable ASCII but '"' and '\\' */

static void
raw_init(void)
{
    for (int c = 0x20; c < 0x7F; c++)
        plain_string_byte[c] = c != '"' && c != '\\';
}

#define DUP_SLOTS 256
typedef struct {
    const unsigned char *s;
    Py_ssize_t n, i;
    RawBatch *b;
    int depth, max_depth;
    uint32_t gen;
    struct {
        uint32_t gen, start, len;
    } slot[DUP_SLOTS];
} Parser;

/* 0: parsed; 1: not covered (the batch takes the orjson path); -1: Python error. */
static int
new_tok(Parser *p, uint8_t kind, Py_ssize_t *index)
{
    RawBatch *b = p->b;
    if (b->ntok == b->captok) {
        Py_ssize_t cap = b->captok ? b->captok * 2 : 4096;
        Tok *t = PyMem_Realloc(b->tok, (size_t)cap * sizeof(Tok));
        if (t == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        b->tok = t;
        b->captok = cap;
    }
    *index = b->ntok++;
    memset(&b->tok[*index], 0, sizeof(Tok));
    b->tok[*index].kind = kind;
    return 0;
}

static inline void
skip_ws(Parser *p)
{
    while (p->i < p->n) {
        unsigned char c = p->s[p->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->i++;
    }
}

/* A string: *plain is 1 for printable ASCII without escapes (its bytes are its text),
 * 0 for one with escapes or other UTF-8 (decode_string makes its text). Control bytes
 * and unfinished escapes are not JSON: 1 (not covered). */
static int
scan_string(Parser *p, uint32_t *start, uint32_t *len, int *plain)
{
    Py_ssize_t i = p->i + 1; /* after the opening quote */
    *plain = 1;
    for (;;) {
        while (i < p->n && plain_string_byte[p->s[i]])
            i++;
        if (i >= p->n)
            return 1;
        unsigned char c = p->s[i];
        if (c == '"')
            break;
        if (c == '\\') {
            i += 2; /* the escaped byte; \uXXXX is checked by decode_string */
            *plain = 0;
        }
        else if (c >= 0x80 || c == 0x7F) {
            i++;
            *plain = 0;
        }
        else
            return 1; /* a control byte */
    }
    *start = (uint32_t)(p->i + 1);
    *len = (uint32_t)(i - p->i - 1);
    p->i = i + 1;
    return 0;
}

static int
hex4(const unsigned char *s, Py_ssize_t n, Py_ssize_t at, unsigned *out)
{
    unsigned v = 0;
    if (at + 4 > n)
        return -1;
    for (int k = 0; k < 4; k++) {
        unsigned char c = s[at + k];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* The text of a JSON string's content (escapes and UTF-8 decoded, strictly), or NULL
 * with no exception set when it is not valid (lone surrogates, bad escapes or bytes:
 * orjson refuses those, the per-record decoder names the reason). */
static PyObject *
decode_string(const unsigned char *s, Py_ssize_t n)
{
    unsigned char *buf = PyMem_Malloc(n ? (size_t)n : 1); /* decoded is never longer */
    if (buf == NULL)
        return PyErr_NoMemory();
    Py_ssize_t o = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            buf[o++] = s[i];
            continue;
        }
        if (++i >= n)
            goto invalid;
        unsigned cp;
        static const char escaped[] = "\"\\/bfnrt", unescaped[] = "\"\\/\b\f\n\r\t";
        const char *simple = memchr(escaped, s[i], 8);
        if (simple != NULL) {
            buf[o++] = (unsigned char)unescaped[simple - escaped];
            continue;
        }
        if (s[i] != 'u' || hex4(s, n, i + 1, &cp) < 0)
            goto invalid;
        i += 4;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            goto invalid; /* a lone low surrogate */
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned low;
            if (i + 2 >= n || s[i + 1] != '\\' || s[i + 2] != 'u' ||
                hex4(s, n, i + 3, &low) < 0 || low < 0xDC00 || low > 0xDFFF)
                goto invalid; /* a lone high surrogate */
            i += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        if (cp < 0x80)
            buf[o++] = (unsigned char)cp;
        else if (cp < 0x800) {
            buf[o++] = (unsigned char)(0xC0 | (cp >> 6));
            buf[o++] = (unsigned char)(0x80 | (cp & 0x3F));
        }
        else if (cp < 0x10000) {
            buf[o++] = (unsigned char)(0xE0 | (cp >> 12));
            buf[o++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            buf[o++] = (unsigned char)(0x80 | (cp & 0x3F));
        }
        else {
            buf[o++] = (unsigned char)(0xF0 | (cp >> 18));
            buf[o++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
            buf[o++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            buf[o++] = (unsigned char)(0x80 | (cp & 0x3F));
        }
    }
    PyObject *text = PyUnicode_DecodeUTF8((const char *)buf, o, "strict");
    PyMem_Free(buf);
    if (text == NULL && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError))
        PyErr_Clear(); /* invalid UTF-8 (or encoded surrogates): not covered */
    return text;
invalid:
    PyMem_Free(buf);
    return NULL;
}

static int
scan_number(Parser *p, Tok *t)
{
    const unsigned char *s = p->s;
    Py_ssize_t i = p->i, start = i, n = p->n;
    int neg = 0, is_float = 0;
    if (s[i] == '-') {
        neg = 1;
        i++;
    }
    if (i >= n || !dig((char)s[i]))
        return 1;
    if (s[i] == '0')
        i++;
    else
        while (i < n && dig((char)s[i]))
            i++;
    Py_ssize_t int_end = i;
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || !dig((char)s[i]))
            return 1;
        while (i < n && dig((char)s[i]))
            i++;
        is_float = 1;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || !dig((char)s[i]))
            return 1;
        while (i < n && dig((char)s[i]))
            i++;
        is_float = 1;
    }
    Py_ssize_t len = i - start;
    if (!is_float) {
        Py_ssize_t digits = int_end - start - neg;
        if (digits > 19)
            return 1;
        uint64_t u = 0;
        for (Py_ssize_t k = start + neg; k < int_end; k++)
            u = u * 10 + (uint64_t)(s[k] - '0');
        if (u > (uint64_t)INT64_MAX + (uint64_t)neg)
            return 1; /* beyond int64: the orjson path */
        t->kind = K_INT;
        t->v.i = neg ? (u == 0 ? 0 : -(int64_t)(u - 1) - 1) : (int64_t)u;
    }
    else {
        /* A plain decimal (no exponent) with at most 15 significant digits: exact by
         * Clinger's fast path (mantissa and power of ten both exact doubles: one
         * rounding), and its text is Python's repr of the value when it is in repr's
         * form (no trailing zero but in "x.0", 1e-4 <= |x| < 1e16). */
        Py_ssize_t frac_end = int_end;
        if (int_end < n && s[int_end] == '.')
            for (frac_end = int_end + 1; frac_end < n && dig((char)s[frac_end]); frac_end++)
                ;
        int exponent = frac_end != i; /* an exponent part follows the digits */
        uint64_t m = 0;
        int sig = 0, frac_digits = 0, seen_nonzero = 0, lead_frac_zeros = 0;
        for (Py_ssize_t k = start + neg; k < frac_end; k++) {
            if (s[k] == '.')
                continue;
            int dgt = s[k] - '0';
            if (k > int_end) {
                frac_digits++;
                if (!seen_nonzero && dgt == 0)
                    lead_frac_zeros++;
            }
            if (dgt != 0 || seen_nonzero) {
                seen_nonzero = 1;
                if (++sig <= 15)
                    m = m * 10 + (uint64_t)dgt;
            }
        }
        double d;
        uint8_t canon = 0;
        if (!exponent && sig <= 15 && frac_digits <= 22) {
            static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                         1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                         1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
            d = (double)m / p10[frac_digits];
            if (neg)
                d = -d;
            int int_zero = s[start + neg] == '0';
            int one_zero_fraction = frac_digits == 1 && s[int_end + 1] == '0';
            canon = (s[frac_end - 1] != '0' || one_zero_fraction) &&
                    (!int_zero || d == 0.0 || lead_frac_zeros <= 3) && !(neg && d == 0.0);
        }
        else {
            char buf[64];
            if (len >= (Py_ssize_t)sizeof buf)
                return 1;
            memcpy(buf, s + start, (size_t)len);
            buf[len] = '\0';
            d = PyOS_string_to_double(buf, NULL, NULL);
            if (d == -1.0 && PyErr_Occurred()) {
                PyErr_Clear();
                return 1;
            }
            if (isinf(d) || isnan(d))
                return 1; /* orjson refuses numbers beyond a double */
        }
        t->kind = K_FLT;
        t->v.f = d == 0.0 ? 0.0 : d; /* -0.0 counts as 0.0, as in the parsed pass */
        t->canon = canon;
        t->start = (uint32_t)start;
        t->len = (uint32_t)len;
    }
    p->i = i;
    return 0;
}

static uint32_t
key_hash(const unsigned char *k, uint32_t n)
{
    uint32_t h = 2166136261u;
    for (uint32_t j = 0; j < n; j++)
        h = (h ^ k[j]) * 16777619u;
    return h;
}

static inline Py_ssize_t
next_value(const RawBatch *b, Py_ssize_t j)
{
    uint8_t k = b->tok[j].kind;
    return (k == K_OBJ || k == K_ARR) ? (Py_ssize_t)b->tok[j].end : j + 1;
}

/* Duplicate property names of the object at token obj (after it is parsed). */
static int
has_duplicate_names(Parser *p, Py_ssize_t obj)
{
    RawBatch *b = p->b;
    Py_ssize_t members = 0;
    if (++p->gen == 0) { /* wrapped: forget every stamp */
        memset(p->slot, 0, sizeof p->slot);
        p->gen = 1;
    }
    for (Py_ssize_t j = obj + 1; j < (Py_ssize_t)b->tok[obj].end; j = next_value(b, j + 1)) {
        if (++members > DUP_SLOTS / 2)
            return 1; /* not checked here: the orjson path */
        const Tok *key = &b->tok[j];
        uint32_t h = key_hash(p->s + key->start, key->len) % DUP_SLOTS;
        for (;; h = (h + 1) % DUP_SLOTS) {
            if (p->slot[h].gen != p->gen) {
                p->slot[h].gen = p->gen;
                p->slot[h].start = key->start;
                p->slot[h].len = key->len;
                break;
            }
            if (p->slot[h].len == key->len &&
                memcmp(p->s + p->slot[h].start, p->s + key->start, key->len) == 0)
                return 1;
        }
    }
    return 0;
}

static int scan_value(Parser *p);

static int
scan_container(Parser *p, int object)
{
    Py_ssize_t index;
    int r;
    if (++p->depth > p->max_depth)
        return 1;
    if ((r = new_tok(p, object ? K_OBJ : K_ARR, &index)) != 0)
        return r;
    p->i++;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == (object ? '}' : ']'))
        p->i++;
    else {
        for (;;) {
            if (object) {
                Py_ssize_t k;
                uint32_t start, len;
                if (p->i >= p->n || p->s[p->i] != '"')
                    return 1;
                int plain;
                if ((r = scan_string(p, &start, &len, &plain)) != 0)
                    return r;
                if (!plain)
                    return 1; /* names with escapes or non-ASCII text: the parsed pass */
                if ((r = new_tok(p, K_STR, &k)) != 0)
                    return r;
                p->b->tok[k].start = start;
                p->b->tok[k].len = len;
                skip_ws(p);
                if (p->i >= p->n || p->s[p->i] != ':')
                    return 1;
                p->i++;
                skip_ws(p);
            }
            if ((r = scan_value(p)) != 0)
                return r;
            skip_ws(p);
            if (p->i >= p->n)
                return 1;
            if (p->s[p->i] == ',') {
                p->i++;
                skip_ws(p);
                continue;
            }
            if (p->s[p->i] != (object ? '}' : ']'))
                return 1;
            p->i++;
            break;
        }
    }
    p->b->tok[index].end = (uint32_t)p->b->ntok;
    p->depth--;
    if (object && has_duplicate_names(p, index))
        return 1;
    return 0;
}

static int
scan_value(Parser *p)
{
    if (p->i >= p->n)
        return 1;
    unsigned char c = p->s[p->i];
    Py_ssize_t index;
    int r;
    switch (c) {
    case '{':
        return scan_container(p, 1);
    case '[':
        return scan_container(p, 0);
    case '"': {
        uint32_t start, len;
        int plain;
        if ((r = scan_string(p, &start, &len, &plain)) != 0)
            return r;
        Py_ssize_t decoded = -1; /* index in b->strings of a string that needed decoding */
        if (!plain) {
            PyObject *text = decode_string(p->s + start, len);
            if (text == NULL)
                return PyErr_Occurred() ? -1 : 1;
            decoded = PyList_GET_SIZE(p->b->strings);
            int failed = PyList_Append(p->b->strings, text);
            Py_DECREF(text);
            if (failed)
                return -1;
        }
        if ((r = new_tok(p, K_STR, &index)) != 0)
            return r;
        p->b->tok[index].start = start;
        p->b->tok[index].len = len;
        p->b->tok[index].v.i = decoded;
        return 0;
    }
    case 't':
    case 'f':
    case 'n': {
        const char *word = c == 't' ? "true" : c == 'f' ? "false" : "null";
        size_t wn = strlen(word);
        if (p->n - p->i < (Py_ssize_t)wn || memcmp(p->s + p->i, word, wn) != 0)
            return 1;
        p->i += (Py_ssize_t)wn;
        return new_tok(p, c == 't' ? K_TRUE : c == 'f' ? K_FALSE : K_NULL, &index);
    }
    default: {
        Tok t = {0};
        if ((r = scan_number(p, &t)) != 0)
            return r;
        if ((r = new_tok(p, t.kind, &index)) != 0)
            return r;
        p->b->tok[index].v = t.v;
        p->b->tok[index].canon = t.kind == K_FLT ? t.canon : 0;
        p->b->tok[index].start = t.start;
        p->b->tok[index].len = t.len;
        return 0;
    }
    }
}

static PyObject *
py_raw_scan(PyObject *self, PyObject *args)
{
    PyObject *raws, *names;
    Py_ssize_t max_depth;
    if (!PyArg_ParseTuple(args, "O!nO!", &PyList_Type, &raws, &max_depth, &PyTuple_Type, &names))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(raws), nnames = PyTuple_GET_SIZE(names);
    if (nnames > 40 || max_depth > 1000) {
        PyErr_SetString(PyExc_ValueError, "raw_scan: bad arguments");
        return NULL;
    }
    const char *name_text[40];
    Py_ssize_t name_len[40];
    for (Py_ssize_t j = 0; j < nnames; j++) {
        name_text[j] = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(names, j), &name_len[j]);
        if (name_text[j] == NULL)
            return NULL;
    }
    RawBatch *b = PyObject_New(RawBatch, &RawBatchType);
    if (b == NULL)
        return NULL;
    b->raws = NULL;
    b->strings = NULL;
    b->first = NULL;
    b->tok = NULL;
    b->ntok = b->captok = 0;
    b->n = n;
    Parser *p = PyMem_Calloc(1, sizeof(Parser));
    if (p == NULL || (b->first = PyMem_Malloc((n ? (size_t)n : 1) * sizeof(Py_ssize_t))) == NULL) {
        PyMem_Free(p);
        Py_DECREF(b);
        return PyErr_NoMemory();
    }
    Py_INCREF(raws);
    b->raws = raws;
    if ((b->strings = PyList_New(0)) == NULL) {
        PyMem_Free(p);
        Py_DECREF(b);
        return NULL;
    }
    p->b = b;
    p->max_depth = (int)max_depth;
    long long union_names = 0;
    int r = 0;
    for (Py_ssize_t m = 0; m < n && r == 0; m++) {
        PyObject *raw = PyList_GET_ITEM(raws, m);
        if (!PyBytes_CheckExact(raw) || PyBytes_GET_SIZE(raw) > (Py_ssize_t)UINT32_MAX / 2) {
            r = 1;
            break;
        }
        p->s = (const unsigned char *)PyBytes_AS_STRING(raw);
        p->n = PyBytes_GET_SIZE(raw);
        p->i = 0;
        p->depth = 0;
        b->first[m] = b->ntok;
        if (p->n == 0 || p->s[0] != '{') {
            r = 1;
            break;
        }
        if ((r = scan_value(p)) != 0)
            break;
        skip_ws(p);
        if (p->i != p->n) {
            r = 1;
            break;
        }
        /* which names are top-level members */
        Py_ssize_t obj = b->first[m];
        for (Py_ssize_t j = obj + 1; j < (Py_ssize_t)b->tok[obj].end; j = next_value(b, j + 1)) {
            const Tok *key = &b->tok[j];
            for (Py_ssize_t q = 0; q < nnames; q++)
                if (name_len[q] == (Py_ssize_t)key->len &&
                    memcmp(name_text[q], p->s + key->start, key->len) == 0)
                    union_names |= 1LL << (FACT_NAMES_SHIFT + q);
        }
    }
    PyMem_Free(p);
    if (r != 0) {
        Py_DECREF(b);
        if (r < 0)
            return NULL;
        Py_RETURN_NONE;
    }
    return Py_BuildValue("(NL)", (PyObject *)b, union_names);
}

static PyObject *
ascii_str(const unsigned char *s, Py_ssize_t n)
{
    PyObject *o = PyUnicode_New(n, 127);
    if (o != NULL)
        memcpy(PyUnicode_DATA(o), s, (size_t)n);
    return o;
}

static const unsigned char *
message_text(const RawBatch *b, Py_ssize_t m)
{
    return (const unsigned char *)PyBytes_AS_STRING(PyList_GET_ITEM(b->raws, m));
}

/* raw_member_values(batch, name) -> the top-level member `name` of each message: a str,
 * int, float, bool or None (absent or null); Ellipsis for an object or array. */
static PyObject *
py_raw_member_values(PyObject *self, PyObject *args)
{
    RawBatch *b;
    const char *name;
    Py_ssize_t name_len;
    if (!PyArg_ParseTuple(args, "O!s#", &RawBatchType, &b, &name, &name_len))
        return NULL;
    PyObject *out = PyList_New(b->n);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t m = 0; m < b->n; m++) {
        const unsigned char *s = message_text(b, m);
        Py_ssize_t obj = b->first[m];
        PyObject *v = NULL;
        for (Py_ssize_t j = obj + 1; j < (Py_ssize_t)b->tok[obj].end; j = next_value(b, j + 1)) {
            const Tok *key = &b->tok[j];
            if ((Py_ssize_t)key->len != name_len || memcmp(s + key->start, name, key->len) != 0)
                continue;
            const Tok *t = &b->tok[j + 1];
            switch (t->kind) {
            case K_STR:
                v = t->v.i >= 0 ? Py_NewRef(PyList_GET_ITEM(b->strings, t->v.i))
                                : ascii_str(s + t->start, t->len);
                break;
            case K_INT:
                v = PyLong_FromLongLong(t->v.i);
                break;
            case K_FLT:
                v = PyFloat_FromDouble(t->v.f);
                break;
            case K_TRUE:
                v = Py_NewRef(Py_True);
                break;
            case K_FALSE:
                v = Py_NewRef(Py_False);
                break;
            case K_NULL:
                v = Py_NewRef(Py_None);
                break;
            default:
                v = Py_NewRef(Py_Ellipsis);
            }
            if (v == NULL) {
                Py_DECREF(out);
                return NULL;
            }
            break;
        }
        PyList_SET_ITEM(out, m, v != NULL ? v : Py_NewRef(Py_None));
    }
    return out;
}

/* ---- folding -------------------------------------------------------------------------- */

typedef struct CNode CNode;

typedef struct {
    const unsigned char *key;
    uint32_t klen;
    CNode *node;
    Py_ssize_t count; /* objects at the parent that have this property */
} CChild;

#define STR_CACHE 16
struct CNode {
    PyObject *node; /* the FieldNode */
    PyObject *key;  /* the property name (children only) */
    int fresh;      /* the FieldNode is new: it joins the parent at commit */
    Py_ssize_t present, last_owner;
    Py_ssize_t n_null, n_true, n_false, n_int, n_float, n_str, n_obj, n_arr;
    Py_ssize_t lo_len, hi_len;
    FormatState fmt;
    long mask_before;
    PyObject *sets[3]; /* exact distinct sets (str, int, float), or NULL: the sketch */
    int64_t limit;     /* the sketch: candidates are hashes below it; -1 takes all */
    PyObject *cands[3];
    int has_i, has_f;
    int64_t i_lo, i_hi;
    double f_lo, f_hi;
    CChild *ch;
    Py_ssize_t nch, capch, hint;
    int32_t *tab; /* open addressing over ch by key_hash, once there are many */
    uint32_t tabmask;
    CNode *items;
    Py_ssize_t item_total;
    Py_ssize_t n_records; /* objects that are records (the rest are maps) */
    CNode *values;        /* map values */
    unsigned map_classes; /* bit per MAP_CLASS_NAMES entry seen */
    PyObject *str_cache[STR_CACHE]; /* strings known to be in the exact set */
    int64_t int_cache[STR_CACHE];
    unsigned char int_cached[STR_CACHE];
};

static void
cnode_free(CNode *c)
{
    if (c == NULL)
        return;
    for (Py_ssize_t j = 0; j < c->nch; j++)
        cnode_free(c->ch[j].node);
    PyMem_Free(c->ch);
    PyMem_Free(c->tab);
    cnode_free(c->items);
    cnode_free(c->values);
    Py_XDECREF(c->node);
    Py_XDECREF(c->key);
    Py_XDECREF(c->fmt.pending);
    for (int t = 0; t < 3; t++) {
        Py_XDECREF(c->sets[t]);
        Py_XDECREF(c->cands[t]);
    }
    for (int k = 0; k < STR_CACHE; k++)
        Py_XDECREF(c->str_cache[k]);
    PyMem_Free(c);
}

/* A transient node over a FieldNode (new reference taken). */
static CNode *
cnode_new(PyObject *node, PyObject *key, int fresh)
{
    CNode *c = PyMem_Calloc(1, sizeof(CNode));
    if (c == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    c->node = Py_NewRef(node);
    c->key = Py_XNewRef(key);
    c->fresh = fresh;
    c->last_owner = -1;
    c->lo_len = PY_SSIZE_T_MAX;
    c->hi_len = -1;
    c->limit = -1;
    Py_ssize_t mask;
    if (get_ssize(node, s_mask, &mask) < 0)
        goto fail;
    c->fmt.mask = c->mask_before = (long)mask;
    PyObject *names[3] = {s_strs, s_ints, s_floats};
    for (int t = 0; t < 3; t++) {
        PyObject *set = PyObject_GetAttr(node, names[t]);
        if (set == NULL)
            goto fail;
        if (set == Py_None)
            Py_DECREF(set);
        else if (!PySet_CheckExact(set)) {
            Py_DECREF(set);
            PyErr_SetString(PyExc_TypeError, "FieldNode distinct values must be a set");
            goto fail;
        }
        else
            c->sets[t] = set;
    }
    if (c->sets[0] == NULL) {
        PyObject *sketch = PyObject_GetAttr(node, s_sketch);
        if (sketch == NULL)
            goto fail;
        if (PyList_Check(sketch) && PyList_GET_SIZE(sketch) >= sketch_size) {
            c->limit = PyLong_AsLongLong(PyList_GET_ITEM(sketch, PyList_GET_SIZE(sketch) - 1));
            if (c->limit == -1 && PyErr_Occurred()) {
                Py_DECREF(sketch);
                goto fail;
            }
        }
        Py_DECREF(sketch);
    }
    return c;
fail:
    cnode_free(c);
    return NULL;
}

#define TAB_FROM 8

static int
tab_insert(CNode *c, Py_ssize_t index)
{
    uint32_t h = key_hash(c->ch[index].key, c->ch[index].klen) & c->tabmask;
    while (c->tab[h] >= 0)
        h = (h + 1) & c->tabmask;
    c->tab[h] = (int32_t)index;
    return 0;
}

static int
tab_rebuild(CNode *c)
{
    uint32_t size = 64;
    while (size < (uint32_t)c->nch * 4)
        size *= 2;
    int32_t *tab = PyMem_Malloc(size * sizeof(int32_t));
    if (tab == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memset(tab, 0xFF, size * sizeof(int32_t));
    PyMem_Free(c->tab);
    c->tab = tab;
    c->tabmask = size - 1;
    for (Py_ssize_t j = 0; j < c->nch; j++)
        tab_insert(c, j);
    return 0;
}

static CNode *
cnode_child(CNode *c, const unsigned char *key, uint32_t klen, CChild **slot)
{
    /* the property after the last one first, as objects usually repeat their order */
    if (c->hint < c->nch) {
        CChild *ch = &c->ch[c->hint];
        if (ch->klen == klen && memcmp(ch->key, key, klen) == 0) {
            c->hint++;
            *slot = ch;
            return ch->node;
        }
    }
    if (c->tab != NULL) {
        for (uint32_t h = key_hash(key, klen) & c->tabmask; c->tab[h] >= 0;
             h = (h + 1) & c->tabmask) {
            CChild *ch = &c->ch[c->tab[h]];
            if (ch->klen == klen && memcmp(ch->key, key, klen) == 0) {
                c->hint = c->tab[h] + 1;
                *slot = ch;
                return ch->node;
            }
        }
    }
    else {
        for (Py_ssize_t j = 0; j < c->nch; j++) {
            CChild *ch = &c->ch[j];
            if (ch->klen == klen && memcmp(ch->key, key, klen) == 0) {
                c->hint = j + 1;
                *slot = ch;
                return ch->node;
            }
        }
    }
    /* new this batch: the FieldNode child, or a fresh one */
    PyObject *name = ascii_str(key, klen);
    if (name == NULL)
        return NULL;
    PyObject *children = PyObject_GetAttr(c->node, s_children);
    if (children == NULL || !PyDict_Check(children)) {
        if (children != NULL)
            PyErr_SetString(PyExc_TypeError, "FieldNode.children must be a dict");
        Py_XDECREF(children);
        Py_DECREF(name);
        return NULL;
    }
    PyObject *node = PyDict_GetItemWithError(children, name);
    int fresh = 0;
    if (node == NULL) {
        if (PyErr_Occurred()) {
            Py_DECREF(children);
            Py_DECREF(name);
            return NULL;
        }
        node = PyObject_CallOneArg(FieldNodeType, name);
        fresh = 1;
    }
    else
        Py_INCREF(node);
    Py_DECREF(children);
    if (node == NULL) {
        Py_DECREF(name);
        return NULL;
    }
    CNode *child = cnode_new(node, name, fresh);
    Py_DECREF(node);
    Py_DECREF(name);
    if (child == NULL)
        return NULL;
    if (c->nch == c->capch) {
        Py_ssize_t cap = c->capch ? c->capch * 2 : 8;
        CChild *nc = PyMem_Realloc(c->ch, (size_t)cap * sizeof(CChild));
        if (nc == NULL) {
            cnode_free(child);
            PyErr_NoMemory();
            return NULL;
        }
        c->ch = nc;
        c->capch = cap;
    }
    CChild *ch = &c->ch[c->nch++];
    ch->key = key;
    ch->klen = klen;
    ch->node = child;
    ch->count = 0;
    c->hint = c->nch;
    if (c->nch >= TAB_FROM &&
        (c->tab == NULL || (uint32_t)c->nch * 2 > c->tabmask + 1 ? tab_rebuild(c) : tab_insert(c, c->nch - 1)) < 0)
        return NULL;
    *slot = &c->ch[c->nch - 1];
    return child;
}

static int
append_candidate(CNode *c, int tag, PyObject *v)
{
    if (c->cands[tag] == NULL && (c->cands[tag] = PyList_New(0)) == NULL)
        return -1;
    return PyList_Append(c->cands[tag], v);
}

static void
count_string(CNode *c, Py_ssize_t n)
{
    c->n_str++;
    if (n < c->lo_len)
        c->lo_len = n;
    if (n > c->hi_len)
        c->hi_len = n;
}

/* A string into the exact set; its formats are checked when it is new there. */
static int
add_exact_string(CNode *c, PyObject *v)
{
    int seen = PySet_Contains(c->sets[0], v);
    if (seen < 0)
        return -1;
    if (seen)
        return 0;
    if (c->fmt.mask && check_formats(&c->fmt, v) < 0)
        return -1;
    return PySet_Add(c->sets[0], v);
}

/* A string whose bytes are its text (printable ASCII). */
static int
fold_string(CNode *c, const unsigned char *s, Py_ssize_t n)
{
    count_string(c, n);
    if (c->sets[0] != NULL) {
        uint32_t h = n ? (uint32_t)(s[0] * 31u + s[n - 1] * 7u + (uint32_t)n) % STR_CACHE : 0;
        PyObject *known = c->str_cache[h];
        if (known != NULL && PyUnicode_GET_LENGTH(known) == n &&
            memcmp(PyUnicode_DATA(known), s, (size_t)n) == 0)
            return 0; /* already in the exact set: nothing changes */
        PyObject *v = ascii_str(s, n);
        if (v == NULL || add_exact_string(c, v) < 0) {
            Py_XDECREF(v);
            return -1;
        }
        Py_XSETREF(c->str_cache[h], v);
        return 0;
    }
    /* the sketch: a str is made only for a Python format check or a candidate */
    if (c->fmt.mask && narrow_ascii(&c->fmt, (const char *)s, n)) {
        PyObject *v = ascii_str(s, n);
        if (v == NULL || queue_for_python(&c->fmt, v) < 0) {
            Py_XDECREF(v);
            return -1;
        }
        Py_DECREF(v);
    }
    if (c->limit < 0 || (int64_t)crc32_of(1, (const char *)s, n) < c->limit) {
        PyObject *v = ascii_str(s, n);
        int r = v == NULL ? -1 : append_candidate(c, 0, v);
        Py_XDECREF(v);
        return r;
    }
    return 0;
}

/* A string that needed decoding (escapes, non-ASCII), as a str: as fold_string. */
static int
fold_text(CNode *c, PyObject *v)
{
    count_string(c, PyUnicode_GET_LENGTH(v));
    if (c->sets[0] != NULL)
        return add_exact_string(c, v);
    if (c->fmt.mask && check_formats(&c->fmt, v) < 0)
        return -1;
    int64_t h = c->limit < 0 ? -1 : stable_hash('s', v);
    if (h < 0 || h < c->limit)
        return append_candidate(c, 0, v);
    return 0;
}

static int
fold_int(CNode *c, int64_t x)
{
    c->n_int++;
    if (!c->has_i || x < c->i_lo)
        c->i_lo = x;
    if (!c->has_i || x > c->i_hi)
        c->i_hi = x;
    c->has_i = 1;
    if (c->sets[1] != NULL) {
        unsigned h = (unsigned)((uint64_t)x % STR_CACHE);
        if (c->int_cached[h] && c->int_cache[h] == x)
            return 0;
        PyObject *v = PyLong_FromLongLong(x);
        if (v == NULL || PySet_Add(c->sets[1], v) < 0) {
            Py_XDECREF(v);
            return -1;
        }
        Py_DECREF(v);
        c->int_cache[h] = x;
        c->int_cached[h] = 1;
        return 0;
    }
    if (c->limit >= 0 && hash_int64((long long)x) >= c->limit)
        return 0;
    PyObject *v = PyLong_FromLongLong(x);
    int r = v == NULL ? -1 : append_candidate(c, 1, v);
    Py_XDECREF(v);
    return r;
}

static int
fold_float(CNode *c, double x, const unsigned char *literal, Py_ssize_t literal_len)
{
    c->n_float++;
    if (!c->has_f || x < c->f_lo)
        c->f_lo = x;
    if (!c->has_f || x > c->f_hi)
        c->f_hi = x;
    c->has_f = 1;
    if (c->sets[2] == NULL && c->limit >= 0) {
        /* the literal, when it is repr(x), is hashed as it is */
        int64_t h = literal != NULL ? crc32_of(3, (const char *)literal, literal_len)
                                    : hash_double(x);
        if (h >= c->limit)
            return 0;
    }
    PyObject *v = PyFloat_FromDouble(x);
    if (v == NULL)
        return -1;
    int r = c->sets[2] != NULL ? PySet_Add(c->sets[2], v) : append_candidate(c, 2, v);
    Py_DECREF(v);
    return r;
}

/* Map key classes (rules.MAP_KEY_CLASSES), sorted by name. */
static const char *const MAP_CLASS_NAMES[] = {"code", "date", "date-time", "integer", "uuid"};
enum { MC_CODE, MC_DATE, MC_DATE_TIME, MC_INTEGER, MC_UUID, N_MAP_CLASSES };

/* rules.classify_map_key of an ASCII name: a class, or -1 for an ordinary name. */
static int
classify_map_key(const unsigned char *k, Py_ssize_t n)
{
    const char *s = (const char *)k;
    if (n != 36 && n > 0 && k[0] >= 'a' && k[0] <= 'z')
        return -1;
    if (n == 36 && is_uuid(s, n))
        return MC_UUID;
    if (n <= 20) {
        Py_ssize_t i = n > 0 && k[0] == '-', digits = n - i;
        int all = digits >= 1 && digits <= 19;
        for (; all && i < n; i++)
            all = dig(s[i]);
        if (all)
            return MC_INTEGER;
    }
    if (n == 3 && k[0] >= 'A' && k[0] <= 'Z' && k[1] >= 'A' && k[1] <= 'Z' && k[2] >= 'A' &&
        k[2] <= 'Z')
        return MC_CODE;
    if (n == 10 && date_at(s))
        return MC_DATE;
    if (n >= 20 && date_at(s) && (s[10] == 'T' || s[10] == 't') && time_at(s + 11, n - 11))
        return MC_DATE_TIME;
    return -1;
}

/* stats._map_class of the object at token t: its key class when it is a map, else -1. */
static int
object_map_class(const RawBatch *b, const unsigned char *s, Py_ssize_t t)
{
    const Tok *obj = &b->tok[t];
    int cls = -1;
    for (Py_ssize_t j = t + 1; j < (Py_ssize_t)obj->end; j = next_value(b, j + 1)) {
        const unsigned char *k = s + b->tok[j].start;
        Py_ssize_t n = b->tok[j].len;
        if (j == t + 1 && n != 36 && n > 0 && k[0] >= 'a' && k[0] <= 'z')
            return -1; /* the common case: an ordinary first name, a record */
        int c = classify_map_key(k, n);
        if (c < 0 || (cls >= 0 && c != cls))
            return -1;
        cls = c;
    }
    return cls;
}

static CNode *
cnode_slot(CNode *c, CNode **slot, PyObject *attr)
{
    if (*slot != NULL)
        return *slot;
    int fresh;
    PyObject *node = fieldnode_at(c->node, attr, &fresh);
    if (node == NULL)
        return NULL;
    *slot = cnode_new(node, NULL, fresh);
    Py_DECREF(node);
    return *slot;
}

static int
fold_value(const RawBatch *b, const unsigned char *s, CNode *c, Py_ssize_t t, Py_ssize_t owner)
{
    if (owner != c->last_owner) {
        c->present++;
        c->last_owner = owner;
    }
    const Tok *tk = &b->tok[t];
    switch (tk->kind) {
    case K_STR:
        if (tk->v.i >= 0)
            return fold_text(c, PyList_GET_ITEM(b->strings, tk->v.i));
        return fold_string(c, s + tk->start, tk->len);
    case K_INT:
        return fold_int(c, tk->v.i);
    case K_FLT:
        return fold_float(c, tk->v.f, tk->canon ? s + tk->start : NULL, tk->len);
    case K_TRUE:
        c->n_true++;
        return 0;
    case K_FALSE:
        c->n_false++;
        return 0;
    case K_NULL:
        c->n_null++;
        return 0;
    case K_OBJ: {
        c->n_obj++;
        int cls = object_map_class(b, s, t);
        if (cls >= 0) { /* a map: its values are one column */
            c->map_classes |= 1u << cls;
            CNode *values = cnode_slot(c, &c->values, s_values);
            if (values == NULL)
                return -1;
            for (Py_ssize_t j = t + 1; j < (Py_ssize_t)tk->end; j = next_value(b, j + 1))
                if (fold_value(b, s, values, j + 1, owner) < 0)
                    return -1;
            return 0;
        }
        c->n_records++;
        for (Py_ssize_t j = t + 1; j < (Py_ssize_t)tk->end; j = next_value(b, j + 1)) {
            CChild *slot;
            CNode *child = cnode_child(c, s + b->tok[j].start, b->tok[j].len, &slot);
            if (child == NULL)
                return -1;
            slot->count++;
            if (fold_value(b, s, child, j + 1, owner) < 0)
                return -1;
        }
        return 0;
    }
    case K_ARR:
        c->n_arr++;
        for (Py_ssize_t j = t + 1; j < (Py_ssize_t)tk->end; j = next_value(b, j)) {
            if (cnode_slot(c, &c->items, s_items) == NULL)
                return -1;
            c->item_total++;
            if (fold_value(b, s, c->items, j, owner) < 0)
                return -1;
        }
        return 0;
    }
    PyErr_SetString(PyExc_SystemError, "raw_fold: bad token");
    return -1;
}

static int
cmp_children(const void *a, const void *b)
{
    const CChild *x = a, *y = b;
    uint32_t n = x->klen < y->klen ? x->klen : y->klen;
    int r = memcmp(x->key, y->key, n);
    return r ? r : (x->klen > y->klen) - (x->klen < y->klen);
}

static int
add_candidates(CNode *c)
{
    PyObject *tags[3] = {s_tag_s, s_tag_i, s_tag_f};
    for (int t = 0; t < 3; t++) {
        if (c->cands[t] == NULL || PyList_GET_SIZE(c->cands[t]) == 0)
            continue;
        PyObject *r = PyObject_CallFunctionObjArgs(add_distinct_many, c->node, tags[t],
                                                   c->cands[t], NULL);
        if (r == NULL)
            return -1;
        Py_DECREF(r);
    }
    return 0;
}

static PyObject *commit(CNode *c);

/* commit of items or map values, attaching a new FieldNode as node.<attr>. */
static PyObject *
commit_slot(PyObject *node, CNode *c, PyObject *attr)
{
    PyObject *frag = commit(c);
    if (frag != NULL && c->fresh && PyObject_SetAttr(node, attr, c->node) < 0)
        Py_CLEAR(frag);
    return frag;
}

/* Write a node's batch into its FieldNode (children first) and build its fragment. */
static PyObject *
commit(CNode *c)
{
    PyObject *node = c->node, *parts = NULL, *out = NULL;
    if (add_ssize(node, s_present, c->present) < 0 || add_ssize(node, s_n_null, c->n_null) < 0 ||
        add_ssize(node, s_n_true, c->n_true) < 0 || add_ssize(node, s_n_false, c->n_false) < 0 ||
        add_ssize(node, s_n_int, c->n_int) < 0 || add_ssize(node, s_n_float, c->n_float) < 0 ||
        add_ssize(node, s_n_str, c->n_str) < 0 || add_ssize(node, s_n_obj, c->n_obj) < 0 ||
        add_ssize(node, s_n_arr, c->n_arr) < 0)
        return NULL;
    if (c->n_str) {
        Py_ssize_t min_len, max_len;
        if (get_ssize(node, s_min_len, &min_len) < 0 || get_ssize(node, s_max_len, &max_len) < 0)
            return NULL;
        if ((min_len < 0 || c->lo_len < min_len) && set_ssize(node, s_min_len, c->lo_len) < 0)
            return NULL;
        if (c->hi_len > max_len && set_ssize(node, s_max_len, c->hi_len) < 0)
            return NULL;
        if (finish_formats(&c->fmt) < 0)
            return NULL;
        if (c->fmt.mask != c->mask_before && set_ssize(node, s_mask, c->fmt.mask) < 0)
            return NULL;
    }
    if (c->has_i) {
        PyObject *lo = PyLong_FromLongLong(c->i_lo), *hi = PyLong_FromLongLong(c->i_hi);
        int r = lo == NULL || hi == NULL ? -1 : update_min_max(node, lo, hi);
        Py_XDECREF(lo);
        Py_XDECREF(hi);
        if (r < 0)
            return NULL;
    }
    if (c->has_f) {
        PyObject *lo = PyFloat_FromDouble(c->f_lo), *hi = PyFloat_FromDouble(c->f_hi);
        int r = lo == NULL || hi == NULL ? -1 : update_min_max(node, lo, hi);
        Py_XDECREF(lo);
        Py_XDECREF(hi);
        if (r < 0)
            return NULL;
    }
    if (c->sets[0] != NULL) {
        int over = 0;
        for (int t = 0; t < 3; t++)
            over |= c->sets[t] != NULL && PySet_GET_SIZE(c->sets[t]) > distinct_bound;
        if (over) {
            PyObject *r = PyObject_CallMethodNoArgs(node, s_start_sketch);
            if (r == NULL)
                return NULL;
            Py_DECREF(r);
        }
    }
    else if (add_candidates(c) < 0)
        return NULL;
    if ((parts = PyList_New(0)) == NULL)
        return NULL;
    if (c->n_records) {
        PyObject *children = NULL, *properties = PyDict_New(), *required = PyList_New(0);
        int ok = 0;
        if (properties == NULL || required == NULL)
            goto obj_done;
        if ((children = PyObject_GetAttr(node, s_children)) == NULL)
            goto obj_done;
        if (c->nch > 1)
            qsort(c->ch, (size_t)c->nch, sizeof(CChild), cmp_children);
        for (Py_ssize_t j = 0; j < c->nch; j++) {
            CChild *ch = &c->ch[j];
            PyObject *frag = commit(ch->node);
            if (frag == NULL)
                goto obj_done;
            int r = PyDict_SetItem(properties, ch->node->key, frag);
            Py_DECREF(frag);
            if (r < 0 ||
                (ch->node->fresh && PyDict_SetItem(children, ch->node->key, ch->node->node) < 0) ||
                (ch->count == c->n_records && PyList_Append(required, ch->node->key) < 0))
                goto obj_done;
        }
        ok = append_record_part(parts, required, properties) == 0;
    obj_done:
        Py_XDECREF(children);
        Py_XDECREF(properties);
        Py_XDECREF(required);
        if (!ok)
            goto done;
    }
    if (c->values != NULL) {
        PyObject *frag = commit_slot(node, c->values, s_values), *classes = NULL;
        if (frag != NULL && (classes = PyList_New(0)) != NULL)
            for (int k = 0; classes != NULL && k < N_MAP_CLASSES; k++) {
                if (!(c->map_classes & (1u << k)))
                    continue;
                PyObject *name = PyUnicode_FromString(MAP_CLASS_NAMES[k]);
                if (name == NULL || PyList_Append(classes, name) < 0)
                    Py_CLEAR(classes);
                Py_XDECREF(name);
            }
        int r = classes == NULL ? -1 : append_map_part(parts, classes, frag);
        Py_XDECREF(classes);
        Py_XDECREF(frag);
        if (r < 0)
            goto done;
    }
    if (c->n_arr) {
        PyObject *frag = c->item_total ? commit_slot(node, c->items, s_items) : NULL;
        int r = c->item_total && frag == NULL ? -1 : append_array_part(parts, frag);
        Py_XDECREF(frag);
        if (r < 0)
            goto done;
    }
    if (append_scalar_part(parts, c->n_true || c->n_false, c->n_int != 0, c->n_null != 0,
                           c->n_float != 0, c->n_str != 0) == 0)
        out = fragment_of(parts);
done:
    Py_XDECREF(parts);
    return out;
}

/* raw_fold(batch, positions, root) -> fragment: the messages at positions (all when
 * None), folded into root as process_column(their parsed values, root, None) would. */
static PyObject *
py_raw_fold(PyObject *self, PyObject *args)
{
    RawBatch *b;
    PyObject *positions, *root;
    if (!PyArg_ParseTuple(args, "O!OO", &RawBatchType, &b, &positions, &root))
        return NULL;
    if (FieldNodeType == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "inferrer._columns is not configured");
        return NULL;
    }
    Py_ssize_t count = positions == Py_None ? b->n : -1;
    if (count < 0) {
        if (!PyList_Check(positions)) {
            PyErr_SetString(PyExc_TypeError, "positions must be a list or None");
            return NULL;
        }
        count = PyList_GET_SIZE(positions);
    }
    CNode *c = cnode_new(root, NULL, 0);
    if (c == NULL)
        return NULL;
    PyObject *out = NULL;
    for (Py_ssize_t k = 0; k < count; k++) {
        Py_ssize_t m = k;
        if (positions != Py_None) {
            m = PyLong_AsSsize_t(PyList_GET_ITEM(positions, k));
            if (m == -1 && PyErr_Occurred())
                goto done;
            if (m < 0 || m >= b->n) {
                PyErr_SetString(PyExc_IndexError, "raw_fold: position out of range");
                goto done;
            }
        }
        if (fold_value(b, message_text(b, m), c, b->first[m], k) < 0)
            goto done;
    }
    out = commit(c);
done:
    cnode_free(c);
    return out;
}

/* ---- records ------------------------------------------------------------------------ */

/* Slot offsets of inferrer.records.Record (a slots dataclass), read once. */
enum { R_TOPIC, R_PARTITION, R_OFFSET, R_TIMESTAMP, R_KEY, R_VALUE, R_HEADERS, N_RFIELDS };
static PyTypeObject *RecordType;
static Py_ssize_t rfield_offset[N_RFIELDS];

static int
configure_record(PyObject *cls)
{
    static const char *const names[N_RFIELDS] = {"topic", "partition", "offset", "timestamp",
                                                 "key",   "value",     "headers"};
    if (!PyType_Check(cls)) {
        PyErr_SetString(PyExc_TypeError, "Record must be a class");
        return -1;
    }
    for (int f = 0; f < N_RFIELDS; f++) {
        PyObject *d = PyObject_GetAttrString(cls, names[f]);
        if (d == NULL)
            return -1;
        if (!Py_IS_TYPE(d, &PyMemberDescr_Type) ||
            ((PyMemberDescrObject *)d)->d_member->type != T_OBJECT_EX) {
            Py_DECREF(d);
            PyErr_SetString(PyExc_TypeError, "Record fields must be slots");
            return -1;
        }
        rfield_offset[f] = ((PyMemberDescrObject *)d)->d_member->offset;
        Py_DECREF(d);
    }
    Py_INCREF(cls);
    Py_XSETREF(RecordType, (PyTypeObject *)cls);
    return 0;
}

static inline PyObject *
rfield(PyObject *rec, int f)
{
    return *(PyObject **)((char *)rec + rfield_offset[f]);
}

/* record_columns(records) -> (raws, keys, partitions, offsets, timestamps, sizes, hashes)
 * of a chunk of Records of one topic whose values are all bytes and which have no
 * headers; None for any other chunk. hashes are zlib.crc32 of the values. */
static PyObject *
py_record_columns(PyObject *self, PyObject *args)
{
    PyObject *records;
    if (!PyArg_ParseTuple(args, "O!", &PyList_Type, &records))
        return NULL;
    if (RecordType == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "inferrer._columns is not configured");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(records);
    PyObject *cols[7];
    for (int j = 0; j < 7; j++)
        if ((cols[j] = PyList_New(n)) == NULL) {
            for (int k = 0; k < j; k++)
                Py_DECREF(cols[k]);
            return NULL;
        }
    PyObject *topic = NULL;
    int ok = 1;
    for (Py_ssize_t i = 0; i < n && ok; i++) {
        PyObject *rec = PyList_GET_ITEM(records, i);
        if (Py_TYPE(rec) != RecordType) {
            ok = 0;
            break;
        }
        PyObject *f[N_RFIELDS];
        for (int k = 0; k < N_RFIELDS; k++)
            if ((f[k] = rfield(rec, k)) == NULL)
                ok = 0;
        if (!ok)
            break;
        if (!PyBytes_CheckExact(f[R_VALUE]) || !PyTuple_Check(f[R_HEADERS]) ||
            PyTuple_GET_SIZE(f[R_HEADERS]) != 0) {
            ok = 0;
            break;
        }
        if (topic == NULL)
            topic = f[R_TOPIC];
        else if (f[R_TOPIC] != topic) {
            int same = PyObject_RichCompareBool(f[R_TOPIC], topic, Py_EQ);
            if (same < 0)
                goto fail;
            if (!same) {
                ok = 0;
                break;
            }
        }
        Py_ssize_t size = PyBytes_GET_SIZE(f[R_VALUE]);
        PyObject *sz = PyLong_FromSsize_t(size);
        PyObject *h = PyLong_FromUnsignedLong(
            crc32(0L, (const Bytef *)PyBytes_AS_STRING(f[R_VALUE]), (uInt)size) & 0xFFFFFFFFUL);
        if (sz == NULL || h == NULL || size > (Py_ssize_t)UINT32_MAX) {
            Py_XDECREF(sz);
            Py_XDECREF(h);
            if (!PyErr_Occurred()) {
                ok = 0;
                break;
            }
            goto fail;
        }
        PyList_SET_ITEM(cols[0], i, Py_NewRef(f[R_VALUE]));
        PyList_SET_ITEM(cols[1], i, Py_NewRef(f[R_KEY]));
        PyList_SET_ITEM(cols[2], i, Py_NewRef(f[R_PARTITION]));
        PyList_SET_ITEM(cols[3], i, Py_NewRef(f[R_OFFSET]));
        PyList_SET_ITEM(cols[4], i, Py_NewRef(f[R_TIMESTAMP]));
        PyList_SET_ITEM(cols[5], i, sz);
        PyList_SET_ITEM(cols[6], i, h);
    }
    if (!ok) {
        for (int j = 0; j < 7; j++)
            Py_DECREF(cols[j]);
        Py_RETURN_NONE;
    }
    return Py_BuildValue("(NNNNNNN)", cols[0], cols[1], cols[2], cols[3], cols[4], cols[5],
                         cols[6]);
fail:
    for (int j = 0; j < 7; j++)
        Py_DECREF(cols[j]);
    return NULL;
}

/* values_size(records) -> the total size of the records' values (None counts 0). */
static PyObject *
py_values_size(PyObject *self, PyObject *args)
{
    PyObject *records;
    if (!PyArg_ParseTuple(args, "O!", &PyList_Type, &records))
        return NULL;
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(records); i++) {
        PyObject *rec = PyList_GET_ITEM(records, i), *value;
        if (RecordType != NULL && Py_TYPE(rec) == RecordType)
            value = Py_XNewRef(rfield(rec, R_VALUE));
        else
            value = PyObject_GetAttr(rec, s_values_attr);
        if (value == NULL)
            return NULL;
        if (value != Py_None) {
            Py_ssize_t n = PyObject_Length(value);
            if (n < 0) {
                Py_DECREF(value);
                return NULL;
            }
            total += n;
        }
        Py_DECREF(value);
    }
    return PyLong_FromSsize_t(total);
}

/* ---- module ------------------------------------------------------------------------------ */

static PyObject *
py_configure(PyObject *self, PyObject *args)
{
    PyObject *cls, *adm, *mc, *mfa, *formats, *record;
    Py_ssize_t bound, size;
    if (!PyArg_ParseTuple(args, "OOOOOnnO", &cls, &adm, &mc, &mfa, &formats, &bound, &size,
                          &record))
        return NULL;
    if (configure_record(record) < 0)
        return NULL;
    if (!PyTuple_Check(formats) || PyTuple_GET_SIZE(formats) != N_FORMATS) {
        PyErr_SetString(PyExc_ValueError, "the format list changed; update _columns.c");
        return NULL;
    }
    for (int i = 0; i < N_FORMATS; i++) {
        PyObject *name = PyTuple_GET_ITEM(formats, i);
        if (!PyUnicode_Check(name) || PyUnicode_CompareWithASCIIString(name, FORMAT_NAMES[i])) {
            PyErr_SetString(PyExc_ValueError, "the format list changed; update _columns.c");
            return NULL;
        }
    }
    Py_INCREF(cls);
    Py_INCREF(adm);
    Py_INCREF(mc);
    Py_INCREF(mfa);
    Py_XSETREF(FieldNodeType, cls);
    Py_XSETREF(add_distinct_many, adm);
    Py_XSETREF(map_class, mc);
    Py_XSETREF(match_formats_all, mfa);
    distinct_bound = bound;
    sketch_size = size;
    Py_RETURN_NONE;
}

static PyObject *
py_crc32(PyObject *self, PyObject *args)
{
    Py_buffer data;
    unsigned int seed = 0;
    if (!PyArg_ParseTuple(args, "y*|I", &data, &seed))
        return NULL;
    uint32_t h = crc32_of(seed, data.buf, data.len);
    PyBuffer_Release(&data);
    return PyLong_FromUnsignedLong(h);
}

static PyObject *
py_format_mask(PyObject *self, PyObject *args)
{
    PyObject *values;
    long mask;
    if (!PyArg_ParseTuple(args, "O!l", &PyList_Type, &values, &mask))
        return NULL;
    FormatState st = {mask, 0, NULL};
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(values) && st.mask; i++) {
        PyObject *v = PyList_GET_ITEM(values, i);
        if (!PyUnicode_Check(v)) {
            Py_XDECREF(st.pending);
            PyErr_SetString(PyExc_TypeError, "values must be strings");
            return NULL;
        }
        if (check_formats(&st, v) < 0) {
            Py_XDECREF(st.pending);
            return NULL;
        }
    }
    if (match_formats_all == NULL && st.pending != NULL) {
        Py_DECREF(st.pending);
        PyErr_SetString(PyExc_RuntimeError, "inferrer._columns is not configured");
        return NULL;
    }
    if (finish_formats(&st) < 0)
        return NULL;
    return PyLong_FromLong(st.mask);
}

static PyMethodDef methods[] = {
    {"configure", py_configure, METH_VARARGS,
     "configure(FieldNode, add_distinct_many, map_class, match_formats_all, FORMATS, "
     "distinct_bound, sketch_size)"},
    {"process_column", (PyCFunction)(void (*)(void))py_process_column, METH_FASTCALL,
     "process_column(col, node, ids) -> fragment; see inferrer.inference.stats."},
    {"json_facts", py_json_facts, METH_VARARGS,
     "json_facts(raws, values, max_depth, names) -> union of flags: 1 too deep, "
     "2 duplicate keys, 4 an integer beyond 64 bits, 8 not an object, 16 << j an object "
     "with names[j]."},
    {"member_values", py_member_values, METH_VARARGS,
     "member_values(objects, name) -> [obj.get(name) for obj in objects]"},
    {"raw_scan", py_raw_scan, METH_VARARGS,
     "raw_scan(raws, max_depth, names) -> (RawBatch, flags) | None: bit FACT_NAMES_SHIFT + j when names[j] is a top-level member"},
    {"raw_member_values", py_raw_member_values, METH_VARARGS,
     "raw_member_values(batch, name) -> the top-level member name of each message"},
    {"raw_fold", py_raw_fold, METH_VARARGS,
     "raw_fold(batch, positions, root) -> fragment, as process_column of those messages"},
    {"values_size", py_values_size, METH_VARARGS,
     "values_size(records) -> total length of the records' values (None counts 0)"},
    {"record_columns", py_record_columns, METH_VARARGS,
     "record_columns(records) -> (raws, keys, partitions, offsets, timestamps, sizes, "
     "hashes) of a one-topic chunk of bytes values without headers, else None"},
    {"crc32", py_crc32, METH_VARARGS, "crc32(data, seed=0): as zlib.crc32."},
    {"format_mask", py_format_mask, METH_VARARGS,
     "format_mask(strings, mask): the formats every string matches, as "
     "rules.match_formats_all."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT,
    .m_name = "inferrer._columns",
    .m_doc = "The engine's column pass, compiled (see inferrer.inference.stats).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__columns(void)
{
    crc_init();
    scan_init();
    raw_init();
    if (intern_all() < 0 || PyType_Ready(&RawBatchType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (m != NULL && (PyModule_AddObjectRef(m, "RawBatch", (PyObject *)&RawBatchType) < 0 ||
                      PyModule_AddIntMacro(m, FACT_TOO_DEEP) < 0 ||
                      PyModule_AddIntMacro(m, FACT_DUPLICATE_KEYS) < 0 ||
                      PyModule_AddIntMacro(m, FACT_BIG_INT) < 0 ||
                      PyModule_AddIntMacro(m, FACT_NOT_OBJECT) < 0 ||
                      PyModule_AddIntMacro(m, FACT_NAMES_SHIFT) < 0))
        Py_CLEAR(m);
    return m;
}
