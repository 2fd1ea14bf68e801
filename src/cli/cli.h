/*
 * Internal interface of the `axon` command-line tool. main.c keeps a table
 * of commands {name, fn, summary}; each command lives in its own file
 * (cmd_<name>.c) and is a function with the shape of main():
 *
 *     int axon_cli_<name>(int argc, char **argv);
 *
 * argv[0] is the command name ("run"), argv[1..argc-1] its arguments. A
 * command answers `--help`/`-h` itself (usage on stdout, exit 0) and returns
 * the process exit status: 0 on success, 1 on failure (after printing one
 * line "axon: <cmd>: <reason>" to stderr with axon_cli_fail), 2 on a usage
 * error (same one-line format). The CLI uses only the public API
 * (the headers in include/axon/), like curl's tool uses libcurl.
 *
 * To add a command: write cmd_<name>.c, declare its function below, add one
 * row to the table in main.c.
 */
#ifndef AXON_CLI_H
#define AXON_CLI_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define AXON_CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define AXON_CLI_PRINTF(a, b)
#endif

/* ---- commands (one file each) ---- */
int axon_cli_run(int argc, char **argv);     /* cmd_run.c */
int axon_cli_inspect(int argc, char **argv); /* cmd_inspect.c */
int axon_cli_bench(int argc, char **argv);   /* cmd_bench.c */
int axon_cli_serve(int argc, char **argv);   /* cmd_serve.c (server) */
/* deploy workflow (control plane) */
int axon_cli_deploy(int argc, char **argv);   /* cmd_deploy.c */
int axon_cli_daemon(int argc, char **argv);   /* cmd_deploy.c */
int axon_cli_validate(int argc, char **argv); /* cmd_validate.c */
int axon_cli_get(int argc, char **argv);      /* cmd_get.c */
int axon_cli_logs(int argc, char **argv);     /* cmd_logs.c */
int axon_cli_predict(int argc, char **argv);  /* cmd_predict.c */
int axon_cli_refresh(int argc, char **argv);  /* cmd_refresh.c */
int axon_cli_delete(int argc, char **argv);   /* cmd_delete.c */
int axon_cli_down(int argc, char **argv);     /* cmd_down.c */

/* Sends one admin request to the daemon of state_dir (borrowed; NULL =
 * default folder) and prints its answer: stdout on success; on failure a
 * one-line "axon: <cmd>: <reason>" (multi-line answers go to stdout first).
 * Returns the exit status (cmd_deploy.c). */
int axon_cli_admin(const char *cmd, const char *state_dir, const char *line,
                   const char *body, size_t body_len);

/* axon_cli_opt for "--state-dir DIR" (cmd_deploy.c). */
int axon_cli_state_opt(int argc, char **argv, int *i, const char **state_dir,
                       const char *cmd);

/* ---- helpers (cli_util.c) ---- */

/* Prints "axon: <cmd>: <reason>\n" to stderr (the reason is formatted and
 * any newline in it is replaced by a space so that the message stays on one
 * line). Returns 1 so that a command can write `return axon_cli_fail(...)`.
 * cmd: borrowed, may be NULL (then "axon: <reason>"). */
int axon_cli_fail(const char *cmd, const char *fmt, ...) AXON_CLI_PRINTF(2, 3);

/* As axon_cli_fail but returns 2 (usage error). */
int axon_cli_usage_fail(const char *cmd, const char *fmt, ...)
    AXON_CLI_PRINTF(2, 3);

/* 1 when arg is "-h" or "--help". arg may be NULL. */
int axon_cli_is_help(const char *arg);

/* Parses a whole decimal integer in [lo, hi] from s (borrowed). Returns 0
 * and sets *out, or -1 when s is not such a number. */
int axon_cli_parse_int(const char *s, long long lo, long long hi,
                       long long *out);

/* Option value helper for "--opt VALUE" and "--opt=VALUE" forms. If argv[*i]
 * is option `name`, stores its value in *val (borrowed from argv), advances
 * *i past a separate value and returns 1; returns 0 when argv[*i] is another
 * argument, -1 when the option lacks its value (message already printed
 * for cmd). */
int axon_cli_opt(int argc, char **argv, int *i, const char *name,
                 const char **val, const char *cmd);

#endif
