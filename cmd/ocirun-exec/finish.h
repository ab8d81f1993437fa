#ifndef OCIRUN_FINISH_H
#define OCIRUN_FINISH_H

#include <stdint.h>

// ocirun_finish applies an encoded initproto.Plan to this process and execs
// its program; a NULL plan is reported as unreadable. Errors go to sync_fd as MsgError; with listen_fd >= 0 it
// waits for "ocirun start" on that listening socket first, after which
// errors go to start's connection. It only returns by exiting.
void __attribute__((noreturn)) ocirun_finish(const uint8_t *plan, uint32_t len, int sync_fd, int listen_fd);

// ocirun_send_frame writes one message of the sync protocol to sock, with
// pass_fd attached unless it is -1; it ends the process if it cannot.
void ocirun_send_frame(int sock, uint8_t type, const void *payload, uint32_t len, int pass_fd);

// ocirun_errtext is strerror in the words Go uses for errno values.
const char *ocirun_errtext(int err);

#endif
