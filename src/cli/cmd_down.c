/*
 * `axon down`: stops the daemon after draining every API. The applied
 * specs stay in state.db, so the next `axon deploy` (or `axon daemon`)
 * serves them again.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "axon/control.h"
#include "cli.h"

static const char usage[] =
    "usage: axon down [--state-dir DIR]\n"
    "\n"
    "Drains every API and stops the daemon. The applied specs are kept:\n"
    "the next axon deploy brings them back.\n";

int axon_cli_down(int argc, char **argv)
{
    const char *state_dir = NULL;
    for (int i = 1; i < argc; i++) {
        int r;
        if (axon_cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        }
        if ((r = axon_cli_state_opt(argc, argv, &i, &state_dir, "down"))) {
            if (r < 0)
                return 2;
            continue;
        }
        return axon_cli_usage_fail("down", "unknown argument '%s' (try "
                                   "--help)", argv[i]);
    }
    int rc = axon_cli_admin("down", state_dir, "down", NULL, 0);
    if (rc)
        return rc;
    /* wait until the socket is gone so that a following deploy starts a
     * fresh daemon */
    char sock[4200];
    axon_admin_socket_path(state_dir, sock, sizeof(sock));
    for (int i = 0; i < 300; i++) {
        char err[300];
        int status;
        FILE *null = fopen("/dev/null", "w");
        axon_err e = axon_admin_call(state_dir, "info", NULL, 0, null,
                                     &status, err, sizeof(err));
        if (null)
            fclose(null);
        if (e == AXON_ERR_NOT_READY)
            return 0;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return axon_cli_fail("down", "the daemon did not stop within 30 s");
}
