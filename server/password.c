/* password: Argon2id hashing and checking off the loop (see password.h). */
#include "password.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "log.h"

struct pw_work {
    uv_work_t req;
    bool verify;
    bool ok;
    unsigned long long opslimit;
    size_t memlimit;
    char *password;
    char *hash; /* verify: the stored hash or NULL; hash: the result */
    password_verify_cb verify_cb;
    password_hash_cb hash_cb;
    void *data;
};

int password_init(void)
{
    return sodium_init() < 0 ? -1 : 0;
}

int password_hash(const char *password, unsigned long long opslimit, size_t memlimit, char *out,
                  size_t outlen)
{
    if (outlen < crypto_pwhash_STRBYTES)
        return -1;
    return crypto_pwhash_str_alg(out, password, strlen(password), opslimit, memlimit,
                                 crypto_pwhash_ALG_ARGON2ID13) == 0
               ? 0
               : -1;
}

/* The dummy hash an unknown user's password is checked against, made once
 * (on a worker thread) with the cost of the first request. */
static pthread_mutex_t dummy_lock = PTHREAD_MUTEX_INITIALIZER;
static char dummy_hash[crypto_pwhash_STRBYTES];

static void work_run(uv_work_t *req)
{
    struct pw_work *w = req->data;
    if (w->verify) {
        const char *h = w->hash;
        if (!h) {
            pthread_mutex_lock(&dummy_lock);
            if (!dummy_hash[0]) {
                unsigned char salt[16];
                char random_pw[33];
                randombytes_buf(salt, sizeof salt);
                sodium_bin2hex(random_pw, sizeof random_pw, salt, sizeof salt);
                if (password_hash(random_pw, w->opslimit, w->memlimit, dummy_hash,
                                  sizeof dummy_hash) != 0)
                    dummy_hash[0] = '\0';
            }
            pthread_mutex_unlock(&dummy_lock);
            h = dummy_hash;
        }
        bool ok = h[0] && crypto_pwhash_str_verify(h, w->password, strlen(w->password)) == 0;
        w->ok = ok && w->hash != NULL;
    } else {
        char *out = malloc(crypto_pwhash_STRBYTES);
        if (out && password_hash(w->password, w->opslimit, w->memlimit, out,
                                 crypto_pwhash_STRBYTES) != 0) {
            free(out);
            out = NULL;
        }
        w->hash = out;
    }
}

static void work_free(struct pw_work *w)
{
    if (w->password) {
        sodium_memzero(w->password, strlen(w->password));
        free(w->password);
    }
    free(w->hash);
    free(w);
}

static void work_after(uv_work_t *req, int status)
{
    struct pw_work *w = req->data;
    if (status != 0)
        log_error("password work cancelled: %s", uv_strerror(status));
    if (w->verify)
        w->verify_cb(w->data, status == 0 && w->ok);
    else
        w->hash_cb(w->data, status == 0 ? w->hash : NULL);
    work_free(w);
}

static void queue(uv_loop_t *loop, struct pw_work *w)
{
    w->req.data = w;
    int rc = uv_queue_work(loop, &w->req, work_run, work_after);
    if (rc != 0) {
        log_error("cannot queue password work: %s", uv_strerror(rc));
        /* Answer as a failure, still asynchronously from the caller's view. */
        work_after(&w->req, rc);
    }
}

void password_verify_async(uv_loop_t *loop, const char *hash, const char *password,
                           unsigned long long opslimit, size_t memlimit, password_verify_cb cb,
                           void *data)
{
    struct pw_work *w = calloc(1, sizeof *w);
    if (!w || !(w->password = strdup(password)) || (hash && !(w->hash = strdup(hash)))) {
        if (w)
            work_free(w);
        cb(data, false);
        return;
    }
    w->verify = true;
    w->opslimit = opslimit;
    w->memlimit = memlimit;
    w->verify_cb = cb;
    w->data = data;
    queue(loop, w);
}

void password_hash_async(uv_loop_t *loop, const char *password, unsigned long long opslimit,
                         size_t memlimit, password_hash_cb cb, void *data)
{
    struct pw_work *w = calloc(1, sizeof *w);
    if (!w || !(w->password = strdup(password))) {
        free(w);
        cb(data, NULL);
        return;
    }
    w->opslimit = opslimit;
    w->memlimit = memlimit;
    w->hash_cb = cb;
    w->data = data;
    queue(loop, w);
}
