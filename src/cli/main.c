/*
 * The `axon` command-line tool: a table of commands {name, fn, summary} and
 * one dispatch. Each command is in its own file (see cli.h). Global options
 * are only --help and --version; everything else belongs to a command.
 */
#include <stdio.h>
#include <string.h>

#include "axon/axon.h"
#include "cli.h"

typedef struct cli_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} cli_cmd;

static const cli_cmd commands[] = {
    {"run", axon_cli_run, "run a model on inputs from .npy/.json files"},
    {"inspect", axon_cli_inspect, "show a model's inputs, outputs and ops"},
    {"bench", axon_cli_bench, "measure load time, latency and memory"},
    {"serve", axon_cli_serve, "serve models over HTTP (KServe v2)"},
    {"validate", axon_cli_validate, "check an axon.yaml without deploying"},
    {"deploy", axon_cli_deploy, "apply an axon.yaml (starts the daemon)"},
    {"get", axon_cli_get, "list deployed APIs, or show one"},
    {"predict", axon_cli_predict, "send a JSON request to an API"},
    {"logs", axon_cli_logs, "show an API's events (-f to follow)"},
    {"refresh", axon_cli_refresh, "restart an API's replicas, no downtime"},
    {"delete", axon_cli_delete, "drain and remove an API (or --all)"},
    {"down", axon_cli_down, "drain everything and stop the daemon"},
    {"daemon", axon_cli_daemon, "run the deploy daemon in the foreground"},
};

static void print_help(FILE *f)
{
    fprintf(f,
            "usage: axon <command> [options]\n"
            "       axon --help | --version\n"
            "       axon <command> --help\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (axon_cli_is_help(name) || strcmp(name, "help") == 0) {
        print_help(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("axon %s\n", axon_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(commands[i].name, name) != 0)
            continue;
        if (!commands[i].fn)
            return axon_cli_fail(name, "not built into this binary");
        return commands[i].fn(argc - 1, argv + 1);
    }
    if (name[0] == '-')
        return axon_cli_usage_fail(NULL, "unknown option '%s' (try axon --help)",
                                   name);
    return axon_cli_usage_fail(NULL, "unknown command '%s' (try axon --help)",
                               name);
}
