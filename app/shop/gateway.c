/* gateway — the gateway interface's dispatchers and payment predicates; see gateway.h. */
#include "gateway.h"

#include "core/mem.h"

bool gateway_configured(const struct gateway *g)
{
    return g && g->opts.secret_key && g->opts.secret_key[0];
}

int gateway_confirm(struct gateway *g, struct arena *a, struct str payment_key, struct str order_id,
                    int64_t amount, struct str idem_key, struct gateway_payment *out,
                    struct gateway_error *err)
{
    return g->ops->confirm(g, a, payment_key, order_id, amount, idem_key, out, err);
}

int gateway_cancel(struct gateway *g, struct arena *a, struct str payment_key, struct str reason,
                   int64_t amount, struct str idem_key, struct gateway_payment *out,
                   struct gateway_error *err)
{
    return g->ops->cancel(g, a, payment_key, reason, amount, idem_key, out, err);
}

int gateway_get(struct gateway *g, struct arena *a, struct str payment_key,
                struct gateway_payment *out, struct gateway_error *err)
{
    return g->ops->get(g, a, payment_key, out, err);
}

int gateway_by_order(struct gateway *g, struct arena *a, struct str order_id,
                     struct gateway_payment **out, size_t *n, struct gateway_error *err)
{
    return g->ops->by_order(g, a, order_id, out, n, err);
}

int gateway_captured(struct gateway *g, struct arena *a, int64_t after, int64_t within_s,
                     int64_t limit, struct gateway_payment **out, size_t *n,
                     struct gateway_error *err)
{
    return g->ops->captured(g, a, after, within_s, limit, out, n, err);
}

struct str gateway_checkout_url(struct gateway *g, struct arena *a,
                                const struct gateway_checkout *c)
{
    return g->ops->checkout_url(g, a, c);
}

int gateway_verify_event(struct gateway *g, struct arena *a, struct str signature_header,
                         struct str body, int64_t now_s, int64_t tolerance_s,
                         struct gateway_event *out)
{
    return g->ops->verify_event(g, a, signature_header, body, now_s, tolerance_s, out);
}

void gateway_free(struct gateway *g)
{
    if (!g)
        return;
    g->ops->destroy(g);
    mem_free((char *)g->opts.api_url);
    mem_free((char *)g->opts.checkout_url);
    mem_free((char *)g->opts.secret_key);
    mem_free((char *)g->opts.client_key);
    mem_free((char *)g->opts.webhook_secret);
    mem_free(g);
}

bool gateway_captured_now(const struct gateway_payment *p)
{
    return p->balance > 0;
}

bool gateway_refunded_for(const struct gateway_payment *p, const char *reason)
{
    for (size_t i = 0; i < p->ncancels; i++)
        if (str_eq_cstr(p->cancels[i].reason, reason))
            return true;
    return false;
}
