/* pb_text: checks the raw bytes of a protobuf message for what protobuf-c
 * does not. protobuf-c accepts any bytes in a string field and hands them
 * over NUL-terminated, so a NUL inside a string silently cuts it short (the
 * rest would be lost, not refused), and invalid UTF-8 passes. This walks
 * the wire bytes with the message's descriptor and checks every string
 * field, at any depth, before anyone trusts the unpacked message. */
#ifndef TAMNONG_PB_TEXT_H
#define TAMNONG_PB_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

/* Maximum nesting of messages walked; deeper ones are not checked (the
 * unpacker bounds nesting itself). */
#define PB_TEXT_MAX_DEPTH 16

/* True when every string field of the message in buf[0..len) is valid UTF-8
 * without NUL. Otherwise false, with the first bad field's path written to
 * field ("values[3].note", repeated fields indexed from 0). Bytes that are
 * not a well-formed message are left to the unpacker: true. */
bool pb_text_check(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len,
                   char *field, size_t field_size) __attribute__((warn_unused_result));

#endif
