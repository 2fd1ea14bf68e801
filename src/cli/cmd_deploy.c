/*
 * `axon deploy [axon.yaml]`: checks the spec here, starts the local daemon
 * when none answers (it detaches and logs to STATE_DIR/daemon.log), sends
 * it the spec and prints, per API, created / updated / unchanged and its
 * endpoint. Also `axon daemon` (the daemon process itself, started by
 * deploy; runs in the foreground) and the admin helper every
 * deploy-workflow command shares.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "axon/control.h"
#include "cli.h"

int axon_cli_admin(const char *cmd, const char *state_dir, const char *line,
                   const char *body, size_t body_len)
{
    char err[600];
    int status = 1;
    /* the daemon's answer goes to stdout on success, stderr on failure:
     * buffer it to decide */
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return axon_cli_fail(cmd, "out of memory");
    axon_err rc = axon_admin_call(state_dir, line, body, body_len, mem,
                                  &status, err, sizeof(err));
    fclose(mem);
    if (rc) {
        free(buf);
        return axon_cli_fail(cmd, "%s", err);
    }
    if (status == 0) {
        fwrite(buf, 1, len, stdout);
    } else {
        /* first line is the one-line reason; the rest (per-API lines of an
         * apply) goes to stdout */
        char *nl = buf ? strchr(buf, '\n') : NULL;
        int multi = nl && nl[1];
        if (multi) {
            fwrite(buf, 1, len, stdout);
            fflush(stdout);
            axon_cli_fail(cmd, "some APIs failed (see above)");
        } else {
            if (nl)
                *nl = 0;
            axon_cli_fail(cmd, "%s", buf && buf[0] ? buf : "failed");
        }
    }
    free(buf);
    return status;
}

int axon_cli_state_opt(int argc, char **argv, int *i, const char **state_dir,
                       const char *cmd)
{
    return axon_cli_opt(argc, argv, i, "--state-dir", state_dir, cmd);
}

/* Starts `axon daemon` detached; 0 when it answers within 15 s. */
static int start_daemon(const char *state_dir, const char *port,
                        const char *host)
{
    char dir[4096], log[4200];
    axon_state_dir(state_dir, dir, sizeof(dir));
    if (mkdir(dir, 0700) && errno != EEXIST) {
        axon_cli_fail("deploy", "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    snprintf(log, sizeof(log), "%s/daemon.log", dir);
    pid_t pid = fork();
    if (pid < 0) {
        axon_cli_fail("deploy", "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        /* grandchild: detached from the terminal and our process group */
        if (setsid() < 0)
            _exit(1);
        pid_t p2 = fork();
        if (p2 != 0)
            _exit(p2 < 0 ? 1 : 0);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        int nul = open("/dev/null", O_RDONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (nul >= 0)
            dup2(nul, 0);
        char *args[10];
        int n = 0;
        args[n++] = "axon";
        args[n++] = "daemon";
        args[n++] = "--state-dir";
        args[n++] = dir;
        if (port) {
            args[n++] = "--port";
            args[n++] = (char *)port;
        }
        if (host) {
            args[n++] = "--host";
            args[n++] = (char *)host;
        }
        args[n] = NULL;
        execv("/proc/self/exe", args);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    for (int i = 0; i < 150; i++) {
        char err[300];
        int status;
        FILE *null = fopen("/dev/null", "w");
        axon_err rc = axon_admin_call(dir, "info", NULL, 0, null, &status,
                                      err, sizeof(err));
        if (null)
            fclose(null);
        if (rc == AXON_ERR_OK)
            return 0;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    /* the daemon's last words say why (port taken, ...) */
    char last[512] = "";
    FILE *lf = fopen(log, "r");
    if (lf) {
        char l[512];
        while (fgets(l, sizeof(l), lf))
            if (l[0] != '\n')
                snprintf(last, sizeof(last), "%s", l);
        fclose(lf);
    }
    size_t n = strlen(last);
    while (n && (last[n - 1] == '\n' || last[n - 1] == '\r'))
        last[--n] = 0;
    axon_cli_fail("deploy", "the daemon did not start: %s (log: %s)",
                  last[0] ? last : "no message", log);
    return -1;
}

static const char deploy_usage[] =
    "usage: axon deploy [axon.yaml] [--port N] [--host ADDR] "
    "[--state-dir DIR]\n"
    "\n"
    "Applies a spec: starts the local daemon if none is running (HTTP on\n"
    "127.0.0.1:8080 by default, admin API on STATE_DIR/axon.sock, mode\n"
    "0600), then creates or updates each API with a rolling update and\n"
    "prints per API: created / updated / unchanged and its endpoint.\n"
    "Re-running with no change changes nothing. A version that fails to\n"
    "load leaves the previous one serving (exit status 1).\n"
    "\n"
    "options:\n"
    "  --port N         HTTP port when the daemon starts (default 8080)\n"
    "  --host ADDR      HTTP listen address (default 127.0.0.1)\n"
    "  --state-dir DIR  daemon state (default $AXON_STATE_DIR or ~/.axon)\n"
    "  -h, --help       show this help\n";

int axon_cli_deploy(int argc, char **argv)
{
    const char *path = NULL, *state_dir = NULL, *port = NULL, *host = NULL;
    for (int i = 1; i < argc; i++) {
        int r;
        if (axon_cli_is_help(argv[i])) {
            fputs(deploy_usage, stdout);
            return 0;
        }
        if ((r = axon_cli_state_opt(argc, argv, &i, &state_dir, "deploy")))
            {
            if (r < 0)
                return 2;
            continue;
        }
        if ((r = axon_cli_opt(argc, argv, &i, "--port", &port, "deploy"))) {
            long long p;
            if (r < 0)
                return 2;
            if (axon_cli_parse_int(port, 1, 65535, &p))
                return axon_cli_usage_fail("deploy", "--port expects 1 to "
                                           "65535, got '%s'", port);
            continue;
        }
        if ((r = axon_cli_opt(argc, argv, &i, "--host", &host, "deploy"))) {
            if (r < 0)
                return 2;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return axon_cli_usage_fail("deploy",
                                       "unknown option '%s' (try --help)",
                                       argv[i]);
        if (path)
            return axon_cli_usage_fail("deploy", "one spec file at a time");
        path = argv[i];
    }
    if (!path)
        path = "axon.yaml";

    /* check here first: a broken spec needs no daemon */
    char err[600];
    axon_spec *spec = NULL;
    if (axon_spec_parse_file(path, &spec, err, sizeof(err)))
        return axon_cli_fail("deploy", "%s", err);
    axon_spec_free(spec);

    char abs[4096];
    if (!realpath(path, abs))
        return axon_cli_fail("deploy", "%s: %s", path, strerror(errno));
    FILE *f = fopen(abs, "rb");
    if (!f)
        return axon_cli_fail("deploy", "%s: %s", path, strerror(errno));
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    char chunk[8192];
    size_t n;
    while (mem && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, n, mem);
    fclose(f);
    if (!mem)
        return axon_cli_fail("deploy", "out of memory");
    fclose(mem);

    char dir[4096];
    axon_state_dir(state_dir, dir, sizeof(dir));
    int status;
    FILE *null = fopen("/dev/null", "w");
    axon_err rc = axon_admin_call(dir, "info", NULL, 0, null, &status, err,
                                  sizeof(err));
    if (null)
        fclose(null);
    if (rc == AXON_ERR_NOT_READY) {
        if (start_daemon(dir, port, host)) {
            free(text);
            return 1;
        }
    } else if (rc) {
        free(text);
        return axon_cli_fail("deploy", "%s", err);
    }
    char line[4200];
    snprintf(line, sizeof(line), "apply %s", abs);
    int ret = axon_cli_admin("deploy", dir, line, text, len);
    free(text);
    return ret;
}

static const char daemon_usage[] =
    "usage: axon daemon [--port N] [--host ADDR] [--state-dir DIR]\n"
    "\n"
    "Runs the deploy daemon in the foreground (axon deploy starts it in\n"
    "the background). Serves the APIs stored in STATE_DIR/state.db, takes\n"
    "admin requests on STATE_DIR/axon.sock, stops on `axon down`, SIGTERM\n"
    "or SIGINT after draining.\n";

int axon_cli_daemon(int argc, char **argv)
{
    axon_daemon_opts o;
    memset(&o, 0, sizeof(o));
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (axon_cli_is_help(argv[i])) {
            fputs(daemon_usage, stdout);
            return 0;
        }
        if ((r = axon_cli_state_opt(argc, argv, &i, &o.state_dir, "daemon")))
            {
            if (r < 0)
                return 2;
            continue;
        }
        if ((r = axon_cli_opt(argc, argv, &i, "--host", &o.host, "daemon"))) {
            if (r < 0)
                return 2;
            continue;
        }
        if ((r = axon_cli_opt(argc, argv, &i, "--port", &v, "daemon"))) {
            long long p;
            if (r < 0)
                return 2;
            if (axon_cli_parse_int(v, 1, 65535, &p))
                return axon_cli_usage_fail("daemon", "--port expects 1 to "
                                           "65535, got '%s'", v);
            o.port = (int)p;
            continue;
        }
        return axon_cli_usage_fail("daemon", "unknown argument '%s'",
                                   argv[i]);
    }
    char err[600];
    if (axon_daemon_run(&o, err, sizeof(err)))
        return axon_cli_fail("daemon", "%s", err);
    return 0;
}
