// e2e_drop: drops in Chromium at phone width, as a shopper lives them.
//  - A queue drop: the shopper signs up, opens the drop, is asked for a shipping address on
//    joining, joins the pre-queue, waits on the page (which updates itself), is admitted, picks
//    a size, buys and pays on the sandbox's hosted page.
//  - A draw drop: a shopper enters with a size, and after the close sees the result on the page
//    (a win, with the held order).
// No console errors or CSP violations on any page.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
    PHONE, assertClean, baseUrl, openPage, scalar, screenshot, sql, stampede, withBrowser,
} from './lib.mjs';

const BASE = baseUrl();

function newProduct(label, stock) {
    const slug = `e2e-drop-${label}-${Date.now().toString(36)}`;
    sql(`INSERT INTO products (slug, name, brand, description, price_krw, image)
         VALUES ('${slug}', 'Drop Runner ${label}', 'E2E', 'drop test', 189000, 'img/favicon.svg')`);
    const product = scalar(`SELECT id FROM products WHERE slug = '${slug}'`);
    sql(`INSERT INTO skus (product_id, size_mm) VALUES (${product}, 270)`);
    const sku = scalar(`SELECT id FROM skus WHERE product_id = ${product}`);
    sql(`INSERT INTO stock (sku_id, bucket, available) VALUES (${sku}, 0, ${stock})`);
    sql(`INSERT INTO inventory_ledger (sku_id, bucket, reason, d_available, ref_type, ref_id)
         VALUES (${sku}, 0, 'receive', ${stock}, 'test', 'e2e')`);
    return { slug, sku };
}

// pick: a shopper taps a size box (the radio inside is transparent over it)
async function pick(page, selector) {
    const label = page.locator(selector);
    await label.scrollIntoViewIfNeeded();
    const box = await label.boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

async function signUp(page, who) {
    await page.goto(`${BASE}/account/signup`);
    await page.fill('#signup-name', 'Drop Shopper');
    await page.fill('#signup-email', `${who}-${Date.now()}@e2e.stampede`);
    await page.fill('#signup-password', 'correct horse battery staple');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Create account")')]);
}

async function fillAddress(page) {
    await page.fill('#address-recipient', '김지민');
    await page.fill('#address-phone', '010 9876 5432');
    await page.fill('#address-postcode', '04524');
    await page.fill('#address-address', '서울특별시 중구 세종대로 110');
    await page.fill('#address-detail', '3층');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save address")')]);
}

async function queueDrop(browser) {
    const product = newProduct('queue', 2);
    const drop = JSON.parse(stampede('drop', 'create', '--product', product.slug, '--kind', 'queue',
                                     '--starts-in', '6', '--admit-per-second', '5'));
    const { page, watch } = await openPage(browser, PHONE);
    await signUp(page, 'queuer');

    // the product page sends the shopper to the drop; nothing can be bought there
    await page.goto(`${BASE}/products/${product.slug}`);
    assert.equal(await page.locator('button:has-text("Add to cart")').count(), 0);
    await Promise.all([page.waitForNavigation(), page.click('a:has-text("Go to the drop")')]);
    assert.equal(new URL(page.url()).pathname, `/drops/${drop.id}`);
    await assertClean(page, watch, 'drop page');
    await screenshot(page, 'drop-queue-before.png');

    // joining needs a shipping address: the form, then back to the drop
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Join the queue")')]);
    assert.equal(new URL(page.url()).pathname, '/account/address');
    await fillAddress(page);
    assert.equal(new URL(page.url()).pathname, `/drops/${drop.id}`);
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Join the queue")')]);
    assert.match(await page.locator('.queue').textContent(), /You are in the queue|in line/);
    await screenshot(page, 'drop-queue-waiting.png');

    // the page updates itself (drop.js polls, then reloads when the state changes)
    await page.locator('text=It is your turn').waitFor({ timeout: 45000 });
    await assertClean(page, watch, 'admitted drop page');
    await screenshot(page, 'drop-queue-admitted.png');
    await pick(page, `label[for="size-${product.sku}"]`);
    assert.ok(await page.locator(`#size-${product.sku}`).isChecked(), 'the size is picked');
    // nothing on the page is wider than the phone
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `the drop page fits a phone (scroll width ${width})`);
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Buy now")')]);
    const m = /\/orders\/(\d+)\?placed=1$/.exec(page.url());
    assert.ok(m, `buying leads to the order, was ${page.url()}`);
    const order = m[1];
    assert.equal(scalar(`SELECT drop_id FROM orders WHERE id = ${order}`), String(drop.id));

    // pay at the sandbox
    await Promise.all([page.waitForNavigation(), page.click('a.pay-button')]);
    await page.fill('#card-number', '4242 4242 4242 4242');
    await Promise.all([page.waitForNavigation({ url: `${BASE}/orders/**` }),
                       page.click('button[value="pay"]')]);
    assert.match(page.url(), new RegExp(`/orders/${order}\\?payment=paid$`));
    await assertClean(page, watch, 'paid drop order');
    await screenshot(page, 'drop-queue-paid.png');
    assert.equal(scalar(`SELECT status FROM orders WHERE id = ${order}`), 'paid');
    stampede('batch', 'audit-stock');
}

async function drawDrop(browser) {
    const product = newProduct('draw', 1);
    const drop = JSON.parse(stampede('drop', 'create', '--product', product.slug, '--kind', 'draw',
                                     '--closes-in', '12'));
    const { page, watch } = await openPage(browser, PHONE);
    await signUp(page, 'entrant');
    await page.goto(`${BASE}/account/address?next=/drops/${drop.id}`);
    await fillAddress(page);
    assert.equal(new URL(page.url()).pathname, `/drops/${drop.id}`);
    await pick(page, `label[for="draw-size-${product.sku}"]`);
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Enter the draw")')]);
    await page.locator('text=You\'re in the draw').waitFor();
    await assertClean(page, watch, 'entered draw page');
    await screenshot(page, 'drop-draw-entered.png');

    // after the close the draw runs; the page shows the result
    for (let i = 0; i < 40; i++) {
        await page.waitForTimeout(1000);
        await page.goto(`${BASE}/drops/${drop.id}`);
        if (await page.locator('text=You won a pair').count()) break;
    }
    await page.locator('text=You won a pair').waitFor({ timeout: 1000 });
    await assertClean(page, watch, 'draw result page');
    await screenshot(page, 'drop-draw-won.png');
    const order = scalar(`SELECT order_id FROM drop_entries WHERE drop_id = ${drop.id}`);
    assert.equal(scalar(`SELECT status FROM orders WHERE id = ${order}`), 'pending_payment');
    await page.goto(`${BASE}/drops/${drop.id}/proof`);
    await assertClean(page, watch, 'proof page');
    await screenshot(page, 'drop-draw-proof.png');
}

test('a queue drop at phone width: join, wait, admitted, buy, pay', () => withBrowser(queueDrop));
test('a draw at phone width: enter and see the result', () => withBrowser(drawDrop));
