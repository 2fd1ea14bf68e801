/*
 * `axon run` (being written).
 */
#include "cli.h"

int axon_cli_run(int argc, char **argv)
{
    (void)argc;
    return axon_cli_fail(argv[0], "not implemented yet");
}
