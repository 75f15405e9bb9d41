/* What the parts of events.store._leafscan share: the canonical record and SHA-256
 * (_leafscan_record.c), and the checks the module (_leafscan.c) exposes, each in its own file. */
#ifndef HOSO_LEAFSCAN_H
#define HOSO_LEAFSCAN_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
/* SHA256_Init and its kin: deprecated in OpenSSL 3 in favour of EVP, and kept here on purpose.
 * EVP costs ~0.07 µs more a digest (a provider call per init), 15 % of a leaf's hash and more
 * than a third of a Merkle pair's; the low-level calls run the same SHA-NI/AVX2 code. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <stdint.h>
#include <string.h>

#define HASH_SIZE 32

typedef struct { unsigned char *data; size_t len, cap; } Buf;    /* free with PyMem_RawFree */
typedef struct { const void *ptr; size_t len; } Field;           /* ptr may be NULL if len == 0 */

enum { ENC_OK = 0, ENC_NOMEM = -1, ENC_TOO_LONG = -2 };

/* Grow b to hold need bytes: ENC_OK or ENC_NOMEM. */
int buf_reserve(Buf *b, size_t need);
/* 0x00 ‖ the canonical record into b: ENC_OK, ENC_NOMEM or ENC_TOO_LONG. */
int encode(Buf *b, int64_t position, Field oid, int64_t version, Field topic, Field state);

typedef struct { SHA256_CTX ctx; } Hasher;

int hasher_open(Hasher *h);     /* 0, or -1 (then hasher_close still must be called) */
void hasher_close(Hasher *h);
int sha256(Hasher *h, const void *data, size_t len, unsigned char *out);    /* 0 or -1 */
PyObject *openssl_error(void);  /* sets RuntimeError, returns NULL */

/* What both scans check of each stored event: is the stored leaf its record's leaf? The record
 * buffer and the hasher are reused from one event to the next. */
typedef struct { Buf record; Hasher hasher; } LeafCheck;
enum { LEAF_MATCHES = 0, LEAF_DIFFERS = 1, LEAF_NOMEM = -1, LEAF_OPENSSL_ERROR = -2 };

int leaf_check_open(LeafCheck *lc);     /* 0, or -1 (then leaf_check_close still must be called) */
void leaf_check_close(LeafCheck *lc);
/* LEAF_MATCHES when stored (HASH_SIZE bytes) is SHA-256(0x00 ‖ canonical record) of the event,
 * LEAF_DIFFERS when not (a field too long to encode included), else an error. */
int leaf_check(LeafCheck *lc, int64_t position, Field oid, int64_t version, Field topic,
               Field state, const void *stored);

extern const char scan_sqlite_doc[], check_copy_doc[];
PyObject *scan_sqlite(PyObject *module, PyObject *args, PyObject *kwargs);
PyObject *check_copy(PyObject *module, PyObject *args);

#endif
