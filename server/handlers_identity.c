/* handlers_identity: persons, sessions and the audit chain (issue 7;
 * docs/security.md). Login checks the password off the loop (password.c)
 * against the person's Argon2id hash, or a dummy hash for an unknown name so
 * both take as long and answer the same words; failures are counted in the
 * database (login_finish), which locks a name after 100 in an hour. The
 * session token is 32 random bytes; the database keeps only its SHA-256.
 * Which role may call what is roles.c's table, checked by dispatch.c before
 * these handlers run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sodium.h>

#include "call.h"
#include "handler_util.h"
#include "handlers.h"
#include "tls_util.h"
#include "log.h"
#include "password.h"
#include "server.h"

#define LOGIN_MAX 64
/* Answer a refusal and leave the function. */
#define FAIL(...)                                                                                  \
    do {                                                                                           \
        handler_fail(call, done, __VA_ARGS__);                                                     \
        return;                                                                                    \
    } while (0)
#define NAME_MAX_BYTES 255

JSON_MESSAGE(person_msg, Tamnong__Person, tamnong__person__descriptor)
JSON_MESSAGE(audit_msg, Tamnong__AuditVerifyResponse, tamnong__audit_verify_response__descriptor)

static const struct srv_config *cfg_of(const struct call *call)
{
    return call_server(call)->cfg;
}

static bool login_ok(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= LOGIN_MAX && field_text_ok(s, LOGIN_MAX);
}

static bool password_ok(const char *s)
{
    size_t n = strlen(s);
    return n >= PASSWORD_MIN && n <= PASSWORD_MAX;
}

/* ---------------------------------------------------------------- Login */

struct login_ctx {
    struct call *call;
    ProtobufCClosure done;
    const Tamnong__LoginRequest *in; /* lives until the call is answered */
    char login[LOGIN_MAX + 1];
    char person_id[24]; /* "" when unknown */
    uint8_t token[32];
};

static void login_finished(struct call *call, ProtobufCClosure done, const PGresult *res, void *arg)
{
    struct login_ctx *l = arg;
    json_t *r = handler_answer_json(call, done, res);
    if (r) {
        Tamnong__LoginResponse resp = TAMNONG__LOGIN_RESPONSE__INIT;
        resp.session_token.data = l->token;
        resp.session_token.len = sizeof l->token;
        resp.login = jstr(r, "login");
        resp.display_name = jstr(r, "display_name");
        resp.role = jstr(r, "role");
        resp.agency = jstr(r, "agency");
        resp.expires_ms = jint(r, "expires_ms");
        resp.idle_expires_ms = jint(r, "idle_expires_ms");
        call_set_person(call, resp.login);
        log_info("person %s (%s) logged in for agency %s", resp.login, resp.role, resp.agency);
        done(&resp.base, call);
        json_decref(r);
    }
    sodium_memzero(l->token, sizeof l->token);
    free(l);
}

static void login_checked(void *data, bool ok)
{
    struct login_ctx *l = data;
    struct call *call = l->call;
    const struct srv_config *c = cfg_of(call);
    const struct agency_identity *who = call_agency(call);
    char token_sha[65], aid[24], idle[24], max[24];
    if (RAND_bytes(l->token, sizeof l->token) != 1 ||
        tls_sha256_hex(l->token, sizeof l->token, token_sha) < 0) {
        ProtobufCClosure done = l->done;
        free(l);
        handler_fail(call, done, TAMNONG__STATUS__INTERNAL, "cannot make a session token");
        return;
    }
    snprintf(aid, sizeof aid, "%lld", (long long)(who ? who->id : 0));
    snprintf(idle, sizeof idle, "%ld", c->session_idle_ms);
    snprintf(max, sizeof max, "%ld", c->session_max_ms);
    const char *params[] = {l->login,
                            ok ? "true" : "false",
                            l->person_id[0] ? l->person_id : NULL,
                            token_sha,
                            who ? who->fingerprint : "",
                            aid,
                            idle,
                            max};
    handler_query_arg(call, l->done, SQL_LOGIN_FINISH, 8, params, login_finished, l, free);
}

static void login_begun(struct call *call, ProtobufCClosure done, const PGresult *res, void *arg)
{
    struct login_ctx *l = arg;
    json_t *r = handler_answer_json(call, done, res);
    if (!r) {
        free(l);
        return;
    }
    if (jbool(r, "locked")) {
        json_decref(r);
        free(l);
        handler_fail(call, done, TAMNONG__STATUS__UNAUTHENTICATED,
                     "too many failed log-ins for this user name; try again later or ask the "
                     "operator to unlock it");
        return;
    }
    const char *hash = json_string_value(json_object_get(r, "hash"));
    if (json_is_integer(json_object_get(r, "person_id")))
        snprintf(l->person_id, sizeof l->person_id, "%lld", (long long)jint(r, "person_id"));
    const struct srv_config *c = cfg_of(call);
    password_verify_async(call_server(call)->loop, l->person_id[0] ? hash : NULL, l->in->password,
                          (unsigned long long)c->password_opslimit, c->password_memlimit,
                          login_checked, l);
    json_decref(r);
}

HANDLER(login, LoginRequest, LoginResponse)
{
    (void)svc;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    if (!login_ok(input->login))
        FAIL(TAMNONG__STATUS__INVALID_ARGUMENT, "login: give the user name (1 to %d bytes)",
             LOGIN_MAX);
    if (!*input->password || strlen(input->password) > PASSWORD_MAX)
        FAIL(TAMNONG__STATUS__INVALID_ARGUMENT, "password: give the password (at most %d bytes)",
             PASSWORD_MAX);
    struct login_ctx *l = calloc(1, sizeof *l);
    if (!l)
        FAIL(TAMNONG__STATUS__RESOURCE_EXHAUSTED, "the server is out of memory");
    l->call = call;
    l->done = done;
    l->in = input;
    snprintf(l->login, sizeof l->login, "%s", input->login);
    const char *params[] = {l->login};
    handler_query_arg(call, done, SQL_LOGIN_BEGIN, 1, params, login_begun, l, free);
}

/* ---------------------------------------------------------------- Logout */

static void logout_rows(struct call *call, ProtobufCClosure done, const PGresult *res, void *arg)
{
    (void)arg;
    Tamnong__LogoutResponse resp = TAMNONG__LOGOUT_RESPONSE__INIT;
    resp.ended = strcmp(PQcmdTuples((PGresult *)res), "0") != 0;
    done(&resp.base, call);
}

HANDLER(logout, LogoutRequest, LogoutResponse)
{
    (void)svc;
    (void)input;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    const struct call_identity *id = call_ident(call);
    if (!id->token_sha256[0]) {
        Tamnong__LogoutResponse resp = TAMNONG__LOGOUT_RESPONSE__INIT;
        done(&resp.base, call);
        return;
    }
    const char *params[] = {id->token_sha256};
    handler_query(call, done, SQL_LOGOUT, 1, params, logout_rows, NULL);
}

/* ---------------------------------------------------------------- Whoami */

HANDLER(whoami, WhoamiRequest, WhoamiResponse)
{
    (void)svc;
    (void)input;
    struct call *call = closure_data;
    const struct call_identity *id = call_ident(call);
    const struct agency_identity *who = call_agency(call);
    Tamnong__WhoamiResponse resp = TAMNONG__WHOAMI_RESPONSE__INIT;
    resp.login = (char *)id->login;
    resp.display_name = (char *)id->display_name;
    resp.role = (char *)role_name(id->role);
    resp.agency = who ? (char *)who->code : (char *)"";
    resp.agency_name = who ? (char *)who->name : (char *)"";
    resp.fingerprint = who ? (char *)who->fingerprint : (char *)"";
    resp.expires_ms = id->expires_ms;
    resp.idle_expires_ms = id->idle_expires_ms;
    typed_done(&resp, call);
}

/* ---------------------------------------------------------------- UserAdd, UserUpdate */

/* arg: non-NULL for UserAdd. */
static void person_rows(struct call *call, ProtobufCClosure done, const PGresult *res, void *arg)
{
    struct arena a = {0};
    json_t *r = handler_answer_json(call, done, res);
    if (!r)
        return;
    log_info("person %s: agency %s, role %s%s (by %s)", jstr(r, "login"), jstr(r, "agency"),
             jstr(r, "role"), jbool(r, "disabled") ? ", disabled" : "", call_ident(call)->login);
    if (arg) {
        Tamnong__UserAddResponse resp = TAMNONG__USER_ADD_RESPONSE__INIT;
        resp.person = person_msg(&a, r);
        handler_answer_arena(call, done, &resp.base, &a);
    } else {
        Tamnong__UserUpdateResponse resp = TAMNONG__USER_UPDATE_RESPONSE__INIT;
        resp.person = person_msg(&a, r);
        handler_answer_arena(call, done, &resp.base, &a);
    }
    json_decref(r);
}

struct user_ctx {
    struct call *call;
    ProtobufCClosure done;
    bool add;
    const void *in; /* the request, alive until the call is answered */
};

static void user_hashed(void *data, const char *hash)
{
    struct user_ctx *u = data;
    struct call *call = u->call;
    ProtobufCClosure done = u->done;
    bool add = u->add;
    const void *input = u->in;
    free(u);
    if (!hash)
        FAIL(TAMNONG__STATUS__RESOURCE_EXHAUSTED,
             "cannot hash the password now (out of memory); try again later");
    if (add) {
        const Tamnong__UserAddRequest *in = input;
        const char *params[] = {in->agency, in->login, in->display_name, in->role, hash};
        handler_query(call, done, SQL_USER_ADD, 5, params, person_rows, (void *)1);
    } else {
        const Tamnong__UserUpdateRequest *in = input;
        const char *params[] = {in->login, *in->role ? in->role : NULL,
                                in->disable  ? "true"
                                : in->enable ? "false"
                                             : NULL,
                                *in->password ? hash : NULL, in->unlock ? "true" : "false"};
        handler_query(call, done, SQL_USER_UPDATE, 5, params, person_rows, NULL);
    }
}

static void hash_then(struct call *call, ProtobufCClosure done, bool add, const void *in,
                      const char *password)
{
    struct user_ctx *u = calloc(1, sizeof *u);
    if (!u)
        FAIL(TAMNONG__STATUS__RESOURCE_EXHAUSTED, "the server is out of memory");
    u->call = call;
    u->done = done;
    u->add = add;
    u->in = in;
    if (!*password) {
        user_hashed(u, "");
        return;
    }
    const struct srv_config *c = cfg_of(call);
    password_hash_async(call_server(call)->loop, password, (unsigned long long)c->password_opslimit,
                        c->password_memlimit, user_hashed, u);
}

static bool role_field_ok(const char *s)
{
    return role_parse(s) >= 0;
}

HANDLER(user_add, UserAddRequest, UserAddResponse)
{
    (void)svc;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    if (!login_ok(input->login))
        FAIL(TAMNONG__STATUS__INVALID_ARGUMENT, "login: give the user name (1 to %d bytes)",
             LOGIN_MAX);
    if (!*input->agency || !field_text_ok(input->agency, 64))
        FAIL(TAMNONG__STATUS__INVALID_ARGUMENT, "agency: give the agency code");
    if (!role_field_ok(input->role))
        FAIL(TAMNONG__STATUS__INVALID_ARGUMENT,
             "role: one of reporter, reviewer, viewer, operator");
    if (!field_text_ok(input->display_name, NAME_MAX_BYTES))
        FAIL(TAMNONG__STATUS__INVALID_ARGUMENT, "display_name: at most %d bytes", NAME_MAX_BYTES);
    if (!password_ok(input->password))
        FAIL(TAMNONG__STATUS__INVALID_ARGUMENT, "password: %d to %d bytes", PASSWORD_MIN,
             PASSWORD_MAX);
    hash_then(call, done, true, input, input->password);
}

HANDLER(user_update, UserUpdateRequest, UserUpdateResponse)
{
    (void)svc;
    struct call *call = closure_data;
    ProtobufCClosure done = (ProtobufCClosure)typed_done;
    if (!login_ok(input->login))
        FAIL(TAMNONG__STATUS__INVALID_ARGUMENT, "login: give the user name (1 to %d bytes)",
             LOGIN_MAX);
    if (*input->role && !role_field_ok(input->role))
        FAIL(TAMNONG__STATUS__INVALID_ARGUMENT,
             "role: one of reporter, reviewer, viewer, operator");
    if (input->disable && input->enable)
        FAIL(TAMNONG__STATUS__INVALID_ARGUMENT, "disable, enable: give one of them, not both");
    if (*input->password && !password_ok(input->password))
        FAIL(TAMNONG__STATUS__INVALID_ARGUMENT, "password: %d to %d bytes", PASSWORD_MIN,
             PASSWORD_MAX);
    hash_then(call, done, false, input, input->password);
}

/* ---------------------------------------------------------------- AuditVerify */

static void audit_rows(struct call *call, ProtobufCClosure done, const PGresult *res, void *arg)
{
    (void)arg;
    struct arena a = {0};
    json_t *r = handler_answer_json(call, done, res);
    if (!r)
        return;
    Tamnong__AuditVerifyResponse *resp = audit_msg(&a, r);
    if (resp && !resp->ok)
        log_error("AUDIT CHAIN BROKEN at row %lld: %s", (long long)resp->id, resp->message);
    handler_answer_arena(call, done, resp ? &resp->base : NULL, &a);
    json_decref(r);
}

HANDLER(audit_verify, AuditVerifyRequest, AuditVerifyResponse)
{
    (void)svc;
    (void)input;
    struct call *call = closure_data;
    handler_query(call, (ProtobufCClosure)typed_done, SQL_AUDIT_VERIFY, 0, NULL, audit_rows, NULL);
}
