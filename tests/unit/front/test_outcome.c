/* Unit tests for app/front/outcome: the one table from domain outcomes to HTTP answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include <string.h>

static void test_every_outcome_has_an_answer(void **state)
{
    (void)state;
    for (int o = 1; o < SHOP_OUTCOME_COUNT; o++) {
        const struct front_outcome *a = front_outcome(o);
        if (!a->code[0] || a->status < 200 || a->status > 599 || !a->message[0])
            fail_msg("outcome %s has no complete answer", shop_outcome_name(o));
        assert_string_not_equal(shop_outcome_name(o), "SHOP_UNKNOWN");
        /* codes are snake_case and stable: lower case, digits and underscores */
        for (const char *c = a->code; *c; c++)
            assert_true((*c >= 'a' && *c <= 'z') || *c == '_' || (*c >= '0' && *c <= '9'));
        /* one outcome, one code */
        for (int p = 1; p < o; p++)
            if (strcmp(front_outcome(p)->code, a->code) == 0)
                fail_msg("%s and %s share the code %s", shop_outcome_name(p), shop_outcome_name(o),
                         a->code);
    }
    assert_int_equal(front_outcome(SHOP_OK)->status, 200);
    assert_int_equal(front_outcome(-1)->status, 500);
    assert_int_equal(front_outcome(SHOP_OUTCOME_COUNT)->status, 500);
    assert_string_equal(shop_outcome_name(SHOP_OUTCOME_COUNT), "SHOP_UNKNOWN");
}

static void test_messages_carry_the_details(void **state)
{
    (void)state;
    struct fake_site *s = fake_site_new(NULL);
    struct http_ex x = {.app = s->app, .arena = s->arena};
    struct shop_problem p = {.product = STR("Halo 1"), .limit = 2, .already = 1};
    assert_string_equal(front_outcome_message(&x, SHOP_LIMIT_EXCEEDED, &p),
                        "Halo 1 is limited to 2 per customer (you already ordered 1).");
    p.already = 0;
    assert_string_equal(front_outcome_message(&x, SHOP_LIMIT_EXCEEDED, &p),
                        "Halo 1 is limited to 2 per customer.");
    struct shop_problem q = {.max_line = 10};
    assert_string_equal(front_outcome_message(&x, SHOP_INVALID_QUANTITY, &q),
                        "Choose between 1 and 10 pairs of a size.");
    struct shop_problem w = {.retry_after_s = 4};
    assert_non_null(strstr(front_outcome_message(&x, SHOP_AUTH_BUSY, &w), "in 4 seconds"));
    assert_string_equal(front_outcome_message(&x, SHOP_SOLD_OUT, NULL), "That size is sold out.");
    fake_site_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_outcome_has_an_answer),
        cmocka_unit_test(test_messages_carry_the_details),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
