/*
 * `axon validate [axon.yaml]`: parses and checks a spec without deploying
 * it (every error as file:line:col: what was expected), and checks that each
 * model path exists. `--print-defaults` writes the settings table as
 * markdown, which is how docs/deploy.md's defaults table is made.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "axon/control.h"
#include "cli.h"

static const char usage[] =
    "usage: axon validate [axon.yaml]\n"
    "       axon validate --print-defaults\n"
    "\n"
    "Checks a spec (default ./axon.yaml) without deploying it: YAML syntax,\n"
    "field names, bounds, cross-field rules, and that model paths exist.\n"
    "Prints one line per API, or one error line and exits 1.\n"
    "\n"
    "options:\n"
    "  --print-defaults  print every setting with its default and bounds\n"
    "                    as a markdown table\n"
    "  -q, --quiet       print nothing on success\n"
    "  -h, --help        show this help\n";

int axon_cli_validate(int argc, char **argv)
{
    const char *path = NULL;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (axon_cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--print-defaults") == 0) {
            return axon_spec_write_defaults_markdown(stdout) == AXON_ERR_OK
                       ? 0
                       : axon_cli_fail("validate", "cannot write output");
        }
        if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return axon_cli_usage_fail("validate",
                                       "unknown option '%s' (try --help)",
                                       argv[i]);
        } else if (!path) {
            path = argv[i];
        } else {
            return axon_cli_usage_fail("validate",
                                       "one spec file at a time");
        }
    }
    if (!path)
        path = "axon.yaml";

    char err[600];
    axon_spec *spec = NULL;
    if (axon_spec_parse_file(path, &spec, err, sizeof(err)) != AXON_ERR_OK)
        return axon_cli_fail("validate", "%s", err);
    int rc = 0;
    for (size_t i = 0; i < axon_spec_count(spec); i++) {
        const axon_api_spec *a = axon_spec_api(spec, i);
        const char *p = a->model_path ? a->model_path : a->models_dir;
        struct stat sb;
        if (p && stat(p, &sb) != 0) {
            rc = axon_cli_fail("validate", "%s:%d: API '%s': %s '%s' does "
                               "not exist", path, a->line, a->name,
                               a->model_path ? "model.path" : "models.dir",
                               p);
            break;
        }
        if (a->models_dir && !S_ISDIR(sb.st_mode)) {
            rc = axon_cli_fail("validate", "%s:%d: API '%s': models.dir '%s'"
                               " is not a folder", path, a->line, a->name, p);
            break;
        }
        for (int b = 0; b < a->n_backends; b++) {
            const axon_api_spec *t = axon_spec_find(spec, a->backends[b].name);
            if (t && t->kind != AXON_API_REALTIME) {
                rc = axon_cli_fail("validate", "%s:%d: TrafficSplitter '%s' "
                                   "routes to '%s', which is not a "
                                   "RealtimeAPI", path, a->line, a->name,
                                   t->name);
                goto out;
            }
        }
    }
    if (rc == 0 && !quiet) {
        size_t n = axon_spec_count(spec);
        printf("%s: %zu API%s OK\n", path, n, n == 1 ? "" : "s");
        for (size_t i = 0; i < n; i++) {
            const axon_api_spec *a = axon_spec_api(spec, i);
            printf("  %-20s %s\n", a->name,
                   a->kind == AXON_API_REALTIME ? "RealtimeAPI"
                                                : "TrafficSplitter");
        }
    }
out:
    axon_spec_free(spec);
    return rc;
}
