/* sd_notify: tell systemd (Type=notify) that tamnongd is ready or stopping,
 * without linking libsystemd: one datagram to $NOTIFY_SOCKET. */
#ifndef TAMNONG_SD_NOTIFY_H
#define TAMNONG_SD_NOTIFY_H

/* Send state ("READY=1", "STOPPING=1", "STATUS=..." lines). 0 when sent or
 * when not started by systemd ($NOTIFY_SOCKET unset), else negative errno. */
int sd_notify_send(const char *state);

#endif
