/* faults — per-call fault injection of the sandbox; see psp.h. */
#include "psp.h"

#include "core/err.h"

#include <string.h>

static const char *const api_kinds[] = {"slow", "timeout", "lost", "error_after_commit", "error"};
static const char *const webhook_kinds[] = {"duplicate", "reorder", "bad_signature", "stale",
                                            "drop"};

static bool in(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, set[i]) == 0)
            return true;
    return false;
}

bool psp_fault_kind_valid(const char *op, const char *kind)
{
    if (strcmp(op, "webhook") == 0)
        return in(kind, webhook_kinds, sizeof webhook_kinds / sizeof *webhook_kinds);
    if (strcmp(op, "checkout") == 0)
        return strcmp(kind, "slow") == 0 || strcmp(kind, "error") == 0;
    if (strcmp(op, "confirm") == 0 || strcmp(op, "cancel") == 0 || strcmp(op, "lookup") == 0)
        return in(kind, api_kinds, sizeof api_kinds / sizeof *api_kinds);
    return false;
}

int psp_fault_add(struct psp *p, const struct psp_fault *f)
{
    int rc = 0;
    pthread_mutex_lock(&p->mu);
    if (p->nfaults == PSP_MAX_FAULTS)
        rc = ERR_LIMIT;
    else
        p->faults[p->nfaults++] = *f;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

bool psp_fault_take(struct psp *p, const char *op, struct str order_id, struct psp_fault *out)
{
    bool found = false;
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->nfaults && !found; i++) {
        struct psp_fault *f = &p->faults[i];
        if (strcmp(f->op, op) != 0 || (f->order_id[0] && !str_eq_cstr(order_id, f->order_id)))
            continue;
        *out = *f;
        found = true;
        if (--f->remaining <= 0) {
            memmove(f, f + 1, (p->nfaults - i - 1) * sizeof *f);
            p->nfaults--;
        }
    }
    pthread_mutex_unlock(&p->mu);
    return found;
}

void psp_fault_clear(struct psp *p)
{
    pthread_mutex_lock(&p->mu);
    p->nfaults = 0;
    pthread_mutex_unlock(&p->mu);
}

size_t psp_fault_list(struct psp *p, struct psp_fault *out, size_t cap)
{
    pthread_mutex_lock(&p->mu);
    size_t n = p->nfaults < cap ? p->nfaults : cap;
    memcpy(out, p->faults, n * sizeof *out);
    pthread_mutex_unlock(&p->mu);
    return n;
}
