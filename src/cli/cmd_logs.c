/*
 * `axon logs NAME [-f]`: the API's event log (creations, version
 * roll-outs, load errors, autoscaling decisions); -f keeps following.
 */
#include <stdio.h>
#include <string.h>

#include "axon/control.h"
#include "cli.h"

static const char usage[] =
    "usage: axon logs NAME [-f] [--state-dir DIR]\n"
    "\n"
    "Prints the API's events: created/updated, versions going live, load\n"
    "errors, autoscaling decisions.\n"
    "\n"
    "options:\n"
    "  -f, --follow     keep printing new events until interrupted\n"
    "  --state-dir DIR  daemon state (default $AXON_STATE_DIR or ~/.axon)\n"
    "  -h, --help       show this help\n";

int axon_cli_logs(int argc, char **argv)
{
    const char *name = NULL, *state_dir = NULL;
    int follow = 0;
    for (int i = 1; i < argc; i++) {
        int r;
        if (axon_cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        }
        if ((r = axon_cli_state_opt(argc, argv, &i, &state_dir, "logs"))) {
            if (r < 0)
                return 2;
            continue;
        }
        if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--follow") == 0) {
            follow = 1;
            continue;
        }
        if (argv[i][0] == '-')
            return axon_cli_usage_fail("logs", "unknown option '%s' (try "
                                       "--help)", argv[i]);
        if (name)
            return axon_cli_usage_fail("logs", "one API name at a time");
        name = argv[i];
    }
    if (!name)
        return axon_cli_usage_fail("logs", "which API? (axon logs NAME)");
    char line[256];
    snprintf(line, sizeof(line), "logs %s%s", name, follow ? " follow" : "");
    if (!follow)
        return axon_cli_admin("logs", state_dir, line, NULL, 0);
    /* stream straight to stdout */
    char err[600];
    int status;
    if (axon_admin_call(state_dir, line, NULL, 0, stdout, &status, err,
                        sizeof(err)))
        return axon_cli_fail("logs", "%s", err);
    return status;
}
