/*
 * The `axon` command-line tool (to be filled).
 */
#include <stdio.h>

#include "axon/axon.h"

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("axon %s\n", axon_version());
    return 0;
}
