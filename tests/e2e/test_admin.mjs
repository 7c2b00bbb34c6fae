// e2e_admin: an admin runs the shop in Chromium — creates a product and its size, receives
// stock, sees it on the shop, finds a shopper's paid order and refunds it, and watches the
// dashboard plot live data. No console errors or CSP violations on any admin page.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
    DESKTOP, assertClean, baseUrl, openPage, scalar, screenshot, stackEnv, withBrowser,
} from './lib.mjs';

const BASE = baseUrl();

const STACK = stackEnv();
const adminPassword = () => readFileSync(`${STACK.STAMPEDE_DATA}/etc/secrets.env`, 'utf8')
    .match(/^STAMPEDE_ADMIN_PASSWORD=(.*)$/m)[1].replace(/^['"]|['"]$/g, '');

async function tap(page, selector) {
    const el = page.locator(selector);
    await el.scrollIntoViewIfNeeded();
    const box = await el.boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

async function adminWalk(browser) {
    const slug = `e2e-admin-${Date.now().toString(36)}`;
    const { page, watch } = await openPage(browser, DESKTOP);
    await page.goto(`${BASE}/account/signin?next=/admin`);
    await page.fill('#signin-email', 'admin@stampede.local');
    await page.fill('#signin-password', adminPassword());
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    assert.equal(new URL(page.url()).pathname, '/admin');
    await assertClean(page, watch, 'admin index');

    // a new product and its size
    await page.goto(`${BASE}/admin/products/new`);
    await page.fill('input[name=slug]', slug);
    await page.fill('input[name=name]', 'Walkthrough Runner');
    await page.fill('input[name=brand]', 'Stampede');
    await page.fill('input[name=colorway]', 'Night');
    await page.fill('textarea[name=description]', 'Made in the admin walkthrough.');
    await page.fill('input[name=price]', '159000');
    await page.fill('input[name=image]', 'img/favicon.svg');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Create")')]);
    assert.match(await page.locator('.alert').textContent(), /Saved/);
    await page.fill('input[name=size_mm]', '270');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Add size")')]);
    const sku = scalar(`SELECT k.id FROM skus k JOIN products p ON p.id = k.product_id
                        WHERE p.slug = '${slug}'`);
    // a picture upload (the page's script sends the bytes)
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAACklEQVR4nGMAAQAABQABDQottAAAAABJRU5ErkJggg==', 'base64');
    await page.setInputFiles('[data-upload] input[type=file]',
                             { name: 'runner.png', mimeType: 'image/png', buffer: png });
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Upload picture")')]);
    assert.match(await page.locator('img.admin-picture').getAttribute('src'), /^\/uploads\/p-[0-9a-f]{32}\.png$/);
    await assertClean(page, watch, 'product form');
    await screenshot(page, 'admin-product.png');

    // receive stock on the stock page
    await page.goto(`${BASE}/admin/stock`);
    const form = page.locator(`form[action="/admin/stock/${sku}/receive"]`);
    await form.locator('input[name=qty]').fill('5');
    await form.locator('input[name=note]').fill('first delivery');
    await Promise.all([page.waitForNavigation(), form.locator('button').click()]);
    assert.match(await page.locator('.alert').textContent(), /received/);

    // a shopper sees it, buys it and pays
    const shopper = await openPage(browser, DESKTOP);
    const sp = shopper.page;
    await sp.goto(`${BASE}/account/signup`);
    await sp.fill('#signup-name', 'Walk Shopper');
    await sp.fill('#signup-email', `walk-${Date.now()}@e2e.stampede`);
    await sp.fill('#signup-password', 'correct horse battery staple');
    await Promise.all([sp.waitForNavigation(), sp.click('button:has-text("Create account")')]);
    await sp.goto(`${BASE}/account/address?next=/products/${slug}`);
    await sp.fill('#address-recipient', '김지민');
    await sp.fill('#address-phone', '010 9876 5432');
    await sp.fill('#address-postcode', '04524');
    await sp.fill('#address-address', '서울특별시 중구 세종대로 110');
    await Promise.all([sp.waitForNavigation(), sp.click('button:has-text("Save address")')]);
    assert.equal(new URL(sp.url()).pathname, `/products/${slug}`);
    assert.match(await sp.locator('h1').textContent(), /Walkthrough Runner/);
    await tap(sp, `label[for="size-${sku}"]`);
    await Promise.all([sp.waitForNavigation(), sp.click('button:has-text("Buy now")')]);
    const order = /\/orders\/(\d+)/.exec(sp.url())[1];
    await Promise.all([sp.waitForNavigation(), sp.click('a.pay-button')]);
    await sp.fill('#card-number', '4242 4242 4242 4242');
    await Promise.all([sp.waitForNavigation({ url: `${BASE}/orders/**` }),
                       sp.click('button[value="pay"]')]);
    assert.equal(scalar(`SELECT status FROM orders WHERE id = ${order}`), 'paid');

    // the admin finds the order and refunds it
    await page.goto(`${BASE}/admin/orders`);
    await page.fill('input[name=q]', `#${order}`);
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Search")')]);
    await Promise.all([page.waitForNavigation(), page.click(`a[href="/admin/orders/${order}"]`)]);
    await page.locator('form[action$="/refund"] input[name=reason]').fill('customer asked');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Refund order")')]);
    assert.match(await page.locator('.alert').textContent(), /refunded/);
    assert.match(await page.locator('.timeline').textContent(), /order_refund/);
    assert.equal(scalar(`SELECT status FROM orders WHERE id = ${order}`), 'refunded');
    await assertClean(page, watch, 'refunded order');
    await screenshot(page, 'admin-order-refunded.png');

    // the dashboard plots live data
    let lines = 0;
    for (let i = 0; i < 60 && lines === 0; i++) {
        await page.goto(`${BASE}/admin/dashboard`);
        lines = await page.locator('section[aria-label="Requests"] svg.dash__svg polyline').count();
        if (lines === 0) await page.waitForTimeout(1000);
    }
    assert.ok(lines > 0, 'the dashboard draws lines');
    await assertClean(page, watch, 'dashboard');
    await screenshot(page, 'admin-dashboard.png');
}

test('an admin creates a product, receives stock, refunds an order, watches the dashboard',
     () => withBrowser(adminWalk));
