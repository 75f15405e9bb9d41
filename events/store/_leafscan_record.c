/* The canonical record of a stored event and SHA-256, shared by every check in events.store._leafscan.
 * The encoding must stay byte-identical to events/evidence/records.py `_encode` (tests pin the two). */
#include "_leafscan.h"

static const char TAG[] = "hoso-log-record-v1";
#define TAG_LEN (sizeof(TAG) - 1)

/* ---- record encoding ------------------------------------------------------------------------ */


int buf_reserve(Buf *b, size_t need)
{
    if (need <= b->cap)
        return ENC_OK;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    unsigned char *data = PyMem_RawRealloc(b->data, cap);
    if (data == NULL)
        return ENC_NOMEM;
    b->data = data;
    b->cap = cap;
    return ENC_OK;
}

/* v in ASCII decimal, as Python's b"%d" writes it; returns the length (at most 20). */
static size_t format_int64(char *out, int64_t v)
{
    char digits[20];
    size_t n = 0, len = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        out[len++] = '-';
    while (n)
        out[len++] = digits[--n];
    return len;
}

static unsigned char *put_field(unsigned char *p, const void *ptr, size_t len)
{
    p[0] = (unsigned char)(len >> 24);
    p[1] = (unsigned char)(len >> 16);
    p[2] = (unsigned char)(len >> 8);
    p[3] = (unsigned char)len;
    if (len)
        memcpy(p + 4, ptr, len);
    return p + 4 + len;
}

/* 0x00 ‖ len4(TAG) ‖ TAG ‖ len4(P) ‖ P ‖ len4(OID) ‖ OID ‖ len4(V) ‖ V ‖ len4(TOPIC) ‖ TOPIC ‖
 * len4(STATE) ‖ STATE into b (replacing its content). A field over 2**32-1 bytes has no len4. */
int encode(Buf *b, int64_t position, Field oid, int64_t version, Field topic, Field state)
{
    char pos[20], ver[20];
    size_t pos_len = format_int64(pos, position), ver_len = format_int64(ver, version);
    if (oid.len > UINT32_MAX || topic.len > UINT32_MAX || state.len > UINT32_MAX)
        return ENC_TOO_LONG;
    /* each term is below 2**32 + 4, so the sum cannot wrap a 64-bit size_t */
    size_t size = 1 + 6 * 4 + TAG_LEN + pos_len + oid.len + ver_len + topic.len + state.len;
    if (buf_reserve(b, size) != ENC_OK)
        return ENC_NOMEM;
    unsigned char *p = b->data;
    *p++ = 0x00;
    p = put_field(p, TAG, TAG_LEN);
    p = put_field(p, pos, pos_len);
    p = put_field(p, oid.ptr, oid.len);
    p = put_field(p, ver, ver_len);
    p = put_field(p, topic.ptr, topic.len);
    p = put_field(p, state.ptr, state.len);
    b->len = (size_t)(p - b->data);
    return ENC_OK;
}

/* ---- SHA-256 ------------------------------------------------------------------------------- */

int hasher_open(Hasher *h)       /* 0, or -1 (then hasher_close still must be called) */
{
    memset(h, 0, sizeof *h);
    return 0;
}

void hasher_close(Hasher *h)    /* nothing is held: what is hashed here is public */
{
    (void)h;
}

int sha256(Hasher *h, const void *data, size_t len, unsigned char *out)
{
    return SHA256_Init(&h->ctx) && SHA256_Update(&h->ctx, data, len)
           && SHA256_Final(out, &h->ctx) ? 0 : -1;
}

PyObject *openssl_error(void)
{
    return PyErr_Format(PyExc_RuntimeError, "OpenSSL could not compute SHA-256");
}

/* ---- the leaf check ------------------------------------------------------------------------ */

int leaf_check_open(LeafCheck *lc)
{
    lc->record = (Buf){0};
    return hasher_open(&lc->hasher);
}

void leaf_check_close(LeafCheck *lc)
{
    hasher_close(&lc->hasher);
    PyMem_RawFree(lc->record.data);
    lc->record = (Buf){0};
}

int leaf_check(LeafCheck *lc, int64_t position, Field oid, int64_t version, Field topic,
               Field state, const void *stored)
{
    unsigned char leaf[HASH_SIZE];
    int encoded = encode(&lc->record, position, oid, version, topic, state);
    if (encoded != ENC_OK)
        return encoded == ENC_NOMEM ? LEAF_NOMEM : LEAF_DIFFERS;
    if (sha256(&lc->hasher, lc->record.data, lc->record.len, leaf) < 0)
        return LEAF_OPENSSL_ERROR;
    return memcmp(leaf, stored, HASH_SIZE) == 0 ? LEAF_MATCHES : LEAF_DIFFERS;
}
