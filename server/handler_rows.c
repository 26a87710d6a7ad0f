/* handler_rows: response messages straight from the rows of a query, for the
 * long lists (thousands of rows) where building, sending and parsing one JSON
 * document would cost more than the query (issue 6). Columns are matched to
 * fields by name once per result; "f.g" fills field g of the nested message f.
 * Strings point into the PGresult, so the response must be sent before the
 * result is cleared (handlers answer from their rows callback). */
#include <stdlib.h>
#include <string.h>

#include "handler_util.h"

/* Where one column goes: field f of the message, or field f of the nested
 * message in field outer (outer NULL: no nesting). */
struct column_target {
    const ProtobufCFieldDescriptor *outer;
    const ProtobufCFieldDescriptor *f;
};

static bool scalar_field(const ProtobufCFieldDescriptor *f)
{
    return f && f->label != PROTOBUF_C_LABEL_REPEATED && f->type != PROTOBUF_C_TYPE_MESSAGE &&
           f->type != PROTOBUF_C_TYPE_BYTES && f->type != PROTOBUF_C_TYPE_FLOAT &&
           f->type != PROTOBUF_C_TYPE_DOUBLE;
}

/* The target of a column name; t->f NULL when no field has that name. */
static void column_target(const ProtobufCMessageDescriptor *d, const char *name,
                          struct column_target *t)
{
    t->outer = NULL;
    t->f = NULL;
    const char *dot = strchr(name, '.');
    if (!dot) {
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field_by_name(d, name);
        t->f = scalar_field(f) ? f : NULL;
        return;
    }
    char outer[64];
    size_t n = (size_t)(dot - name);
    if (n >= sizeof outer)
        return;
    memcpy(outer, name, n);
    outer[n] = '\0';
    const ProtobufCFieldDescriptor *o = protobuf_c_message_descriptor_get_field_by_name(d, outer);
    if (!o || o->type != PROTOBUF_C_TYPE_MESSAGE || o->label == PROTOBUF_C_LABEL_REPEATED)
        return;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(o->descriptor, dot + 1);
    if (scalar_field(f)) {
        t->outer = o;
        t->f = f;
    }
}

/* The column's text into the field storage at p. */
static void column_value(const ProtobufCFieldDescriptor *f, void *p, char *text)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
        *(const char **)p = text;
        break;
    case PROTOBUF_C_TYPE_BOOL:
        *(protobuf_c_boolean *)p = text[0] == 't';
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        *(int64_t *)p = strtoll(text, NULL, 10);
        break;
    default: /* the 32-bit integers and enums */
        *(int32_t *)p = (int32_t)strtol(text, NULL, 10);
        break;
    }
}

ProtobufCMessage **arena_messages_rows(struct arena *a, const ProtobufCMessageDescriptor *d,
                                       const PGresult *res, int first_row, size_t *n)
{
    int rows = PQntuples(res), cols = PQnfields(res);
    *n = rows > first_row ? (size_t)(rows - first_row) : 0;
    ProtobufCMessage **out = (ProtobufCMessage **)arena_ptrs(a, *n);
    struct column_target *targets = arena_alloc(a, (size_t)(cols > 0 ? cols : 1) * sizeof *targets);
    if (!out || !targets)
        return NULL;
    for (int c = 0; c < cols; c++)
        column_target(d, PQfname(res, c), &targets[c]);
    /* one block per kind of message: a few allocations for thousands of rows */
    char *msgs = *n ? arena_alloc(a, *n * d->sizeof_message) : NULL;
    if (*n && !msgs)
        return NULL;
    for (size_t i = 0; i < *n; i++) {
        int row = first_row + (int)i;
        ProtobufCMessage *m = (ProtobufCMessage *)(msgs + i * d->sizeof_message);
        protobuf_c_message_init(d, m);
        out[i] = m;
        for (int c = 0; c < cols; c++) {
            const struct column_target *t = &targets[c];
            if (!t->f || PQgetisnull(res, row, c))
                continue;
            char *base = (char *)m;
            if (t->outer) {
                ProtobufCMessage **inner = (ProtobufCMessage **)(base + t->outer->offset);
                if (!*inner) {
                    const ProtobufCMessageDescriptor *od = t->outer->descriptor;
                    if (!(*inner = arena_alloc(a, od->sizeof_message)))
                        return NULL;
                    protobuf_c_message_init(od, *inner);
                }
                base = (char *)*inner;
            }
            column_value(t->f, base + t->f->offset, PQgetvalue(res, row, c));
        }
    }
    return out;
}
