/*
 * password — the password policy of shopper and admin accounts.
 *
 * A password is refused, with a reason a shopper can act on, when it
 *   - has fewer than 10 or more than 128 characters (characters are Unicode code points, not
 *     bytes: "éééééééééé" is ten characters);
 *   - is a short unit repeated ("abcabcabca", "éééééééééé") or uses fewer than 5 different
 *     characters ("1111111112");
 *   - is one of the most common passwords (common_passwords.c, generated), or the e-mail
 *     address or its local part;
 *   - is guessable in fewer than 2^min_bits tries by zxcvbn's estimate (Dropbox's zxcvbn, the
 *     C port packaged by Debian as libzxcvbn): dictionary words with digits appended
 *     ("changeme123"), keyboard walks, dates, l33t spellings, and words from the shopper's
 *     own e-mail address and name.
 * No composition rules (NIST SP 800-63B): long passphrases of plain words pass.
 *
 * Thread safety: pure functions (zxcvbn allocates and frees its own scratch per call).
 */
#ifndef STAMPEDE_SHOP_PASSWORD_H
#define STAMPEDE_SHOP_PASSWORD_H

#include "core/str.h"

#include <stdbool.h>
#include <stdint.h>

#define PASSWORD_MIN_CHARS    10
#define PASSWORD_MAX_CHARS    128
#define PASSWORD_MIN_DISTINCT 5

/*
 * password_problem: NULL when pw is acceptable for the account with this e-mail address and
 * name (either may be empty), else the reason (a constant sentence). min_bits is the least
 * zxcvbn entropy accepted (auth.password_min_bits).
 */
const char *password_problem(struct str pw, struct str email, struct str name, int64_t min_bits);

/* password_entropy_bits: zxcvbn's estimate for pw with the given hint words (for tests). */
double password_entropy_bits(struct str pw, struct str email, struct str name);

/* password_is_common: pw (lower-cased) is in the common list (common_passwords.c). */
bool password_is_common(struct str lowercased);

#endif
