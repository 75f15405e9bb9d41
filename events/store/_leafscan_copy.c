/* check_copy: PostgreSQL binary COPY streams of events and their leaves, checked in place. */
#include "_leafscan.h"

/* ---- check_copy --------------------------------------------------------------------------- */

const char check_copy_doc[] = PyDoc_STR(
"check_copy($module, events, leaves, leaves_at, after, /)\n--\n\n"
"Check the events of a PostgreSQL binary COPY against their stored leaves, in place.\n\n"
"``events`` holds tuples (position int8, originator_id uuid, originator_version int8 or int4,\n"
"topic text, state bytea) from a tuple boundary on, and may end inside a tuple or at the\n"
"trailer; ``leaves`` holds the whole COPY of (position int8, leaf_hash bytea of 32 bytes) with\n"
"its trailer, the next tuple at offset ``leaves_at``. Each complete event is paired with the next\n"
"leaf: the range stays ok while both are well-formed, their positions are equal and strictly\n"
"increasing from above ``after``, and the leaf is SHA-256(0x00 || canonical record) of the event.\n"
"Stops at an incomplete event, at the events trailer, or at the first problem. Returns\n"
"(events_consumed, leaves_at, last_position, leaf_hashes, ok): the bytes of complete events\n"
"checked (never the trailer), the next offset in ``leaves``, the last position checked\n"
"(``after`` if none) and the checked leaves concatenated; when ok is False the caller stops.\n"
"Parses and hashes with the GIL released. ValueError for leaves_at outside [0, len(leaves)].");

#define COPY_EVENT_FIELDS 5
#define COPY_LEAF_FIELDS 2
#define COPY_MAX_FIELD 0x3FFFFFFF       /* PostgreSQL sends no field over 1 GB */
#define UUID_SIZE 16

enum { TUPLE_COMPLETE, TUPLE_INCOMPLETE, TUPLE_TRAILER, TUPLE_BAD };
enum { KIND_INT8, KIND_INT4_OR_8, KIND_UUID, KIND_BYTES, KIND_HASH };  /* the lengths it may have */
enum { COPY_OK, COPY_NOT_OK, COPY_NOMEM, COPY_OPENSSL_ERROR };

/* The columns as stored, not formatted by the server: formatting the id as hex and the topic with
 * convert_to() cost PostgreSQL ~0.6 µs a row, a third of the COPY. A text field in binary COPY is
 * its UTF-8 bytes; a uuid is 16 bytes, hashed as its 32 lowercase hex digits. */
static const unsigned char EVENT_KINDS[COPY_EVENT_FIELDS] = {
    KIND_INT8, KIND_UUID, KIND_INT4_OR_8, KIND_BYTES, KIND_BYTES};
static const unsigned char LEAF_KINDS[COPY_LEAF_FIELDS] = {KIND_INT8, KIND_HASH};

/* The n-byte (2, 4 or 8) big-endian two's complement integer at p. */
static int64_t big_endian(const unsigned char *p, size_t n)
{
    uint64_t u = 0;
    for (size_t i = 0; i < n; i++)
        u = u << 8 | p[i];
    if (n < 8 && u >> (8 * n - 1))
        u |= ~(uint64_t)0 << (8 * n);                           /* sign-extend */
    return (int64_t)u;
}

/* The 32 lowercase hex digits of a 16-byte UUID, as Python's UUID.hex. */
static void uuid_hex(const unsigned char *uuid, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < UUID_SIZE; i++) {
        out[2 * i] = digits[uuid[i] >> 4];
        out[2 * i + 1] = digits[uuid[i] & 15];
    }
}

static int field_fits(unsigned char kind, int64_t size)
{
    switch (kind) {
    case KIND_INT8:
        return size == 8;
    case KIND_INT4_OR_8:
        return size == 4 || size == 8;
    case KIND_UUID:
        return size == UUID_SIZE;
    case KIND_HASH:
        return size == HASH_SIZE;
    default:
        return size >= 0 && size <= COPY_MAX_FIELD;             /* -1 (NULL) never fits */
    }
}

/* The tuple of n_fields fields of these kinds at offset at (<= len) of buf: TUPLE_COMPLETE with
 * its fields and the offset after it in *end, TUPLE_TRAILER, TUPLE_BAD as soon as a count or a
 * length cannot be right, else TUPLE_INCOMPLETE. Never reads past buf + len. */
static int copy_tuple(const unsigned char *buf, size_t len, size_t at, int n_fields,
                      const unsigned char *kinds, Field *fields, size_t *end)
{
    if (len - at < 2)
        return TUPLE_INCOMPLETE;
    int64_t count = big_endian(buf + at, 2);
    if (count == -1)
        return TUPLE_TRAILER;
    if (count != n_fields)
        return TUPLE_BAD;
    size_t p = at + 2;
    for (int i = 0; i < n_fields; i++) {
        if (len - p < 4)
            return TUPLE_INCOMPLETE;
        int64_t size = big_endian(buf + p, 4);
        p += 4;
        if (!field_fits(kinds[i], size))
            return TUPLE_BAD;
        if (len - p < (size_t)size)
            return TUPLE_INCOMPLETE;
        fields[i] = (Field){buf + p, (size_t)size};
        p += (size_t)size;
    }
    *end = p;
    return TUPLE_COMPLETE;
}

typedef struct {
    const unsigned char *events, *leaves;
    size_t events_len, leaves_len;
    size_t consumed, leaves_at;         /* offsets after the last tuples checked */
    int64_t last;                       /* the last position checked, `after` before the first */
    Buf hashes;                         /* the stored leaves checked, 32 bytes each */
} Copy;

/* Pair and check tuples until an event is incomplete or at the trailer (COPY_OK) or a pair is
 * not clean; runs without the GIL (no Python API but the raw allocator). */
static int check_tuples(Copy *c)
{
    LeafCheck lc;
    int status = COPY_NOT_OK;
    if (leaf_check_open(&lc) < 0) {
        status = COPY_OPENSSL_ERROR;
        goto done;
    }
    for (;;) {
        Field event[COPY_EVENT_FIELDS], stored[COPY_LEAF_FIELDS];
        size_t event_end, leaf_end;
        int got = copy_tuple(c->events, c->events_len, c->consumed, COPY_EVENT_FIELDS,
                             EVENT_KINDS, event, &event_end);
        if (got == TUPLE_INCOMPLETE || got == TUPLE_TRAILER) {
            status = COPY_OK;
            break;
        }
        if (got == TUPLE_BAD
            || copy_tuple(c->leaves, c->leaves_len, c->leaves_at, COPY_LEAF_FIELDS, LEAF_KINDS,
                          stored, &leaf_end) != TUPLE_COMPLETE)
            break;                                  /* a bad event, or an event without a leaf */
        int64_t position = big_endian(event[0].ptr, 8);
        if (position <= c->last || big_endian(stored[0].ptr, 8) != position)
            break;
        char oid[2 * UUID_SIZE];
        uuid_hex(event[1].ptr, oid);
        int checked = leaf_check(&lc, position, (Field){oid, sizeof oid},
                                 big_endian(event[2].ptr, event[2].len), event[3], event[4],
                                 stored[1].ptr);
        if (checked != LEAF_MATCHES) {
            status = checked == LEAF_NOMEM ? COPY_NOMEM
                     : checked == LEAF_OPENSSL_ERROR ? COPY_OPENSSL_ERROR : COPY_NOT_OK;
            break;
        }
        if (buf_reserve(&c->hashes, c->hashes.len + HASH_SIZE) != ENC_OK) {
            status = COPY_NOMEM;
            break;
        }
        memcpy(c->hashes.data + c->hashes.len, stored[1].ptr, HASH_SIZE);
        c->hashes.len += HASH_SIZE;
        c->consumed = event_end;
        c->leaves_at = leaf_end;
        c->last = position;
    }
done:
    leaf_check_close(&lc);
    return status;
}

/* check_tuples over held views, its outcome as check_copy's tuple or an exception. */
static PyObject *check_views(const Py_buffer *events, const Py_buffer *leaves, size_t leaves_at,
                             int64_t after)
{
    Copy c = {.events = events->buf, .leaves = leaves->buf, .events_len = (size_t)events->len,
              .leaves_len = (size_t)leaves->len, .consumed = 0, .leaves_at = leaves_at,
              .last = after, .hashes = {0}};
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = check_tuples(&c);
    Py_END_ALLOW_THREADS
    PyObject *result = NULL;
    if (status == COPY_NOMEM)
        PyErr_NoMemory();
    else if (status == COPY_OPENSSL_ERROR)
        openssl_error();
    else
        result = Py_BuildValue("(nnLNO)", (Py_ssize_t)c.consumed, (Py_ssize_t)c.leaves_at,
                               (long long)c.last,
                               PyBytes_FromStringAndSize((const char *)c.hashes.data,
                                                         (Py_ssize_t)c.hashes.len),
                               status == COPY_OK ? Py_True : Py_False);
    PyMem_RawFree(c.hashes.data);
    return result;
}

PyObject *check_copy(PyObject *module, PyObject *args)
{
    (void)module;
    Py_buffer events, leaves;
    PyObject *at, *result = NULL;
    long long after;
    if (!PyArg_ParseTuple(args, "y*y*OL:check_copy", &events, &leaves, &at, &after))
        return NULL;
    Py_ssize_t leaves_at = PyNumber_AsSsize_t(at, NULL);    /* clamped: any int out of range */
    int not_int = leaves_at == -1 && PyErr_Occurred() != NULL;  /* is a ValueError below */
    if (!not_int && (leaves_at < 0 || leaves_at > leaves.len))
        PyErr_Format(PyExc_ValueError, "leaves_at must be within [0, %zd], got %R",
                     leaves.len, at);
    else if (!not_int)
        result = check_views(&events, &leaves, (size_t)leaves_at, after);
    PyBuffer_Release(&events);
    PyBuffer_Release(&leaves);
    return result;
}
