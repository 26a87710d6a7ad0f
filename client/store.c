/* store: the agency client's local state in SQLite (see store.h).
 *
 * Design (issue 4, reliability promise 3: the client never loses what it said
 * it saved):
 * - One database, state.db, in the state directory ($TAMNONG_STATE_DIR,
 *   --state-dir, or $XDG_STATE_HOME/tamnong), journal_mode=WAL with
 *   synchronous=FULL (NORMAL can lose the last commit on power loss) and
 *   foreign_keys=ON. The directory is 0700, the files 0600: drafts may be
 *   confidential until sent.
 * - The schema version is PRAGMA user_version; migrations[] below brings an
 *   older database up to STORE_SCHEMA_VERSION in one transaction; a newer one
 *   is refused (written by a newer tamnong).
 * - Every command that changes something does it in ONE transaction that also
 *   writes the outbox (outbox.c): the draft change and the request that will
 *   carry it commit together or not at all. Nothing waits on the network.
 * - An outbox item holds the exact serialized request bytes, including the
 *   request UUID chosen when it was queued, so every retry sends the same
 *   bytes and the server answers a replay instead of doing it twice. The
 *   attempt counter is committed BEFORE each send, so "never tried" is a fact
 *   we can rely on (an untried task update may still be replaced).
 * - An item leaves the outbox only in the transaction that records the
 *   server's receipt (receipts table) and applies its effects locally.
 *   A crash at any point leaves it either queued (sent again: replay) or
 *   acknowledged, never lost.
 * - Attached files are copied at attach time into files/<sha256> (written to
 *   a temporary name, fsync'ed, renamed, directory fsync'ed) before the
 *   transaction that references them, so deleting the original loses
 *   nothing; an orphan file after a crash is harmless.
 * - Server data (tasks, indicators, periods, submission states) is a cache
 *   refreshed by Pull with a change cursor (meta.cursor); local intentions
 *   (drafts, outbox) are never overwritten by a pull.
 *
 * Tables (version 2; version 2 added the periods' extension columns):
 *   meta(key, value)            agency_code, plan_version, cursor, as_of, last_pull_ms,
 *                               last_sync_ms, clock_offset_ms, report_period
 *   tasks                       assignments pulled: task info, role, deadline,
 *                               and the server's status/progress/note/version
 *   indicators, periods         what this agency reports, and when (periods:
 *                               deadline_at_ms, and extended_deadline_at_ms /
 *                               extension_reason when this agency's deadline was
 *                               extended; the later of the two counts)
 *   drafts                      one per period: narrative parts, state
 *                               (draft|ready|queued|sent|accepted|returned),
 *                               reason, last submission id/revision
 *   draft_values, draft_attachments, draft_tasks   the rest of a draft
 *   outbox                      seq (send order), request_uuid, method, payload
 *                               (exact bytes), batch (items queued together:
 *                               a later one depends on the earlier ones), ref
 *                               (what it is about), attempts, last_error,
 *                               error_code, state (queued|failed)
 *   receipts                    what the server acknowledged, with replay flag
 *   submissions                 submission states pulled from the server
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "exit_codes.h"
#include "i18n.h"
#include "output.h"
#include "tls_util.h"

static const char *const migrations[] = {
    /* 1: the first schema */
    "CREATE TABLE meta (\n"
    "  key TEXT PRIMARY KEY,\n"
    "  value TEXT NOT NULL\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE tasks (\n"
    "  code TEXT PRIMARY KEY,\n"
    "  section TEXT NOT NULL DEFAULT '',\n"
    "  title TEXT NOT NULL DEFAULT '',\n"
    "  text TEXT NOT NULL DEFAULT '',\n"
    "  role TEXT NOT NULL DEFAULT '',\n"
    "  lead TEXT NOT NULL DEFAULT '',\n"
    "  coordinating TEXT NOT NULL DEFAULT '',\n"
    "  deadline_kind TEXT NOT NULL DEFAULT 'continuous',\n"
    "  deadline_value TEXT NOT NULL DEFAULT '',\n"
    "  expected_output TEXT NOT NULL DEFAULT '',\n"
    "  status TEXT NOT NULL DEFAULT 'not_started',\n"
    "  progress INTEGER NOT NULL DEFAULT 0,\n"
    "  note TEXT NOT NULL DEFAULT '',\n"
    "  evidence TEXT NOT NULL DEFAULT '',\n"
    "  version INTEGER NOT NULL DEFAULT 0,\n"
    "  updated_at_ms INTEGER NOT NULL DEFAULT 0,\n"
    "  updated_by TEXT NOT NULL DEFAULT ''\n"
    ");\n"
    "CREATE TABLE indicators (\n"
    "  key TEXT PRIMARY KEY,\n"
    "  name TEXT NOT NULL DEFAULT '',\n"
    "  unit TEXT NOT NULL DEFAULT '',\n"
    "  rule TEXT NOT NULL DEFAULT '',\n"
    "  required INTEGER NOT NULL DEFAULT 0,\n"
    "  numerator_label TEXT NOT NULL DEFAULT '',\n"
    "  denominator_label TEXT NOT NULL DEFAULT ''\n"
    ");\n"
    "CREATE TABLE periods (\n"
    "  code TEXT PRIMARY KEY,\n"
    "  regime TEXT NOT NULL DEFAULT '',\n"
    "  regime_name TEXT NOT NULL DEFAULT '',\n"
    "  year INTEGER NOT NULL DEFAULT 0,\n"
    "  window_start TEXT NOT NULL DEFAULT '',\n"
    "  window_end TEXT NOT NULL DEFAULT '',\n"
    "  deadline TEXT NOT NULL DEFAULT '',\n"
    "  deadline_at_ms INTEGER NOT NULL DEFAULT 0,\n"
    "  time_zone TEXT NOT NULL DEFAULT ''\n"
    ");\n"
    "CREATE TABLE drafts (\n"
    "  period_code TEXT PRIMARY KEY,\n"
    "  state TEXT NOT NULL DEFAULT 'draft'\n"
    "    CHECK (state IN ('draft','ready','queued','sent','accepted','returned')),\n"
    "  results TEXT NOT NULL DEFAULT '',\n"
    "  difficulties TEXT NOT NULL DEFAULT '',\n"
    "  recommendations TEXT NOT NULL DEFAULT '',\n"
    "  proposals TEXT NOT NULL DEFAULT '',\n"
    "  reason TEXT NOT NULL DEFAULT '',\n"
    "  submission_id INTEGER NOT NULL DEFAULT 0,\n"
    "  revision INTEGER NOT NULL DEFAULT 0,\n"
    "  queued_seq INTEGER NOT NULL DEFAULT 0,\n"
    "  created_at_ms INTEGER NOT NULL,\n"
    "  updated_at_ms INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE draft_values (\n"
    "  period_code TEXT NOT NULL REFERENCES drafts ON DELETE CASCADE,\n"
    "  key TEXT NOT NULL,\n"
    "  value TEXT NOT NULL DEFAULT '',\n"
    "  numerator TEXT NOT NULL DEFAULT '',\n"
    "  denominator TEXT NOT NULL DEFAULT '',\n"
    "  note TEXT NOT NULL DEFAULT '',\n"
    "  PRIMARY KEY (period_code, key)\n"
    ");\n"
    "CREATE TABLE draft_attachments (\n"
    "  period_code TEXT NOT NULL REFERENCES drafts ON DELETE CASCADE,\n"
    "  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),\n"
    "  size INTEGER NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  content_type TEXT NOT NULL DEFAULT '',\n"
    "  added_at_ms INTEGER NOT NULL,\n"
    "  PRIMARY KEY (period_code, sha256)\n"
    ");\n"
    "CREATE TABLE draft_tasks (\n"
    "  period_code TEXT NOT NULL REFERENCES drafts ON DELETE CASCADE,\n"
    "  task_code TEXT NOT NULL,\n"
    "  status TEXT NOT NULL,\n"
    "  progress INTEGER NOT NULL DEFAULT 0,\n"
    "  note TEXT NOT NULL DEFAULT '',\n"
    "  PRIMARY KEY (period_code, task_code)\n"
    ");\n"
    "CREATE TABLE outbox (\n"
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  request_uuid BLOB NOT NULL UNIQUE CHECK (length(request_uuid) = 16),\n"
    "  method TEXT NOT NULL,\n"
    "  payload BLOB NOT NULL,\n"
    "  batch INTEGER NOT NULL,\n"
    "  ref TEXT NOT NULL DEFAULT '',\n"
    "  created_at_ms INTEGER NOT NULL,\n"
    "  attempts INTEGER NOT NULL DEFAULT 0,\n"
    "  last_attempt_ms INTEGER NOT NULL DEFAULT 0,\n"
    "  last_error TEXT NOT NULL DEFAULT '',\n"
    "  error_code INTEGER NOT NULL DEFAULT 0,\n"
    "  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','failed'))\n"
    ");\n"
    "CREATE INDEX outbox_state ON outbox (state, seq);\n"
    "CREATE TABLE receipts (\n"
    "  request_uuid BLOB PRIMARY KEY,\n"
    "  seq INTEGER NOT NULL,\n"
    "  method TEXT NOT NULL,\n"
    "  ref TEXT NOT NULL DEFAULT '',\n"
    "  replay INTEGER NOT NULL DEFAULT 0,\n"
    "  received_at_ms INTEGER NOT NULL DEFAULT 0,\n"
    "  submission_id INTEGER NOT NULL DEFAULT 0,\n"
    "  revision INTEGER NOT NULL DEFAULT 0,\n"
    "  on_time INTEGER NOT NULL DEFAULT 0,\n"
    "  deadline_at_ms INTEGER NOT NULL DEFAULT 0,\n"
    "  version INTEGER NOT NULL DEFAULT 0,\n"
    "  state TEXT NOT NULL DEFAULT '',\n"
    "  recorded_at_ms INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE submissions (\n"
    "  submission_id INTEGER PRIMARY KEY,\n"
    "  period_code TEXT NOT NULL,\n"
    "  revision INTEGER NOT NULL DEFAULT 0,\n"
    "  state TEXT NOT NULL DEFAULT '',\n"
    "  received_at_ms INTEGER NOT NULL DEFAULT 0,\n"
    "  on_time INTEGER NOT NULL DEFAULT 0,\n"
    "  reason TEXT NOT NULL DEFAULT '',\n"
    "  reviewed_at_ms INTEGER NOT NULL DEFAULT 0,\n"
    "  current INTEGER NOT NULL DEFAULT 0\n"
    ");\n",
    /* 2: this agency's own extension of a period's deadline (issue 5) */
    "ALTER TABLE periods ADD COLUMN extended_deadline_at_ms INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE periods ADD COLUMN extension_reason TEXT NOT NULL DEFAULT '';\n",
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))
_Static_assert(N_MIGRATIONS == STORE_SCHEMA_VERSION, "one migration per schema version");

char *store_default_dir(const char *explicit_dir)
{
    char *p = NULL;
    if (explicit_dir && *explicit_dir)
        return strdup(explicit_dir);
    const char *e = getenv("TAMNONG_STATE_DIR");
    if (e && *e)
        return strdup(e);
    e = getenv("XDG_STATE_HOME");
    if (e && e[0] == '/') {
        if (asprintf(&p, "%s/tamnong", e) < 0)
            return NULL;
        return p;
    }
    e = getenv("HOME");
    if (e && *e) {
        if (asprintf(&p, "%s/.local/state/tamnong", e) < 0)
            return NULL;
        return p;
    }
    return NULL;
}

/* mkdir -p with mode for the last component and its missing parents. */
static int mkdirs(const char *path, mode_t mode)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, mode) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, mode) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int pragma(struct store *s, const char *sql, const char *want)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st);
    int ok = 0;
    if (rc == SQLITE_ROW && want) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        ok = (v && strcasecmp(v, want) == 0) ? 0 : -1;
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        ok = -1;
    }
    sqlite3_finalize(st);
    return ok;
}

static int user_version(struct store *s)
{
    sqlite3_stmt *st = NULL;
    int v = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int migrate(struct store *s, char *err, size_t errlen)
{
    if (store_begin(s) < 0)
        goto fail;
    int v = user_version(s);
    if (v < 0)
        goto fail_rb;
    if (v > STORE_SCHEMA_VERSION) {
        store_rollback(s);
        snprintf(err, errlen,
                 _("The local state %s was written by a newer version of tamnong (schema %d, "
                   "this program knows %d). Use the newer tamnong."),
                 s->path, v, STORE_SCHEMA_VERSION);
        return -1;
    }
    for (int i = v; i < N_MIGRATIONS; i++) {
        if (store_exec(s, migrations[i]) < 0)
            goto fail_rb;
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", i + 1);
        if (store_exec(s, sql) < 0)
            goto fail_rb;
    }
    if (store_commit(s) < 0)
        goto fail;
    return 0;
fail_rb:;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", store_errmsg(s));
    store_rollback(s);
    snprintf(err, errlen, _("Cannot prepare the local state %s: %s"), s->path, msg);
    return -1;
fail:
    snprintf(err, errlen, _("Cannot prepare the local state %s: %s"), s->path, store_errmsg(s));
    return -1;
}

int store_open(const char *dir, struct store **out, char *err, size_t errlen)
{
    *out = NULL;
    struct store *s = calloc(1, sizeof *s);
    if (!s || !(s->dir = strdup(dir)) || asprintf(&s->path, "%s/%s", dir, STORE_DB_NAME) < 0) {
        if (s)
            s->path = NULL;
        snprintf(err, errlen, "%s", _("Out of memory."));
        store_close(s);
        return -1;
    }
    char files[4200];
    snprintf(files, sizeof files, "%s/%s", dir, STORE_FILES_DIR);
    if (mkdirs(dir, 0700) < 0 || mkdirs(files, 0700) < 0) {
        snprintf(err, errlen, _("Cannot create the state directory %s: %s"), dir, strerror(errno));
        store_close(s);
        return -1;
    }
    mode_t old = umask(077);
    int rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    umask(old);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, _("Cannot open the local state %s: %s"), s->path,
                 s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        store_close(s);
        return -1;
    }
    sqlite3_busy_timeout(s->db, 15000);
    sqlite3_extended_result_codes(s->db, 1);
    if (pragma(s, "PRAGMA journal_mode=WAL", "wal") < 0 ||
        pragma(s, "PRAGMA synchronous=FULL", NULL) < 0 ||
        pragma(s, "PRAGMA foreign_keys=ON", NULL) < 0 || pragma(s, "PRAGMA synchronous", "2") < 0 ||
        pragma(s, "PRAGMA foreign_keys", "1") < 0) {
        snprintf(err, errlen, _("Cannot open the local state %s: %s"), s->path,
                 sqlite3_errmsg(s->db));
        store_close(s);
        return -1;
    }
    if (migrate(s, err, errlen) < 0) {
        store_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    if (s->db)
        sqlite3_close_v2(s->db);
    free(s->dir);
    free(s->path);
    free(s);
}

int store_open_for_cli(const char *state_dir, struct store **out)
{
    *out = NULL;
    char *dir = store_default_dir(state_dir);
    if (!dir) {
        out_error("%s", _("Cannot tell where to keep the local state: set $HOME, "
                          "$XDG_STATE_HOME or use --state-dir DIR."));
        return TN_EXIT_CONFIG;
    }
    char err[1024];
    int rc = store_open(dir, out, err, sizeof err);
    free(dir);
    if (rc < 0) {
        out_error("%s", err);
        return TN_EXIT_CONFIG;
    }
    return TN_EXIT_OK;
}

int store_begin(struct store *s)
{
    return store_exec(s, "BEGIN IMMEDIATE");
}

int store_commit(struct store *s)
{
    if (store_exec(s, "COMMIT") == 0)
        return 0;
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

void store_rollback(struct store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

const char *store_errmsg(const struct store *s)
{
    return s && s->db ? sqlite3_errmsg(s->db) : "?";
}

int store_exec(struct store *s, const char *sql)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

sqlite3_stmt *store_prepare(struct store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

int store_meta_get(struct store *s, const char *key, char *buf, size_t len)
{
    if (len)
        buf[0] = '\0';
    sqlite3_stmt *st = store_prepare(s, "SELECT value FROM meta WHERE key = ?1");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int found = 0;
    if (rc == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        snprintf(buf, len, "%s", v ? v : "");
        found = 1;
    } else if (rc != SQLITE_DONE) {
        found = -1;
    }
    sqlite3_finalize(st);
    return found;
}

int64_t store_meta_int(struct store *s, const char *key, int64_t def)
{
    char buf[32];
    if (store_meta_get(s, key, buf, sizeof buf) != 1 || !buf[0])
        return def;
    return strtoll(buf, NULL, 10);
}

int store_meta_set(struct store *s, const char *key, const char *value)
{
    sqlite3_stmt *st = store_prepare(s, "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

int store_meta_set_int(struct store *s, const char *key, int64_t value)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)value);
    return store_meta_set(s, key, buf);
}

int64_t store_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t store_server_now_ms(struct store *s)
{
    return store_now_ms() + (s ? store_meta_int(s, "clock_offset_ms", 0) : 0);
}

void store_today(struct store *s, char out[11])
{
    const char *t = getenv("TAMNONG_TEST_TODAY");
    if (t && strlen(t) == 10) {
        memcpy(out, t, 11);
        return;
    }
    int64_t ms = store_server_now_ms(s);
    time_t secs = (time_t)(ms / 1000) + 7 * 3600; /* Asia/Ho_Chi_Minh: UTC+7 all year */
    struct tm tm;
    if (!gmtime_r(&secs, &tm) || strftime(out, 11, "%Y-%m-%d", &tm) != 10)
        snprintf(out, 11, "1970-01-01");
}

int store_sha256_file(const char *path, char out[65], int64_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    unsigned char buf[65536];
    int64_t total = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        EVP_DigestUpdate(md, buf, (size_t)n);
        total += n;
    }
    int saved = errno;
    close(fd);
    if (n < 0) {
        EVP_MD_CTX_free(md);
        errno = saved;
        return -1;
    }
    unsigned char d[32];
    unsigned int dl = 0;
    EVP_DigestFinal_ex(md, d, &dl);
    EVP_MD_CTX_free(md);
    tls_hex(d, 32, out);
    if (size)
        *size = total;
    return 0;
}

void store_file_path(const struct store *s, const char *sha256, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s/%s", s->dir, STORE_FILES_DIR, sha256);
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int store_add_file(struct store *s, const char *path, int64_t max_size, char sha256[65],
                   int64_t *size, char *err, size_t errlen)
{
    bool from_stdin = strcmp(path, "-") == 0;
    const char *shown = from_stdin ? _("(standard input)") : path;
    int in = from_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        snprintf(err, errlen, _("Cannot read %s: %s"), shown, strerror(errno));
        return -1;
    }
    struct stat sb;
    if (!from_stdin && fstat(in, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        close(in);
        snprintf(err, errlen, _("%s is not a regular file."), shown);
        return -1;
    }
    char dir[4200], tmp[4300];
    snprintf(dir, sizeof dir, "%s/%s", s->dir, STORE_FILES_DIR);
    snprintf(tmp, sizeof tmp, "%s/.tmp-XXXXXX", dir);
    int outfd = mkstemp(tmp);
    if (outfd < 0) {
        snprintf(err, errlen, _("Cannot write in %s: %s"), dir, strerror(errno));
        if (!from_stdin)
            close(in);
        return -1;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    unsigned char buf[65536];
    int64_t total = 0;
    ssize_t n;
    int rc = -1;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        total += n;
        if (max_size > 0 && total > max_size) {
            snprintf(err, errlen, _("%s is larger than the %lld bytes the server accepts."), shown,
                     (long long)max_size);
            goto out;
        }
        EVP_DigestUpdate(md, buf, (size_t)n);
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(outfd, buf + off, (size_t)(n - off));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                snprintf(err, errlen, _("Cannot write in %s: %s"), dir, strerror(errno));
                goto out;
            }
            off += w;
        }
    }
    if (n < 0) {
        snprintf(err, errlen, _("Cannot read %s: %s"), shown, strerror(errno));
        goto out;
    }
    if (fsync(outfd) < 0) {
        snprintf(err, errlen, _("Cannot write in %s: %s"), dir, strerror(errno));
        goto out;
    }
    unsigned char d[32];
    unsigned int dl = 0;
    EVP_DigestFinal_ex(md, d, &dl);
    tls_hex(d, 32, sha256);
    char final[4300];
    store_file_path(s, sha256, final, sizeof final);
    if (rename(tmp, final) < 0 || fsync_dir(dir) < 0) {
        snprintf(err, errlen, _("Cannot write in %s: %s"), dir, strerror(errno));
        goto out;
    }
    tmp[0] = '\0';
    *size = total;
    rc = 0;
out:
    EVP_MD_CTX_free(md);
    close(outfd);
    if (tmp[0])
        unlink(tmp);
    if (!from_stdin)
        close(in);
    return rc;
}

int store_normalize_decimal(const char *in, char *out, size_t outlen)
{
    while (*in == ' ' || *in == '\t')
        in++;
    size_t n = strlen(in);
    while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\t'))
        n--;
    if (n == 0 || n + 1 > outlen)
        return -1;
    size_t i = 0, o = 0, digits_before = 0, digits_after = 0;
    bool sep = false;
    char sep_char = 0;
    if (in[0] == '-' || in[0] == '+') {
        if (in[0] == '-')
            out[o++] = '-';
        i++;
    }
    for (; i < n; i++) {
        char c = in[i];
        if (c >= '0' && c <= '9') {
            out[o++] = c;
            if (sep)
                digits_after++;
            else
                digits_before++;
        } else if ((c == '.' || c == ',') && !sep) {
            sep = true;
            sep_char = c;
            out[o++] = '.';
        } else {
            return -1;
        }
    }
    if (digits_before == 0 || (sep && digits_after == 0))
        return -1;
    /* "1.250" is 1250 the Vietnamese way but 1.25 the machine way: refuse
     * the guess ("0.125" is not ambiguous: no thousands group starts at 0). */
    if (sep_char == '.' && digits_after == 3 && !(digits_before == 1 && out[o - 5] == '0'))
        return -1;
    out[o] = '\0';
    return 0;
}

bool store_integrity_ok(struct store *s)
{
    return pragma(s, "PRAGMA integrity_check", "ok") == 0;
}
