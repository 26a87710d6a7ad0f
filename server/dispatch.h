/* dispatch: what a request frame means. Decodes the envelope, resolves the
 * method through service Tamnong's generated descriptor (bounds-checked),
 * refuses while draining, unpacks the payload, creates the struct call and
 * invokes the protobuf-c service; the closure turns the handler's answer
 * into a Response frame.
 *
 * Deadlines: a call's deadline is now + deadline_ms from the request (the
 * server default when 0), capped at 10x default_deadline. Handlers read it
 * through call_deadline() and give up with DEADLINE_EXCEEDED themselves; a
 * call that finishes late is still answered with its real result, because
 * the work is done (a write committed) and claiming otherwise would only
 * provoke a retry. Responses go out in completion order.
 *
 * Responses are encoded here, straight into the connection's output (the
 * hot path: no intermediate Response message, no second copy of the
 * payload); the field numbers are those of message Response in
 * proto/tamnong.proto, and common/envelope.c decodes what this writes. */
#ifndef TAMNONG_DISPATCH_H
#define TAMNONG_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "call.h"
#include "conn.h"
#include "tamnong.pb-c.h"

/* Seconds of "try again later" we suggest with a retryable status. */
#define DISPATCH_RETRY_AFTER_MS 1000

/* One request being served (call.h is its public face). */
struct call {
    struct conn *conn; /* holds a reference */
    uint64_t id;
    uint64_t deadline_ms; /* loop time */
    uint64_t start_ns;    /* uv_hrtime at dispatch, for the latency metric */
    uint32_t method;
    int status; /* for done(NULL): set by call_fail, -1 = unset */
    ProtobufCMessage *input;
    char message[160];
    struct call_identity ident; /* call.h */
};

/* Serve one frame of an identified connection; now_ns is uv_hrtime() when
 * the burst of frames it came in was read (start of the latency metric).
 * 0, or -EPROTO when the frame is not a valid Request envelope (the caller
 * closes the connection). Any other problem is answered with a status and
 * the connection stays. */
int dispatch_frame(struct conn *c, const uint8_t *payload, size_t len, uint64_t now_ns);

/* Answer one frame with status and message without serving it (a
 * connection whose certificate is unknown, or whose identification failed).
 * 0 or -EPROTO as above. */
int dispatch_refuse(struct conn *c, const uint8_t *payload, size_t len, int status,
                    const char *message);

#endif
