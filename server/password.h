/* password: Argon2id password hashes (libsodium crypto_pwhash_str), made
 * and checked on libuv's thread pool (uv_queue_work), never on the loop: one
 * hash costs tens of milliseconds and tens of MiB at the default cost. The
 * cost of new hashes comes from the config (password_opslimit,
 * password_memlimit); a stored hash carries its own cost. */
#ifndef TAMNONG_PASSWORD_H
#define TAMNONG_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#define PASSWORD_MIN 8
#define PASSWORD_MAX 1024

/* libsodium's start-up; 0 or -1. Call once before anything else here. */
int password_init(void) __attribute__((warn_unused_result));

/* Called on the loop: ok = the password matches hash. */
typedef void (*password_verify_cb)(void *data, bool ok);
/* Check password against hash; with hash NULL (unknown user) against a
 * dummy hash of the same cost, so the answer takes as long, and ok is false. */
void password_verify_async(uv_loop_t *loop, const char *hash, const char *password,
                           unsigned long long opslimit, size_t memlimit, password_verify_cb cb,
                           void *data);

/* Called on the loop: hash is the Argon2id string, NULL when hashing failed
 * (out of memory). */
typedef void (*password_hash_cb)(void *data, const char *hash);
void password_hash_async(uv_loop_t *loop, const char *password, unsigned long long opslimit,
                         size_t memlimit, password_hash_cb cb, void *data);

/* Blocking, for tamnongd user-add: 0 and out (crypto_pwhash_STRBYTES), or -1. */
int password_hash(const char *password, unsigned long long opslimit, size_t memlimit, char *out,
                  size_t outlen) __attribute__((warn_unused_result));

#endif
