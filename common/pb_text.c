/* pb_text: string fields of raw protobuf bytes are valid UTF-8 without NUL
 * (see pb_text.h). */
#include "pb_text.h"

#include <stdio.h>
#include <string.h>

#include "utf8.h"

#define MAX_COUNTED_FIELDS 64

static bool read_varint(const uint8_t *buf, size_t len, size_t *pos, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64 && *pos < len; shift += 7) {
        uint8_t b = buf[(*pos)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* 1 = all good, 0 = a bad string (path in field), -1 = malformed (give up). */
static int walk(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len, char *field,
                size_t field_size, size_t prefix, int depth)
{
    unsigned counts[MAX_COUNTED_FIELDS] = {0};
    size_t pos = 0;
    while (pos < len) {
        uint64_t key, n;
        if (!read_varint(buf, len, &pos, &key))
            return -1;
        uint32_t num = (uint32_t)(key >> 3);
        switch (key & 7) {
        case 0:
            if (!read_varint(buf, len, &pos, &n))
                return -1;
            continue;
        case 1:
            if (len - pos < 8)
                return -1;
            pos += 8;
            continue;
        case 5:
            if (len - pos < 4)
                return -1;
            pos += 4;
            continue;
        case 2:
            break;
        default:
            return -1; /* groups: not used by our messages */
        }
        if (!read_varint(buf, len, &pos, &n) || n > len - pos)
            return -1;
        const uint8_t *val = buf + pos;
        pos += (size_t)n;
        const ProtobufCFieldDescriptor *f =
            key >> 3 <= UINT32_MAX ? protobuf_c_message_descriptor_get_field(desc, num) : NULL;
        if (!f || (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE))
            continue;
        size_t fi = (size_t)(f - desc->fields);
        unsigned index = fi < MAX_COUNTED_FIELDS ? counts[fi]++ : 0;
        size_t end = prefix;
        if (end < field_size) {
            int w = f->label == PROTOBUF_C_LABEL_REPEATED
                        ? snprintf(field + end, field_size - end, "%s%s[%u]", end ? "." : "",
                                   f->name, index)
                        : snprintf(field + end, field_size - end, "%s%s", end ? "." : "", f->name);
            end = w < 0 ? field_size : end + (size_t)w;
            if (end >= field_size)
                end = field_size - 1;
        }
        if (f->type == PROTOBUF_C_TYPE_STRING) {
            if (!utf8_valid((const char *)val, (size_t)n))
                return 0;
        } else if (depth < PB_TEXT_MAX_DEPTH) {
            int r = walk(f->descriptor, val, (size_t)n, field, field_size, end, depth + 1);
            if (r <= 0)
                return r;
        }
        if (prefix < field_size)
            field[prefix] = '\0';
    }
    return 1;
}

bool pb_text_check(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len,
                   char *field, size_t field_size)
{
    if (field_size)
        field[0] = '\0';
    return walk(desc, buf, len, field, field_size, 0, 0) != 0;
}
