// e2e_notfound: an unknown product answers 404 with the shop's own friendly page (header,
// stylesheet, a message and a link back home) rather than a bare server error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
    PHONE, assertAssetsLoaded, assertClean, baseUrl, openPage, screenshot, withBrowser,
} from './lib.mjs';

const BASE = baseUrl();

test('unknown product: friendly 404 page with a link home', () => withBrowser(async (browser) => {
    const { page, watch } = await openPage(browser, PHONE);
    const res = await page.goto(`${BASE}/products/no-such-shoe`);
    assert.equal(res.status(), 404, 'GET /products/no-such-shoe status');
    assert.match(res.headers()['content-type'] ?? '', /^text\/html/, '404 page is HTML');

    assert.ok(await page.locator('header.site-header').isVisible(), 'the shop header is there');
    const h1 = page.locator('h1');
    assert.equal(await h1.count(), 1, 'one heading');
    const heading = (await h1.textContent()).trim();
    assert.match(heading, /not found|(?:not|n't) find/i,
                 `the heading says the product was not found, was "${heading}"`);
    assert.equal((await page.locator('.error-page__status').textContent()).trim(), '404',
                 'the status is shown');
    const text = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
    assert.match(text, /Sorry about that/, 'an apology in plain words');
    assert.doesNotMatch(text, /nginx|haproxy|stack|assert|\.c:\d+/i, 'no server internals shown');
    assert.match(await page.title(), / · Stampede$/, 'title names the shop');

    const home = page.getByRole('link', { name: 'Back to the latest drops' });
    assert.ok(await home.isVisible(), 'a visible "Back to the latest drops" link');
    assert.equal(await home.getAttribute('href'), '/', 'the link goes home');

    await assertAssetsLoaded(page, watch, '404 page');
    // The 404 document itself is logged by Chromium as a failed resource; anything else counts.
    watch.console = watch.console.filter((m) =>
        !(/status of 404/.test(m) && m.includes('/products/no-such-shoe')));
    await assertClean(page, watch, '404 page');
    const scroll = await page.evaluate(() =>
        document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(scroll <= 0, `404 page: no horizontal scrollbar at 390 (overflow ${scroll}px)`);
    await screenshot(page, 'notfound-phone.png');

    await Promise.all([page.waitForURL(`${BASE}/`), home.click()]);
    assert.equal((await page.locator('h1').textContent()).trim(), 'Latest drops',
                 'the link leads to the home page');
}));
