/*
 * Admin socket helpers shared by the daemon and the client (admin.c).
 */
#ifndef AXON_ADMIN_INT_H
#define AXON_ADMIN_INT_H

#include <stddef.h>

/* Binds and listens on a Unix socket at path with mode 0600 (an old socket
 * file is replaced). Returns the fd, or -1 with the reason in err. */
int axon__admin_listen(const char *path, char *err, size_t errlen);

/* Writes all of buf to a socket (no SIGPIPE). 0, or -1 when the peer went
 * away. */
int axon__write_all(int fd, const void *buf, size_t len);

#endif
