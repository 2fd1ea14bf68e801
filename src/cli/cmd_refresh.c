/*
 * `axon refresh NAME`: restarts an API's replicas with no downtime (the
 * model is loaded and warmed up again, then swapped in; in-flight requests
 * finish on the old replicas).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: axon refresh NAME [--state-dir DIR]\n"
    "\n"
    "Restarts the API's replicas with no downtime: new replicas load and\n"
    "warm up the model, then take the traffic; the old ones finish their\n"
    "in-flight requests.\n";

int axon_cli_refresh(int argc, char **argv)
{
    const char *name = NULL, *state_dir = NULL;
    for (int i = 1; i < argc; i++) {
        int r;
        if (axon_cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        }
        if ((r = axon_cli_state_opt(argc, argv, &i, &state_dir, "refresh"))) {
            if (r < 0)
                return 2;
            continue;
        }
        if (argv[i][0] == '-')
            return axon_cli_usage_fail("refresh", "unknown option '%s' (try "
                                       "--help)", argv[i]);
        if (name)
            return axon_cli_usage_fail("refresh", "one API name at a time");
        name = argv[i];
    }
    if (!name)
        return axon_cli_usage_fail("refresh", "which API? (axon refresh "
                                   "NAME)");
    char line[256];
    snprintf(line, sizeof(line), "refresh %s", name);
    return axon_cli_admin("refresh", state_dir, line, NULL, 0);
}
