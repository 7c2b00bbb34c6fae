-- 005: the checkout's idempotency record lives on the order itself.
--
-- orders already has UNIQUE (account_id, idempotency_key): a second order with the same key is
-- impossible. Keeping the fingerprint of what the key was first used with (SHA-256 over the
-- lines' "sku:qty;" in SKU order) on the same row lets checkout look a key up and record it
-- without a separate table, one statement less in the transaction that holds the stock locks.
-- idempotency_keys stays for other scopes; its checkout rows are copied over.
ALTER TABLE orders ADD COLUMN fingerprint BINARY(32) NULL AFTER idempotency_key;

UPDATE orders o
  JOIN idempotency_keys k
    ON k.account_id = o.account_id AND k.scope = 'checkout' AND k.idem_key = o.idempotency_key
   SET o.fingerprint = k.fingerprint
 WHERE o.fingerprint IS NULL;
