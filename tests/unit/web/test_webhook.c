/* Unit tests for app/web/webhook: events must be signed by the gateway's secret. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include "core/clock.h"
#include "core/sec.h"

#include <stdio.h>
#include <string.h>

static const char *event = "{\"eventId\":\"evt_1\",\"eventType\":\"PAYMENT_STATUS_CHANGED\","
                           "\"data\":{\"paymentKey\":\"psp_1\",\"orderId\":\"order-1\"}}";

static struct fake_resp post(const char *signature)
{
    char h[300];
    snprintf(h, sizeof h, "PSP-Signature: %s", signature);
    const char *hs[] = {h, NULL};
    return fake_request(fake, "POST", "/webhooks/psp", signature ? hs : NULL, "application/json",
                        event);
}

static void test_unsigned_or_forged_events_are_refused(void **state)
{
    (void)state;
    char code[64];
    struct fake_resp r = post(NULL);
    assert_int_equal(r.status, 400);
    assert_true(fake_json_code(&r, code, sizeof code));
    assert_string_equal(code, "invalid_signature");
    r = post("t=1,v1=0000");
    assert_int_equal(r.status, 400);
    /* signed right: the gateway is asked for the payment (unreachable here): retry later */
    struct arena *a = arena_new(4096, 1 << 20);
    int64_t t = clock_real_s();
    struct str mac = sec_hmac_ts_hex(a, STR("whsec_fake"), t, str_from_cstr(event));
    char sig[200];
    snprintf(sig, sizeof sig, "t=%lld,v1=%.*s", (long long)t, STR_FMT(mac));
    r = post(sig);
    assert_int_equal(r.status, 503);
    assert_true(fake_json_code(&r, code, sizeof code));
    assert_string_equal(code, "try_later");
    arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unsigned_or_forged_events_are_refused),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}
