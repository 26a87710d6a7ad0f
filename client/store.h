/* store: the agency client's local state, one SQLite database (state.db) and
 * a content-addressed directory of attached files (files/<sha256>) under the
 * state directory. The design and the schema are explained at the top of
 * store.c; the outbox is in outbox.h, drafts in draft.h. */
#ifndef TAMNONG_CLIENT_STORE_H
#define TAMNONG_CLIENT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define STORE_SCHEMA_VERSION 2
#define STORE_DB_NAME        "state.db"
#define STORE_LOCK_NAME      "sync.lock"
#define STORE_FILES_DIR      "files"

struct store {
    sqlite3 *db;
    char *dir;  /* the state directory */
    char *path; /* dir/state.db */
};

/* The state directory: explicit (--state-dir) if not NULL, else
 * $TAMNONG_STATE_DIR, else $XDG_STATE_HOME/tamnong, else
 * $HOME/.local/state/tamnong. malloc'ed; NULL when none can be made. */
char *store_default_dir(const char *explicit_dir);

/* Create the directory (0700) if needed, open or create state.db (0600) with
 * journal_mode=WAL, synchronous=FULL, foreign_keys=ON, and bring its schema
 * to STORE_SCHEMA_VERSION. 0 and *out, or -1 with a translated message. */
int store_open(const char *dir, struct store **out, char *err, size_t errlen)
    __attribute__((warn_unused_result));
void store_close(struct store *s);

/* store_open for a command: the directory from --state-dir (may be NULL) or
 * the defaults; prints why on failure. TN_EXIT_OK and *out, or an exit code. */
int store_open_for_cli(const char *state_dir, struct store **out);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. 0 or -1 (the error is in
 * store_errmsg). A failed commit rolls back. */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);
const char *store_errmsg(const struct store *s);

/* Run SQL without results (several statements allowed). 0 or -1. */
int store_exec(struct store *s, const char *sql);
/* Prepare a statement; NULL on error (store_errmsg). */
sqlite3_stmt *store_prepare(struct store *s, const char *sql);

/* The meta table (key → value). store_meta_get: 1 found (copied into buf),
 * 0 absent (buf ""), -1 error. */
int store_meta_get(struct store *s, const char *key, char *buf, size_t len);
int64_t store_meta_int(struct store *s, const char *key, int64_t def);
int store_meta_set(struct store *s, const char *key, const char *value);
int store_meta_set_int(struct store *s, const char *key, int64_t value);

/* Wall clock, Unix epoch milliseconds. */
int64_t store_now_ms(void);
/* The server's clock as last seen: the wall clock plus the offset the last
 * sync measured (meta clock_offset_ms; 0 before any). */
int64_t store_server_now_ms(struct store *s);
/* "Today" for deadlines, as YYYY-MM-DD in Asia/Ho_Chi_Minh (UTC+7, no
 * daylight saving), using the server's clock when the last sync measured an
 * offset. TAMNONG_TEST_TODAY=YYYY-MM-DD overrides it (tests only). */
void store_today(struct store *s, char out[11]);

/* Copy the file at `path` ("-" = stdin) into files/<sha256> (written to a
 * temporary name, fsync'ed, renamed, directory fsync'ed), so that deleting
 * or changing the original later loses nothing. Fills sha256 (64 lower-case
 * hex + NUL) and size. max_size > 0 refuses bigger files. 0, or -1 with a
 * translated message. */
int store_add_file(struct store *s, const char *path, int64_t max_size, char sha256[65],
                   int64_t *size, char *err, size_t errlen) __attribute__((warn_unused_result));
/* Path of a stored file: dir/files/<sha256>. */
void store_file_path(const struct store *s, const char *sha256, char *buf, size_t len);
/* SHA-256 of a file as lower-case hex; 0 or -1 (errno). */
int store_sha256_file(const char *path, char out[65], int64_t *size);

/* A number typed by a person ("63.5", "63,5", " 1200 ") as the wire wants it
 * ("63.5"): trims spaces, accepts one decimal separator '.' or ',' and a
 * leading '-'; no thousands separators, and "1.250" (1250 or 1.25?) is
 * refused as ambiguous. 0, or -1 when it is not a number. */
int store_normalize_decimal(const char *in, char *out, size_t outlen);

/* PRAGMA integrity_check says ok. */
bool store_integrity_ok(struct store *s);

#endif
