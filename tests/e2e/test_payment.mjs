// e2e_payment: a shopper buys a pair end to end in Chromium — signs up, picks a size, places
// the order, pays on the stampede-psp SANDBOX hosted page with a test card and lands on the
// confirmation page; the order is paid, the pair sold, one capture in the sandbox's ledger.
// A declined card sends the shopper back with the order cancelled and the pair on sale again.
// Both end with I1 (audit-stock) and I5 (audit-payments and the two ledgers compared in SQL).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
    DESKTOP, addAddressFromCart, assertClean, baseUrl, openPage, scalar, screenshot, sql, stackEnv,
    stampede, withBrowser,
} from './lib.mjs';

const BASE = baseUrl();

const STACK = stackEnv();
const batch = (job) => stampede('batch', job);

function assertInvariants() {
    batch('audit-stock');
    batch('audit-payments');
    // I5 from the two databases: money held at the gateway is the payment of a paid order
    const loose = scalar(`SELECT COUNT(*) FROM (SELECT payment_key, MIN(order_id) order_id,
        SUM(IF(kind = 'capture', amount, 0)) - SUM(IF(kind = 'refund', amount, 0)) net
        FROM stampede_psp.psp_ledger GROUP BY payment_key) n
        LEFT JOIN stampede.orders o ON o.payment_key = n.payment_key AND o.status = 'paid'
        WHERE n.net <> 0 AND (o.id IS NULL OR o.total_krw <> n.net)`);
    assert.equal(loose, '0', 'I5: every capture belongs to one paid order of its total');
}

// A size of a new product with `stock` pairs, so the counts below are this test's own.
function newProduct(label, stock) {
    const slug = `e2e-pay-${label}-${Date.now().toString(36)}`;
    sql(`INSERT INTO products (slug, name, brand, description, price_krw, image)
         VALUES ('${slug}', 'Sandbox Runner ${label}', 'E2E', 'payment test', 139000,
                 'img/favicon.svg')`);
    const product = scalar(`SELECT id FROM products WHERE slug = '${slug}'`);
    sql(`INSERT INTO skus (product_id, size_mm) VALUES (${product}, 270)`);
    const sku = scalar(`SELECT id FROM skus WHERE product_id = ${product}`);
    sql(`INSERT INTO stock (sku_id, bucket, available) VALUES (${sku}, 0, ${stock})`);
    sql(`INSERT INTO inventory_ledger (sku_id, bucket, reason, d_available, ref_type, ref_id)
         VALUES (${sku}, 0, 'receive', ${stock}, 'test', 'e2e')`);
    return { slug, sku };
}
const stockOf = (sku) => sql(`SELECT SUM(available), SUM(held), SUM(sold) FROM stock
                              WHERE sku_id = ${sku}`)[0].map(Number);

// Sign up, add the size to the cart and place the order; returns the order id.
async function placeOrder(page, product, who) {
    await page.goto(`${BASE}/account/signup`);
    await page.fill('#signup-name', 'Sandbox Buyer');
    await page.fill('#signup-email', `${who}-${Date.now()}@e2e.stampede`);
    await page.fill('#signup-password', 'correct horse battery staple');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Create account")')]);

    await page.goto(`${BASE}/products/${product.slug}`);
    const label = page.locator(`label[for="size-${product.sku}"]`);
    const box = await label.boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add to cart")')]);
    assert.match(page.url(), /\/cart/, 'after adding, the cart');
    await addAddressFromCart(page);
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Place order")')]);
    const m = /\/orders\/(\d+)\?placed=1$/.exec(page.url());
    assert.ok(m, `placing the order leads to its page, was ${page.url()}`);
    return Number(m[1]);
}

// On the sandbox's hosted page: checks it says SANDBOX and shows the amount, then pays.
async function payOnSandbox(page, watch, card, order) {
    await Promise.all([page.waitForNavigation(), page.click('a.pay-button')]);
    const psp = new URL(page.url());
    assert.equal(psp.port, String(Number(STACK.STAMPEDE_PORT_BASE) + 30),
                 'the Pay button leads to the sandbox gateway');
    assert.equal(psp.searchParams.get('orderId'), `order-${order}`);
    assert.match(await page.title(), /SANDBOX/, 'the hosted page is labelled SANDBOX');
    assert.ok(await page.locator('.sandbox-banner').isVisible(), 'the SANDBOX banner shows');
    assert.equal(await page.locator('.pay__amount').getAttribute('data-amount'), '139000');
    await assertClean(page, watch, 'sandbox hosted page');
    await screenshot(page, `payment-sandbox-${card.slice(-4)}.png`);
    await page.fill('#card-number', card.replace(/(\d{4})(?=\d)/g, '$1 '));
    await Promise.all([page.waitForNavigation({ url: `${BASE}/orders/**` }),
                       page.click('button[value="pay"]')]);
}

async function happyPath(browser) {
    const product = newProduct('paid', 3);
    const { page, watch } = await openPage(browser, DESKTOP);
    const order = await placeOrder(page, product, 'payer');
    assert.deepEqual(stockOf(product.sku), [2, 1, 0], 'the pair is held for the order');
    assert.ok(await page.locator('a.pay-button').isVisible(), 'the order page offers to pay');

    await payOnSandbox(page, watch, '4242424242424242', order);
    assert.match(page.url(), new RegExp(`/orders/${order}\\?payment=paid$`));
    const confirmation = page.locator('.order-confirmation');
    assert.ok(await confirmation.isVisible(), 'the confirmation shows');
    assert.match(await confirmation.textContent(), /Payment received/);
    assert.equal((await page.locator('.badge--paid').first().textContent()).trim(), 'Paid');
    assert.equal(await page.locator('a.pay-button').count(), 0, 'no Pay button once paid');
    await assertClean(page, watch, 'confirmation page');
    await screenshot(page, 'payment-confirmation.png');

    assert.equal(scalar(`SELECT status FROM orders WHERE id = ${order}`), 'paid');
    assert.deepEqual(stockOf(product.sku), [2, 0, 1], 'the held pair is sold');
    assert.equal(scalar(`SELECT COUNT(*) FROM stampede_psp.psp_ledger
                         WHERE order_id = 'order-${order}' AND kind = 'capture'`), '1');
    assertInvariants();
}

async function declined(browser) {
    const product = newProduct('declined', 2);
    const { page, watch } = await openPage(browser, DESKTOP);
    const order = await placeOrder(page, product, 'decliner');
    assert.deepEqual(stockOf(product.sku), [1, 1, 0]);
    await payOnSandbox(page, watch, '4000000000000002', order);
    assert.match(page.url(), new RegExp(`/orders/${order}\\?payment=card_declined$`));
    assert.match(await page.locator('.payment-notice').textContent(), /card was declined/);
    assert.equal((await page.locator('.badge--cancelled').first().textContent()).trim(),
                 'Cancelled');
    await assertClean(page, watch, 'declined order page');
    await screenshot(page, 'payment-declined.png');
    assert.equal(scalar(`SELECT status FROM orders WHERE id = ${order}`), 'cancelled');
    assert.deepEqual(stockOf(product.sku), [2, 0, 0], 'the pair is on sale again');
    assert.equal(scalar(`SELECT COUNT(*) FROM stampede_psp.psp_ledger
                         WHERE order_id = 'order-${order}' AND kind = 'capture'`), '0');
    assertInvariants();
}

test('buying a pair through the sandbox hosted page ends on the confirmation',
     () => withBrowser(happyPath));
test('a declined card cancels the order and releases the pair', () => withBrowser(declined));
