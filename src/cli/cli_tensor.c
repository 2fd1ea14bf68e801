/*
 * Tensor helpers shared by `axon run` and `axon bench`: reading an input
 * tensor from a .npy or .json file, formatting shapes ("[N,3,224,224]") and
 * a short preview of values, and making output names safe as file names.
 * Only the public API is used (npy.h, json.h, engine.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axon/json.h"
#include "axon/npy.h"
#include "cli_int.h"

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcasecmp(s + n - m, suf) == 0;
}

static int read_whole(const char *path, char **out, size_t *len, char *err,
                      size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    int rc = -1;
    if (!buf) {
        snprintf(err, errlen, "out of memory reading '%s'", path);
        goto out;
    }
    for (;;) {
        if (n == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                snprintf(err, errlen, "out of memory reading '%s'", path);
                goto out;
            }
            buf = nb;
            cap *= 2;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
        goto out;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    fclose(f);
    return rc;
}

int axon_cli_tensor_read(const char *path, axon_dtype want,
                         axon_cli_tensor *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (ends_with(path, ".json")) {
        char *text = NULL;
        size_t len = 0;
        if (read_whole(path, &text, &len, err, errlen))
            return -1;
        char jerr[256] = "";
        axon_err rc = axon_json_decode_tensor(text, len, want, &out->ja, jerr,
                                              sizeof jerr);
        free(text);
        if (rc) {
            snprintf(err, errlen, "'%s': %s", path,
                     jerr[0] ? jerr : axon_strerror(rc));
            axon_json_array_free(&out->ja);
            memset(out, 0, sizeof *out);
            return -1;
        }
        out->is_json = 1;
        out->t.dtype = out->ja.dtype;
        out->t.ndim = out->ja.ndim;
        memcpy(out->t.dims, out->ja.dims, sizeof out->t.dims);
        out->t.data = out->ja.data;
        return 0;
    }
    axon_errinfo ei = {0};
    axon_err rc = axon_npy_read_file(path, &out->t, &ei);
    if (rc) {
        snprintf(err, errlen, "%s", ei.msg[0] ? ei.msg : axon_strerror(rc));
        return -1;
    }
    return 0;
}

void axon_cli_tensor_free(axon_cli_tensor *t)
{
    if (t->is_json)
        axon_json_array_free(&t->ja);
    else
        axon_npy_tensor_free(&t->t);
    memset(t, 0, sizeof *t);
}

void axon_cli_format_dims(const int64_t *dims, const char *const *names,
                          int ndim, char *buf, size_t len)
{
    size_t n = 0;
    if (ndim < 0) {
        snprintf(buf, len, "[?]");
        return;
    }
    n += (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < ndim && n < len; i++) {
        const char *sep = i ? "," : "";
        if (dims[i] >= 0)
            n += (size_t)snprintf(buf + n, len - n, "%s%lld", sep,
                                  (long long)dims[i]);
        else if (names && names[i] && names[i][0])
            n += (size_t)snprintf(buf + n, len - n, "%s%s", sep, names[i]);
        else
            n += (size_t)snprintf(buf + n, len - n, "%s?", sep);
    }
    if (n < len)
        snprintf(buf + n, len - n, "]");
}

double axon_cli_tensor_value(const axon_tensor *t, int64_t i)
{
    const void *d = t->data;
    switch (t->dtype) {
    case AXON_DTYPE_FLOAT: return ((const float *)d)[i];
    case AXON_DTYPE_DOUBLE: return ((const double *)d)[i];
    case AXON_DTYPE_INT8: return ((const int8_t *)d)[i];
    case AXON_DTYPE_INT16: return ((const int16_t *)d)[i];
    case AXON_DTYPE_INT32: return ((const int32_t *)d)[i];
    case AXON_DTYPE_INT64: return (double)((const int64_t *)d)[i];
    case AXON_DTYPE_UINT8: return ((const uint8_t *)d)[i];
    case AXON_DTYPE_UINT16: return ((const uint16_t *)d)[i];
    case AXON_DTYPE_UINT32: return ((const uint32_t *)d)[i];
    case AXON_DTYPE_UINT64: return (double)((const uint64_t *)d)[i];
    case AXON_DTYPE_BOOL: return ((const uint8_t *)d)[i] ? 1 : 0;
    default: return 0;
    }
}

void axon_cli_format_preview(const axon_tensor *t, int max, char *buf,
                             size_t len)
{
    int64_t n = axon_tensor_numel(t);
    size_t k = (size_t)snprintf(buf, len, "[");
    int isint = t->dtype != AXON_DTYPE_FLOAT && t->dtype != AXON_DTYPE_DOUBLE;
    if (t->dtype == AXON_DTYPE_FLOAT16 || t->dtype == AXON_DTYPE_BFLOAT16 ||
        t->dtype == AXON_DTYPE_STRING || t->dtype >= AXON_DTYPE_COMPLEX64) {
        snprintf(buf, len, "[...]");
        return;
    }
    for (int64_t i = 0; i < n && i < max && k < len; i++) {
        double v = axon_cli_tensor_value(t, i);
        if (isint)
            k += (size_t)snprintf(buf + k, len - k, "%s%.0f", i ? ", " : "",
                                  v);
        else
            k += (size_t)snprintf(buf + k, len - k, "%s%.6g", i ? ", " : "",
                                  v);
    }
    if (n > max && k < len)
        k += (size_t)snprintf(buf + k, len - k, ", ...");
    if (k < len)
        snprintf(buf + k, len - k, "]");
}

void axon_cli_safe_filename(const char *name, char *buf, size_t len)
{
    size_t n = 0;
    for (const char *p = name; *p && n + 1 < len; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                 (c == '.' && n > 0);
        buf[n++] = ok ? c : '_';
    }
    if (n == 0 && len > 6) {
        memcpy(buf, "output", 6);
        n = 6;
    }
    buf[n < len ? n : len - 1] = '\0';
}
