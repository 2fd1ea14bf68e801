/*
 * The admin channel between the CLI and the daemon: a Unix stream socket
 * (state_dir/axon.sock, mode 0600, so only the owner may drive the daemon).
 * One request per connection:
 *     client -> "<command line>\n<body>"   then shuts down its write side
 *     daemon -> "<status>\n<text>"         then closes
 * The status comes first so that long answers ("logs NAME follow") stream.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin_int.h"
#include "axon/control.h"
#include "common/common.h"

void axon_admin_socket_path(const char *state_dir, char *buf, size_t len)
{
    char dir[4096];
    axon_state_dir(state_dir, dir, sizeof(dir));
    snprintf(buf, len, "%s/axon.sock", dir);
}

static int fill_addr(const char *path, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa->sun_path))
        return -1;
    memcpy(sa->sun_path, path, strlen(path) + 1);
    return 0;
}

int axon__admin_listen(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa;
    if (fill_addr(path, &sa)) {
        axon__errf(err, errlen, AXON_ERR_INVALID_ARG,
                   "socket path too long: %s", path);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        axon__errf(err, errlen, AXON_ERR_IO, "socket: %s", strerror(errno));
        return -1;
    }
    unlink(path);
    /* created private: no window where others could connect */
    mode_t old = umask(0177);
    int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (r || chmod(path, 0600) || listen(fd, 16)) {
        axon__errf(err, errlen, AXON_ERR_IO, "cannot listen on %s: %s", path,
                   strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int axon__write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* "0".."255" -> value; anything else -> 1. */
static int parse_status(const char *s)
{
    int v = 0;
    if (!*s)
        return 1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 255)
            return 1;
        v = v * 10 + (*s - '0');
    }
    return v > 255 ? 1 : v;
}

axon_err axon_admin_call(const char *state_dir, const char *line,
                         const char *body, size_t body_len, FILE *out,
                         int *status_out, char *err, size_t errlen)
{
    char path[4200];
    struct sockaddr_un sa;
    axon_err rc = AXON_ERR_OK;
    int fd = -1;

    *status_out = 1;
    axon_admin_socket_path(state_dir, path, sizeof(path));
    if (fill_addr(path, &sa))
        return axon__errf(err, errlen, AXON_ERR_INVALID_ARG,
                          "socket path too long: %s", path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return axon__errf(err, errlen, AXON_ERR_IO, "socket: %s",
                          strerror(errno));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
        rc = axon__errf(err, errlen, AXON_ERR_NOT_READY,
                        "no daemon is running (nothing answers on %s)", path);
        goto out;
    }
    if (axon__write_all(fd, line, strlen(line)) ||
        axon__write_all(fd, "\n", 1) ||
        (body_len && axon__write_all(fd, body, body_len))) {
        rc = axon__errf(err, errlen, AXON_ERR_IO, "cannot talk to the "
                        "daemon: %s", strerror(errno));
        goto out;
    }
    shutdown(fd, SHUT_WR);

    /* status line, then copy the rest */
    char buf[8192];
    char status[16];
    size_t sl = 0;
    int got_status = 0;
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof(buf), 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = axon__errf(err, errlen, AXON_ERR_IO, "reading the daemon's "
                            "answer: %s", strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        size_t off = 0;
        while (!got_status && off < (size_t)r) {
            char ch = buf[off++];
            if (ch == '\n') {
                status[sl] = 0;
                got_status = 1;
                *status_out = parse_status(status);
            } else if (sl + 1 < sizeof(status)) {
                status[sl++] = ch;
            }
        }
        if (off < (size_t)r) {
            fwrite(buf + off, 1, (size_t)r - off, out);
            fflush(out);
        }
    }
    if (!got_status)
        rc = axon__errf(err, errlen, AXON_ERR_IO,
                        "the daemon closed the connection without answering");
out:
    close(fd);
    return rc;
}
