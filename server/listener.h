/* listener: the agency port. Accepts TCP connections and hands each to
 * conn_accept; closed first when tamnongd drains. */
#ifndef TAMNONG_LISTENER_H
#define TAMNONG_LISTENER_H

#include <stddef.h>

#include "server.h"

struct listener;

/* Bind and listen on address:port (an IPv4 or IPv6 literal). 0, or a
 * negative errno with a message in err. */
int listener_start(struct server *srv, const char *address, int port, struct listener **out,
                   char *err, size_t errlen) __attribute__((warn_unused_result));
/* Stop accepting; the socket is closed and freed from the loop. */
void listener_close(struct listener *l);

#endif
