/*
 * Shared scaffolding for the server unit tests (test_route.c,
 * test_server.c): one blocking HTTP/1.0 exchange with a server listening
 * on loopback. Header-only (static inline) so each test binary stays a
 * single translation unit.
 */
#ifndef AXON_TESTS_SERVER_TEST_UTIL_H
#define AXON_TESTS_SERVER_TEST_UTIL_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

/*
 * One HTTP/1.0 exchange with 127.0.0.1:port: sends `method path` with
 * `body` (borrowed, may be NULL), reads the whole response and copies its
 * body into out (borrowed, outlen bytes, always NUL-terminated).
 * Returns the status code, or -1 when the connection or the status line
 * fails. Not thread-safe: the response is read into a static buffer.
 */
static inline int http(int port, const char *method, const char *path,
                       const char *body, char *out, size_t outlen)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    char req[4096];
    int n = snprintf(req, sizeof(req),
                     "%s %s HTTP/1.0\r\nHost: x\r\nContent-Length: %zu\r\n\r\n%s",
                     method, path, body ? strlen(body) : 0, body ? body : "");
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    static char resp[1 << 16];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof(resp) - 1 &&
           (r = read(fd, resp + got, sizeof(resp) - 1 - got)) > 0)
        got += (size_t)r;
    resp[got] = '\0';
    close(fd);
    int status = 0;
    if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    const char *b = strstr(resp, "\r\n\r\n");
    snprintf(out, outlen, "%s", b ? b + 4 : "");
    return status;
}

#endif
