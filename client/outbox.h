/* outbox: the client's queue of state-changing requests, in the local store
 * (store.h). An item is the exact serialized request (with the request UUID
 * chosen when it was queued), sent in seq order by sync.c. It leaves the
 * outbox only in the transaction that records the server's receipt; a
 * request the server refuses stays, marked failed with the server's words.
 *
 * Methods: "Submit", "TaskUpdate", "Review" (the payload is that method's
 * request message) and "Attachment" (the payload is an
 * AttachmentStatusRequest {sha256, size}; the file is files/<sha256>, sent
 * with AttachmentStatus + AttachmentChunk). Items queued together by one
 * command share a batch: a later item of a batch depends on the earlier ones
 * (a Submit on the uploads it references). */
#ifndef TAMNONG_CLIENT_OUTBOX_H
#define TAMNONG_CLIENT_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "store.h"

#define OUTBOX_UUID_LEN 16
/* error_code of an item not sent because an earlier item of its batch was
 * refused; its last_error is then that item's seq. */
#define OUTBOX_E_DEPENDENCY (-1)

struct outbox_item {
    int64_t seq;
    uint8_t uuid[OUTBOX_UUID_LEN];
    char method[32];
    uint8_t *payload; /* malloc'ed */
    size_t len;
    int64_t batch;
    char ref[256]; /* what it is about: period, task code, "sha256 name", submission id */
    int64_t created_at_ms;
    int attempts;
    int64_t last_attempt_ms;
    char last_error[1024];
    int error_code; /* the server's status when refused or last failed; 0 = transport */
    char state[16]; /* queued | failed */
};

/* What the server acknowledged (the union of the receipts' fields). */
struct outbox_receipt {
    bool replay;
    int64_t received_at_ms;
    int64_t submission_id;
    int32_t revision;
    bool on_time;
    int64_t deadline_at_ms;
    int64_t version; /* TaskUpdate */
    char state[32];  /* Review */
    int64_t reviewed_at_ms;
};

/* 16 random bytes (RAND_bytes) with the RFC 4122 version-4 bits. 0 or -1. */
int outbox_new_uuid(uint8_t uuid[OUTBOX_UUID_LEN]);
/* "xxxxxxxx-xxxx-...": 37 bytes. */
void outbox_uuid_str(const uint8_t uuid[OUTBOX_UUID_LEN], char out[37]);

/* Queue msg (already carrying uuid in its request_uuid field, except for
 * "Attachment") inside the caller's transaction. batch 0 starts a new batch
 * (the item's own seq). 0 and *seq, or -1 (store_errmsg). */
int outbox_add(struct store *s, int64_t batch, const char *method, const char *ref,
               const uint8_t uuid[OUTBOX_UUID_LEN], const ProtobufCMessage *msg, int64_t *seq)
    __attribute__((warn_unused_result));

/* Items waiting to be sent (state queued); -1 on error. */
int outbox_waiting(struct store *s);
/* Items the server refused (state failed); -1 on error. */
int outbox_failed(struct store *s);

/* The first queued item with seq > after_seq. 1 found (free with
 * outbox_item_free), 0 none, -1 error. */
int outbox_next(struct store *s, int64_t after_seq, struct outbox_item *it);
/* Load one item by seq, any state. 1, 0, -1 as above. */
int outbox_get(struct store *s, int64_t seq, struct outbox_item *it);
void outbox_item_free(struct outbox_item *it);

/* The queued item of `method` about `ref` (the newest), if any: 1 with *seq
 * and *attempts, 0 none, -1 error. */
int outbox_find_queued(struct store *s, const char *method, const char *ref, int64_t *seq,
                       int *attempts);
/* Remove a queued item that was never tried (attempts = 0), inside the
 * caller's transaction. 1 removed, 0 not (tried, or gone), -1 error. */
int outbox_remove_untried(struct store *s, int64_t seq);

/* Commit attempts + 1 and the time, BEFORE the request is sent: from then on
 * the server may have it. 0; 1 when the item is no longer queued (replaced
 * by a newer untried one meanwhile: do not send it); -1 error. */
int outbox_begin_attempt(struct store *s, int64_t seq);
/* Keep the item queued but remember why this attempt did not get through
 * (code: server status, 0 for transport). 0 or -1. */
int outbox_note_error(struct store *s, int64_t seq, int code, const char *msg);

/* ONE transaction: record the receipt, delete the item, apply its effects
 * to the local state (draft sent with its submission id and revision; task
 * status and version; submission row). 0 or -1 (nothing changed). */
int outbox_ack(struct store *s, const struct outbox_item *it, const struct outbox_receipt *r);
/* ONE transaction: mark the item failed with the server's status and words,
 * and the later queued items of its batch (they depend on it) failed too;
 * a draft whose Submit was refused goes back to state draft. Returns the
 * number of items marked (>= 1), or -1. */
int outbox_fail(struct store *s, const struct outbox_item *it, int code, const char *msg);
/* Delete failed items (the person has read why). Returns how many, or -1. */
int outbox_forget_failed(struct store *s);

/* After a change: "saved, N waiting to send" (translated) on stdout, or with
 * json {"saved": true, "waiting": N, ...extra} (extra may be NULL; its
 * reference is taken). Returns an exit code. */
int outbox_say_saved(struct store *s, bool json, json_t *extra);

#endif
