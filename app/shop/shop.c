/* shop — the defaults of the business rules; see shop.h. */
#include "shop.h"

const struct shop_rules shop_default_rules = {10, 600, 6, 3, {0}};
