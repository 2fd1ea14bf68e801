/*
 * `axon delete NAME` / `axon delete --all`: drains an API (in-flight
 * requests finish) and removes it from the daemon and its stored state.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: axon delete NAME [--state-dir DIR]\n"
    "       axon delete --all [--state-dir DIR]\n"
    "\n"
    "Drains the API (in-flight requests finish) and removes it. A\n"
    "RealtimeAPI that a TrafficSplitter routes to must wait until the\n"
    "splitter is deleted (--all deletes splitters first).\n";

int axon_cli_delete(int argc, char **argv)
{
    const char *name = NULL, *state_dir = NULL;
    int all = 0;
    for (int i = 1; i < argc; i++) {
        int r;
        if (axon_cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        }
        if ((r = axon_cli_state_opt(argc, argv, &i, &state_dir, "delete"))) {
            if (r < 0)
                return 2;
            continue;
        }
        if (strcmp(argv[i], "--all") == 0) {
            all = 1;
            continue;
        }
        if (argv[i][0] == '-')
            return axon_cli_usage_fail("delete", "unknown option '%s' (try "
                                       "--help)", argv[i]);
        if (name)
            return axon_cli_usage_fail("delete", "one API name at a time");
        name = argv[i];
    }
    if (!name == !all)
        return axon_cli_usage_fail("delete", "give an API name or --all");
    char line[256];
    snprintf(line, sizeof(line), "delete %s", all ? "--all" : name);
    return axon_cli_admin("delete", state_dir, line, NULL, 0);
}
