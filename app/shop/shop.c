/* shop — the defaults of the business rules; see shop.h. */
#include "shop.h"

const struct shop_rules shop_default_rules = {.cart_max_line = 10,
                                              .hold_ttl_s = 600,
                                              .checkout_tries = 6,
                                              .drop_accounts_per_address = 3,
                                              .drop_account_rate = 20};
