-- 006: sign-in throttling by account+address pair (shop/throttle.h).
--
-- Keys were 'ip:<address>' and 'acct:<email>' in an ASCII column: an e-mail with non-ASCII
-- letters could not be compared with it (MariaDB 1267, "Illegal mix of collations"), so such a
-- shopper could never sign in again. Keys are now the SHA-256 (hex) of "pair|email|address",
-- "device|email|device-id", "account|email|" and "address|address|": fixed-length ASCII,
-- whatever the e-mail or address holds. The old rows mean nothing under the new keys (and
-- expire within their 15-minute window anyway), so the table starts empty.
DROP TABLE login_throttle;

CREATE TABLE login_throttle (
    throttle_key  CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
                  COMMENT 'hex SHA-256 of the key (shop/throttle.c)',
    failures      INT NOT NULL DEFAULT 0,
    window_start  TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    locked_until  TIMESTAMP(6) NULL COMMENT 'a pair may not try again before this',
    PRIMARY KEY (throttle_key)
) ENGINE=InnoDB DEFAULT CHARSET=ascii;
