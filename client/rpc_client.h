/* rpc_client: the client side of the tamnong protocol over one blocking TLS
 * connection (no event loop): connect with a timeout, mutual TLS against the
 * province CA only with hostname (or IP) verification, then request/response
 * calls by method name. Every failure is classified so the caller can tell a
 * transport problem (cannot reach, timeout, TLS refusal) from a status the
 * server answered, and carries a translated explanation for a person. */
#ifndef TAMNONG_CLIENT_RPC_CLIENT_H
#define TAMNONG_CLIENT_RPC_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "client_config.h"

enum rpc_result {
    RPC_OK = 0,         /* the server answered status OK */
    RPC_STATUS,         /* the server answered another status: see code */
    RPC_E_CONFIG,       /* our CA, certificate or key cannot be used */
    RPC_E_RESOLVE,      /* the server's name does not resolve */
    RPC_E_CONNECT,      /* connection refused or network unreachable */
    RPC_E_TIMEOUT,      /* connect, handshake or answer took too long */
    RPC_E_SERVER_CERT,  /* the server's certificate is not trusted (CA, dates) */
    RPC_E_SERVER_NAME,  /* the server's certificate is for another name */
    RPC_E_CERT_REFUSED, /* the server refused our certificate (TLS alert) */
    RPC_E_TLS,          /* any other TLS failure */
    RPC_E_CLOSED,       /* the server closed the connection */
    RPC_E_PROTOCOL,     /* the answer is not a valid frame/envelope/message */
    RPC_E_INTERNAL,     /* a local failure: memory, misuse of this API */
};

struct rpc_status {
    enum rpc_result result;
    int code;                 /* Tamnong__Status when result is RPC_OK or RPC_STATUS */
    char server_message[512]; /* the server's words (RPC_STATUS), may be empty */
    char detail[1024];        /* translated explanation of a transport failure */
    int64_t server_time_ms;   /* from the response envelope, 0 if none */
    uint32_t retry_after_ms;  /* the server's retry hint, 0 if none */
};

struct rpc_client;

/* Check nothing about the files (client_config_check_files does); build the
 * TLS context from cfg, connect within cfg->connect_timeout_ms (TCP and
 * handshake). 0 and *out, or -1 with st filled (st->result != RPC_OK). cfg
 * may be freed after this returns. */
int rpc_connect(const struct client_config *cfg, struct rpc_client **out, struct rpc_status *st)
    __attribute__((warn_unused_result));

/* Call `method` (a method name of service Tamnong in proto/tamnong.proto)
 * with req, which must be the method's input message. Waits up to the
 * configured request timeout. Returns 0 with *resp (the method's output
 * message; free with protobuf_c_message_free_unpacked(*resp, NULL)) when the
 * server answered OK; else -1, *resp = NULL and st says why. After a
 * transport failure the connection is unusable (later calls fail with
 * RPC_E_CLOSED); after RPC_STATUS it can be used again. */
int rpc_call(struct rpc_client *c, const char *method, const ProtobufCMessage *req,
             ProtobufCMessage **resp, struct rpc_status *st) __attribute__((warn_unused_result));

/* Send this session token (a person's log-in) with every later call; len 0
 * for none. */
void rpc_set_session(struct rpc_client *c, const uint8_t *token, size_t len);

/* Server clock minus local clock, from the last response (0 before any). */
int64_t rpc_clock_skew_ms(const struct rpc_client *c);

/* Send close_notify (best effort, no waiting) and free everything. NULL ok. */
void rpc_close(struct rpc_client *c);

/* The exit code for a result (exit_codes.h). */
int rpc_exit_code(const struct rpc_status *st);
/* True when trying again later may succeed (exit code 75). */
bool rpc_retryable(const struct rpc_status *st);

#endif
