/*
 * `axon get [NAME] [-o json] [--watch]`: the table of deployed APIs (api,
 * kind, status, replicas ready/requested, up-to-date, requests,
 * 2XX/4XX/5XX, p50/p99 latency, last update), or one API in detail
 * (endpoint, model version and signature, recent events).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char usage[] =
    "usage: axon get [NAME] [-o json] [--watch] [--state-dir DIR]\n"
    "\n"
    "Without NAME: one line per API. With NAME: its endpoint, model,\n"
    "version, input/output signature, counters and recent events.\n"
    "\n"
    "options:\n"
    "  -o json          machine-readable output\n"
    "  -w, --watch      redraw every 2 seconds until interrupted\n"
    "  --state-dir DIR  daemon state (default $AXON_STATE_DIR or ~/.axon)\n"
    "  -h, --help       show this help\n";

int axon_cli_get(int argc, char **argv)
{
    const char *name = NULL, *state_dir = NULL, *fmt = NULL, *count = NULL;
    int watch = 0;
    for (int i = 1; i < argc; i++) {
        int r;
        if (axon_cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        }
        if ((r = axon_cli_state_opt(argc, argv, &i, &state_dir, "get"))) {
            if (r < 0)
                return 2;
            continue;
        }
        if ((r = axon_cli_opt(argc, argv, &i, "-o", &fmt, "get")) ||
            (r = axon_cli_opt(argc, argv, &i, "--output", &fmt, "get"))) {
            if (r < 0)
                return 2;
            if (strcmp(fmt, "json") != 0 && strcmp(fmt, "table") != 0)
                return axon_cli_usage_fail("get", "-o expects json or table,"
                                           " got '%s'", fmt);
            continue;
        }
        /* hidden: stop watching after N redraws (tests) */
        if ((r = axon_cli_opt(argc, argv, &i, "--watch-count", &count,
                              "get"))) {
            if (r < 0)
                return 2;
            watch = 1;
            continue;
        }
        if (strcmp(argv[i], "-w") == 0 || strcmp(argv[i], "--watch") == 0) {
            watch = 1;
            continue;
        }
        if (argv[i][0] == '-')
            return axon_cli_usage_fail("get", "unknown option '%s' (try "
                                       "--help)", argv[i]);
        if (name)
            return axon_cli_usage_fail("get", "one API name at a time");
        name = argv[i];
    }
    char line[256];
    snprintf(line, sizeof(line), "get%s%s%s", name ? " " : "",
             name ? name : "", fmt && strcmp(fmt, "json") == 0 ? " json" : "");
    long long n = -1;
    if (count && axon_cli_parse_int(count, 1, 1000000, &n))
        return axon_cli_usage_fail("get", "--watch-count expects a count");
    for (long long k = 0;; k++) {
        if (watch)
            fputs("\033[H\033[2J", stdout);
        int rc = axon_cli_admin("get", state_dir, line, NULL, 0);
        fflush(stdout);
        if (!watch || rc || (n > 0 && k + 1 >= n))
            return rc;
        struct timespec ts = {2, 0};
        nanosleep(&ts, NULL);
    }
}
