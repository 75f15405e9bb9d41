/* scan_sqlite: one read-only pass over a range of a SQLite events table, every leaf recomputed. */
#include <sqlite3.h>

#include "_leafscan.h"

#define COLUMNS 7
#define BUSY_TIMEOUT_MS 30000

/* ---- scan_sqlite --------------------------------------------------------------------------- */

const char scan_sqlite_doc[] = PyDoc_STR(
"scan_sqlite($module, path, sql, params, first_leaf, count)\n--\n\n"
"Open the SQLite file ``path`` read-only, run ``sql`` with ``params`` bound as int64 to ?1..?n,\n"
"and check that its rows (position INTEGER, originator_id TEXT, originator_version INTEGER,\n"
"topic TEXT, state BLOB, leaf_index INTEGER, leaf_hash BLOB) are exactly ``count`` leaves\n"
"numbered from ``first_leaf``, of these storage classes, in strictly increasing position, each\n"
"leaf_hash the 32-byte recomputed leaf. Returns (True, first_position, last_position, leaves)\n"
"when clean, else (False, -1, -1, b'') as soon as a row is not. Reads with the GIL released.\n"
"RuntimeError carries SQLite's message when it cannot open, prepare or read.");

enum { SCAN_CLEAN, SCAN_NOT_CLEAN, SCAN_SQLITE_ERROR, SCAN_USAGE_ERROR, SCAN_NOMEM,
       SCAN_OPENSSL_ERROR };

typedef struct {
    const char *path, *sql;
    const int64_t *params;
    Py_ssize_t n_params;
    int64_t first_leaf, count;
    unsigned char *leaves;              /* count * HASH_SIZE bytes, filled only when clean */
    int64_t first_position, last_position;
    char message[1024];                 /* why, for SCAN_SQLITE_ERROR and SCAN_USAGE_ERROR */
} Scan;

static const int COLUMN_TYPES[COLUMNS] = {SQLITE_INTEGER, SQLITE_TEXT, SQLITE_INTEGER, SQLITE_TEXT,
                                          SQLITE_BLOB, SQLITE_INTEGER, SQLITE_BLOB};

static int sqlite_error(Scan *s, sqlite3 *db, const char *what)
{
    snprintf(s->message, sizeof s->message, "SQLite: %s: %s", what, sqlite3_errmsg(db));
    return SCAN_SQLITE_ERROR;
}

/* A TEXT or BLOB column (of the type checked before); -1 if SQLite ran out of memory. A
 * zero-length BLOB comes back as NULL, which is an empty field. */
static int column_field(sqlite3_stmt *st, int column, Field *f)
{
    f->ptr = sqlite3_column_type(st, column) == SQLITE_TEXT
             ? (const void *)sqlite3_column_text(st, column) : sqlite3_column_blob(st, column);
    f->len = (size_t)sqlite3_column_bytes(st, column);
    return f->ptr == NULL && f->len != 0 ? -1 : 0;
}

/* Step through every row, stopping at the first that is not clean. */
static int scan_rows(Scan *s, sqlite3 *db, sqlite3_stmt *st)
{
    LeafCheck lc;
    int status = SCAN_NOT_CLEAN;
    if (leaf_check_open(&lc) < 0) {
        status = SCAN_OPENSSL_ERROR;
        goto done;
    }
    for (int64_t i = 0;; i++) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
            status = i == s->count ? SCAN_CLEAN : SCAN_NOT_CLEAN;
            break;
        }
        if (rc != SQLITE_ROW) {
            status = sqlite_error(s, db, "reading the range failed");
            break;
        }
        if (i == s->count)
            break;                                  /* more rows than count */
        int types_ok = 1;
        for (int c = 0; c < COLUMNS; c++)
            types_ok &= sqlite3_column_type(st, c) == COLUMN_TYPES[c];
        if (!types_ok)
            break;
        int64_t position = sqlite3_column_int64(st, 0);
        if (sqlite3_column_int64(st, 5) != s->first_leaf + i
            || (i > 0 && position <= s->last_position))
            break;
        Field oid, topic, state, stored;
        if (column_field(st, 1, &oid) < 0 || column_field(st, 3, &topic) < 0
            || column_field(st, 4, &state) < 0 || column_field(st, 6, &stored) < 0) {
            status = SCAN_NOMEM;
            break;
        }
        if (stored.len != HASH_SIZE)
            break;
        int checked = leaf_check(&lc, position, oid, sqlite3_column_int64(st, 2), topic, state,
                                 stored.ptr);
        if (checked != LEAF_MATCHES) {
            status = checked == LEAF_NOMEM ? SCAN_NOMEM
                     : checked == LEAF_OPENSSL_ERROR ? SCAN_OPENSSL_ERROR : SCAN_NOT_CLEAN;
            break;
        }
        memcpy(s->leaves + i * HASH_SIZE, stored.ptr, HASH_SIZE);
        if (i == 0)
            s->first_position = position;
        s->last_position = position;
    }
done:
    leaf_check_close(&lc);
    return status;
}

/* Open, prepare, bind, scan, close; runs without the GIL (no Python API but the raw allocator). */
static int scan(Scan *s)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    int status;
    if (sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL)
        != SQLITE_OK) {
        char what[600];
        snprintf(what, sizeof what, "cannot open %s", s->path);
        status = sqlite_error(s, db, what);
        goto done;
    }
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    if (sqlite3_prepare_v2(db, s->sql, -1, &st, &tail) != SQLITE_OK) {
        status = sqlite_error(s, db, "cannot prepare the scan");
        goto done;
    }
    status = SCAN_USAGE_ERROR;
    while (tail != NULL && (*tail == ';' || *tail == ' ' || (*tail >= '\t' && *tail <= '\r')))
        tail++;
    if (st == NULL || (tail != NULL && *tail != '\0')) {
        snprintf(s->message, sizeof s->message, "sql must be exactly one statement");
        goto done;
    }
    if (sqlite3_column_count(st) != COLUMNS) {
        snprintf(s->message, sizeof s->message, "sql must select %d columns (position, "
                 "originator_id, originator_version, topic, state, leaf_index, leaf_hash), "
                 "not %d", COLUMNS, sqlite3_column_count(st));
        goto done;
    }
    if (sqlite3_bind_parameter_count(st) != s->n_params) {
        snprintf(s->message, sizeof s->message, "sql takes %d parameters, params holds %zd",
                 sqlite3_bind_parameter_count(st), s->n_params);
        goto done;
    }
    for (Py_ssize_t i = 0; i < s->n_params; i++) {
        if (sqlite3_bind_int64(st, (int)i + 1, s->params[i]) != SQLITE_OK) {
            status = sqlite_error(s, db, "cannot bind the parameters");
            goto done;
        }
    }
    status = scan_rows(s, db, st);
done:
    sqlite3_finalize(st);                       /* both accept NULL */
    sqlite3_close(db);
    return status;
}

static int int64_param(PyObject *o, Py_ssize_t i, int64_t *out)
{
    if (!PyLong_Check(o) || PyBool_Check(o)) {
        PyErr_Format(PyExc_TypeError, "params[%zd] must be an int, not %.100s",
                     i, Py_TYPE(o)->tp_name);
        return -1;
    }
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow) {
        PyErr_Format(PyExc_OverflowError, "params[%zd] does not fit in a signed 64-bit integer",
                     i);
        return -1;
    }
    if (v == -1 && PyErr_Occurred())
        return -1;
    *out = v;
    return 0;
}

PyObject *scan_sqlite(PyObject *module, PyObject *args, PyObject *kwargs)
{
    (void)module;
    static char *keywords[] = {"path", "sql", "params", "first_leaf", "count", NULL};
    const char *path, *sql;
    PyObject *params, *leaves = NULL, *result = NULL;
    long long first_leaf, count;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "ssO!LL:scan_sqlite", keywords, &path, &sql,
                                     &PyTuple_Type, &params, &first_leaf, &count))
        return NULL;
    if (count < 0)
        return PyErr_Format(PyExc_ValueError, "count must be >= 0, got %lld", count);
    if (first_leaf > INT64_MAX - count)
        return PyErr_Format(PyExc_ValueError, "first_leaf + count must fit in int64");
    if (count > PY_SSIZE_T_MAX / HASH_SIZE)
        return PyErr_NoMemory();
    Py_ssize_t n_params = PyTuple_GET_SIZE(params);
    int64_t *binds = PyMem_New(int64_t, n_params ? n_params : 1);
    if (binds == NULL)
        return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n_params; i++)
        if (int64_param(PyTuple_GET_ITEM(params, i), i, &binds[i]) < 0)
            goto done;
    leaves = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)count * HASH_SIZE);
    if (leaves == NULL)
        goto done;
    Scan s = {.path = path, .sql = sql, .params = binds, .n_params = n_params,
              .first_leaf = first_leaf, .count = count,
              .leaves = (unsigned char *)PyBytes_AS_STRING(leaves),
              .first_position = -1, .last_position = -1, .message = ""};
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = scan(&s);
    Py_END_ALLOW_THREADS
    switch (status) {
    case SCAN_CLEAN:
        result = Py_BuildValue("(OLLO)", Py_True, (long long)s.first_position,
                               (long long)s.last_position, leaves);
        break;
    case SCAN_NOT_CLEAN:
        result = Py_BuildValue("(Oiiy#)", Py_False, -1, -1, "", (Py_ssize_t)0);
        break;
    case SCAN_SQLITE_ERROR:
        PyErr_SetString(PyExc_RuntimeError, s.message);
        break;
    case SCAN_USAGE_ERROR:
        PyErr_SetString(PyExc_ValueError, s.message);
        break;
    case SCAN_NOMEM:
        PyErr_NoMemory();
        break;
    default:
        openssl_error();
    }
done:
    Py_XDECREF(leaves);
    PyMem_Free(binds);
    return result;
}
