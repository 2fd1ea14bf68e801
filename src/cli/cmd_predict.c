/*
 * `axon predict NAME FILE.json`: posts the file to the API's endpoint
 * (POST /v2/models/NAME/infer on the daemon's HTTP port) and prints the
 * answer. A non-2XX answer exits 1 with the status and the server's reason
 * on one line.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "axon/control.h"
#include "cli.h"

static const char usage[] =
    "usage: axon predict NAME FILE.json [--state-dir DIR]\n"
    "\n"
    "Posts FILE.json (a KServe v2 inference request, e.g.\n"
    "{\"inputs\": [{\"name\": \"features\", \"shape\": [1, 4],\n"
    "\"datatype\": \"FP32\", \"data\": [5.1, 3.5, 1.4, 0.2]}]}) to the API\n"
    "and prints the JSON answer. Use - to read the request from stdin.\n";

static char *slurp(FILE *f, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *mem = open_memstream(&buf, &n);
    char chunk[8192];
    size_t r;
    if (!mem)
        return NULL;
    while ((r = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, r, mem);
    fclose(mem);
    *len = n;
    return buf;
}

/* host/port of the daemon's HTTP server from the admin "info" answer. */
static int daemon_http(const char *state_dir, char *host, size_t hl,
                       char *port, size_t pl)
{
    char *buf = NULL, err[600];
    size_t len = 0;
    int status;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return axon_cli_fail("predict", "out of memory");
    axon_err rc = axon_admin_call(state_dir, "info", NULL, 0, mem, &status,
                                  err, sizeof(err));
    fclose(mem);
    if (rc) {
        free(buf);
        return axon_cli_fail("predict", "%s", err);
    }
    snprintf(host, hl, "127.0.0.1");
    snprintf(port, pl, "8080");
    for (char *l = buf; l && *l;) {
        char *nl = strchr(l, '\n');
        if (nl)
            *nl = 0;
        if (strncmp(l, "port ", 5) == 0)
            snprintf(port, pl, "%s", l + 5);
        else if (strncmp(l, "host ", 5) == 0 && strcmp(l + 5, "0.0.0.0"))
            snprintf(host, hl, "%s", l + 5);
        l = nl ? nl + 1 : NULL;
    }
    free(buf);
    return 0;
}

int axon_cli_predict(int argc, char **argv)
{
    const char *name = NULL, *file = NULL, *state_dir = NULL;
    for (int i = 1; i < argc; i++) {
        int r;
        if (axon_cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        }
        if ((r = axon_cli_state_opt(argc, argv, &i, &state_dir, "predict"))) {
            if (r < 0)
                return 2;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return axon_cli_usage_fail("predict", "unknown option '%s' (try "
                                       "--help)", argv[i]);
        if (!name)
            name = argv[i];
        else if (!file)
            file = argv[i];
        else
            return axon_cli_usage_fail("predict", "too many arguments");
    }
    if (!name || !file)
        return axon_cli_usage_fail("predict", "usage: axon predict NAME "
                                   "FILE.json");
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    if (!f)
        return axon_cli_fail("predict", "%s: %s", file, strerror(errno));
    size_t blen = 0;
    char *body = slurp(f, &blen);
    if (f != stdin)
        fclose(f);
    if (!body)
        return axon_cli_fail("predict", "out of memory");

    char host[256], port[16];
    int ret = daemon_http(state_dir, host, sizeof(host), port, sizeof(port));
    if (ret) {
        free(body);
        return ret;
    }
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    int fd = -1;
    if (getaddrinfo(host, port, &hints, &ai) == 0) {
        for (struct addrinfo *p = ai; p; p = p->ai_next) {
            fd = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
            if (fd >= 0 && connect(fd, p->ai_addr, p->ai_addrlen) == 0)
                break;
            if (fd >= 0)
                close(fd);
            fd = -1;
        }
        freeaddrinfo(ai);
    }
    if (fd < 0) {
        free(body);
        return axon_cli_fail("predict", "cannot connect to %s:%s (is the "
                             "daemon serving HTTP?)", host, port);
    }
    char head[512];
    int hlen = snprintf(head, sizeof(head),
                        "POST /v2/models/%s/infer HTTP/1.1\r\nHost: %s:%s\r\n"
                        "Content-Type: application/json\r\nContent-Length: "
                        "%zu\r\nConnection: close\r\n\r\n",
                        name, host, port, blen);
    int ok = send(fd, head, (size_t)hlen, MSG_NOSIGNAL) == hlen;
    for (size_t off = 0; ok && off < blen;) {
        ssize_t w = send(fd, body + off, blen - off, MSG_NOSIGNAL);
        if (w <= 0)
            ok = 0;
        else
            off += (size_t)w;
    }
    free(body);
    char *resp = NULL;
    size_t rlen = 0;
    FILE *mem = ok ? open_memstream(&resp, &rlen) : NULL;
    char chunk[8192];
    ssize_t r;
    while (mem && (r = recv(fd, chunk, sizeof(chunk), 0)) > 0)
        fwrite(chunk, 1, (size_t)r, mem);
    if (mem)
        fclose(mem);
    close(fd);
    if (!ok || !resp)
        return axon_cli_fail("predict", "the request could not be sent");
    int code = 0;
    if (sscanf(resp, "HTTP/1.%*d %d", &code) != 1) {
        free(resp);
        return axon_cli_fail("predict", "not an HTTP answer");
    }
    char *b = strstr(resp, "\r\n\r\n");
    b = b ? b + 4 : resp + rlen;
    /* chunked bodies: join the chunks */
    if (strstr(resp, "Transfer-Encoding: chunked") ||
        strstr(resp, "transfer-encoding: chunked")) {
        char *w = b, *p = b;
        for (;;) {
            char *end;
            unsigned long n = strtoul(p, &end, 16);
            if (end == p || n == 0)
                break;
            p = strstr(end, "\r\n");
            if (!p)
                break;
            p += 2;
            memmove(w, p, n);
            w += n;
            p += n + 2;
        }
        *w = 0;
    }
    if (code < 200 || code > 299) {
        size_t bl = strlen(b);
        while (bl && (b[bl - 1] == '\n' || b[bl - 1] == '\r'))
            b[--bl] = 0;
        ret = axon_cli_fail("predict", "HTTP %d: %s", code, b);
    } else {
        fputs(b, stdout);
        if (!*b || b[strlen(b) - 1] != '\n')
            fputc('\n', stdout);
        ret = 0;
    }
    free(resp);
    return ret;
}
