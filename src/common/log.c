/*
 * Process-wide log sink. The level is start-up configuration; writes are
 * serialized with a mutex so lines from worker threads never interleave.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "common.h"

static axon__log_level min_level = AXON_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void axon__log_set_level(axon__log_level lvl)
{
    min_level = lvl;
}

void axon__log(axon__log_level lvl, const char *fmt, ...)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    if (lvl < min_level)
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&log_lock);
    fprintf(stderr, "axon %s: %s\n", names[lvl], line);
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
}

axon_err axon__errf(char *buf, size_t len, axon_err code, const char *fmt,
                    ...)
{
    if (buf && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, len, fmt, ap);
        va_end(ap);
    }
    return code;
}

int64_t axon__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
