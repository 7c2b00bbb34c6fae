/*
 * pay — helpers for payment tests against the private stack and its stampede-psp sandbox
 * (port base+30): shoppers with sessions, sizes with stock, orders, the hosted page driven
 * without a browser, the sandbox's server API and fault switches, and the two invariant
 * checks every payment test ends with:
 *   I1  `./stampede batch audit-stock` passes (stock ledger against orders);
 *   I5  the sandbox's ledger against the orders, read straight from both databases: every
 *       payment holding captured money is the payment of exactly one paid order of that
 *       total, every paid order has one, and the sums agree; no payment is refunded more
 *       than it captured.
 */
#ifndef STAMPEDE_TESTS_PAY_H
#define STAMPEDE_TESTS_PAY_H

#include "harness.h"

#include <stdbool.h>

#define TEST_CARD_APPROVE "4242424242424242"
#define TEST_CARD_DECLINE "4000000000000002"
#define TEST_CARD_SLOW    "4000000000003220"

struct shopper {
    char email[128];
    char sid[128];
    long long account_id;
};

/* pay_init: reads the sandbox keys from the stack's secrets.env (fails the test if absent). */
void pay_init(const struct stack *s);
/* stack_secret: a value of DATA/etc/secrets.env into out; false when absent. */
bool stack_secret(const struct stack *s, const char *key, char *out, size_t n);
const char *psp_url(const struct stack *s, const char *path);
const char *psp_webhook_secret(void);
/* return_token: the shop's signed `attempt` token for an order's return URLs (valid 1 h) */
void return_token(long long order_id, char *out, size_t n);

/* the password of every shopper_new account */
#define TEST_SHOPPER_PASSWORD "a long payment test passphrase 42"

/* shopper_new: signs a new account up through the API (session cookie kept) and gives it the
 * TEST_ADDRESS_JSON shipping address, so it can check out. */
void shopper_new(const struct stack *s, MYSQL *db, const char *label, struct shopper *sh);
/* shopper_request: an API/page request with the shopper's session and the CSRF header. */
long shopper_request(const struct stack *s, const struct shopper *sh, const char *method,
                     const char *path, const char *json, struct resp *r);

/* admin_sign_in: signs the stack's admin (admin@stampede.local, its password from secrets.env)
 * in through the API; the session token into sid. */
void admin_sign_in(const struct stack *s, char *sid, size_t n);

/* sku_new: a new product with one size of `stock` pairs at `price`; returns the SKU id. */
long long sku_new(MYSQL *db, const char *label, int stock, long long price);
/* order_new: cart with qty of sku, checkout with a fresh key; returns the order id. */
long long order_new(const struct stack *s, const struct shopper *sh, long long sku, int qty,
                    long long *total);

/*
 * psp_authorize: what the card holder does on the hosted page: POST /checkout with a test
 * card for "order-<id>" and amount; returns the Location the sandbox redirects to, and the
 * paymentKey (empty when declined) in key.
 */
void psp_authorize(const struct stack *s, long long order_id, long long amount, const char *card,
                   char *key, size_t keylen, char *location, size_t loclen);
/* psp_hosted_post: the hosted page's form posted with action "pay" or "cancel"; the
 * sandbox's redirect into location. */
void psp_hosted_post(const struct stack *s, long long order_id, long long amount, const char *card,
                     const char *action, char *location, size_t loclen);
/* psp_api: the sandbox's server API with the secret key; extra_header may be NULL. */
long psp_api(const struct stack *s, const char *method, const char *path, const char *json,
             const char *extra_header, struct resp *r);
/* psp_fault: switches a fault on ({op, kind, count, orderId?, delayMs?}); order_id 0: any. */
void psp_fault(const struct stack *s, const char *op, const char *kind, int count,
               long long order_id, int delay_ms);
void psp_faults_clear(const struct stack *s);
/* psp_confirm_direct: a confirm made straight at the sandbox (not by the shop): status. */
long psp_confirm_direct(const struct stack *s, const char *key, long long order_id,
                        long long amount);

/* shop_return: the browser arriving at the shop's success URL; returns the Location. */
long shop_return(const struct stack *s, const struct shopper *sh, const char *key,
                 long long order_id, long long amount, char *location, size_t loclen);

/* sku_available: pairs of sku available now. */
long long sku_available(MYSQL *db, long long sku);
/* order_expire_now: the order's hold runs out and expire-holds runs. */
void order_expire_now(const struct stack *s, MYSQL *db, long long order_id);

/* order_status: the order's status (static buffer). */
const char *order_status(MYSQL *db, long long order_id);
/* psp_count: rows of psp_ledger of kind for the order (or for one payment key). */
long long psp_count(MYSQL *db, long long order_id, const char *kind);
long long psp_sum(MYSQL *db, long long order_id, const char *kind);
/* wait_webhooks_settled: every sandbox event for the order delivered or given up. */
bool wait_webhooks_settled(MYSQL *db, long long order_id, int timeout_ms);

/*
 * stack_batch: `./stampede batch JOB ARGS`, run again while it only found another run holding
 * the job's lease (NOOP: the scheduler's run, say), until it really ran; returns its exit
 * status and the execution id in *execution (may be NULL). Output goes to out (may be NULL).
 */
int stack_batch(const struct stack *s, const char *job, const char *args, long long *execution,
                char *out, size_t outlen);

/* assert_i1_i5: audit-stock passes and the I5 check above finds nothing. */
void assert_i1_i5(const struct stack *s, MYSQL *db);
/* i5_violations: the number of I5 violations (printed). */
long long i5_violations(MYSQL *db);

#endif
