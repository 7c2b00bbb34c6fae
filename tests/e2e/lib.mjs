// Shared helpers for the e2e tests: where the stack is, how Chromium is started, and a watcher
// that records what a shopper's browser would complain about (console errors, uncaught
// exceptions, CSP violations, failed or non-200 requests).
//
// The stack: STAMPEDE_E2E_BASE_URL if set (e.g. http://127.0.0.1:8080 for a developer stack),
// else the file named by STAMPEDE_STACK_ENV (written by tests/integration/stack.sh; HAProxy
// listens on 127.0.0.1:$STAMPEDE_PORT_BASE). Chromium is Debian's, never a downloaded one.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const { chromium } = await import('playwright-core').catch((err) => {
    throw new Error(`playwright-core is not installed (${err.code}): run \`npm ci\` in tests/e2e ` +
                    '(./stampede test does)');
});

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

// ₩129,000: the won sign, then digits grouped in threes with commas, no leading zero.
export const PRICE_RE = /^₩[1-9]\d{0,2}(?:,\d{3})*$/;

const CHROMIUM_ARGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function baseUrl() {
    if (process.env.STAMPEDE_E2E_BASE_URL)
        return process.env.STAMPEDE_E2E_BASE_URL.replace(/\/+$/, '');
    const file = process.env.STAMPEDE_STACK_ENV;
    assert.ok(file, 'set STAMPEDE_STACK_ENV (ctest does) or STAMPEDE_E2E_BASE_URL');
    assert.ok(existsSync(file), `${file} is missing: the ctest fixture 'stack' did not start`);
    const env = {};
    for (const line of readFileSync(file, 'utf8').split('\n')) {
        const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
        if (m) env[m[1]] = m[2];
    }
    assert.match(env.STAMPEDE_PORT_BASE ?? '', /^\d+$/, `${file} has no STAMPEDE_PORT_BASE`);
    return `http://127.0.0.1:${env.STAMPEDE_PORT_BASE}`;
}

export function artifactsDir() {
    const here = dirname(fileURLToPath(import.meta.url));
    const dir = process.env.STAMPEDE_E2E_ARTIFACTS || join(here, 'artifacts');
    mkdirSync(dir, { recursive: true });
    return dir;
}

export async function launch() {
    const executablePath = process.env.STAMPEDE_CHROMIUM || '/usr/bin/chromium';
    assert.ok(existsSync(executablePath),
              `${executablePath} not found: install Debian's chromium (./stampede test does)`);
    return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 60000 });
}

// A fresh context (no cookies, empty cache) with one page, and a watcher on that page.
export async function openPage(browser, viewport) {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
    context.setDefaultTimeout(15000);
    const page = await context.newPage();
    return { context, page, watch: await watchPage(page) };
}

// Records trouble on a page. CSP violations are caught twice: Chromium logs them as console
// errors, and the document's securitypolicyviolation event is collected by an init script
// (injected by the DevTools protocol, so the page's own CSP does not apply to it).
// A request that an earlier document started and that was aborted because the test navigated
// away (lazy tile images still loading) is not a failure; every other failed request is.
export async function watchPage(page) {
    const w = { console: [], pageErrors: [], failed: [], responses: [] };
    let doc = 0;
    const docOf = new WeakMap();
    page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) doc++; });
    page.on('request', (req) => docOf.set(req, doc));
    w.failures = () => w.failed
        .filter((f) => !(f.aborted && f.doc < doc))
        .map((f) => f.text);
    page.on('console', (msg) => {
        const csp = /Content.Security.Policy/i.test(msg.text());
        if (msg.type() === 'error' || (msg.type() === 'warning' && csp))
            w.console.push(`${msg.type()}: ${msg.text()} (${msg.location().url || 'page'})`);
    });
    page.on('pageerror', (err) => w.pageErrors.push(String(err)));
    page.on('requestfailed', (req) => {
        const error = req.failure()?.errorText ?? 'failed';
        w.failed.push({ text: `${req.url()}: ${error}`, aborted: /ERR_ABORTED/.test(error),
                        doc: docOf.get(req) ?? doc });
    });
    page.on('response', (res) => w.responses.push({ url: res.url(), status: res.status() }));
    await page.addInitScript(() => {
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => {
            const what = e.blockedURI || 'inline';
            window.__cspViolations.push(`${e.violatedDirective} blocked ${what}`);
        });
    });
    w.status = (url) => {
        const hits = w.responses.filter((r) => r.url === url);
        return hits.length ? hits[hits.length - 1].status : undefined;
    };
    return w;
}

// Fails with everything the watcher saw that a shopper's browser would complain about.
export async function assertClean(page, w, what) {
    const csp = await page.evaluate(() => window.__cspViolations ?? []);
    assert.deepEqual(csp, [], `${what}: CSP violations`);
    assert.deepEqual(w.pageErrors, [], `${what}: uncaught page errors`);
    assert.deepEqual(w.console, [], `${what}: console errors`);
    assert.deepEqual(w.failures(), [], `${what}: failed requests`);
}

// Every <img> on the page and every stylesheet was answered 200 (seen by page.on('response')).
export async function assertAssetsLoaded(page, w, what) {
    const urls = await page.evaluate(() => ({
        imgs: [...document.images].map((i) => i.currentSrc || i.src),
        css: [...document.querySelectorAll('link[rel=stylesheet]')].map((l) => l.href),
    }));
    assert.ok(urls.css.length >= 1, `${what}: no stylesheet linked`);
    for (const url of [...new Set([...urls.imgs, ...urls.css])])
        assert.equal(w.status(url), 200, `${what}: ${url} was not answered 200`);
    const sheets = await page.evaluate(() => [...document.styleSheets].map((s) => {
        try { return s.cssRules.length; } catch { return -1; }
    }));
    assert.ok(sheets.length >= 1 && sheets.every((n) => n > 0),
              `${what}: the stylesheet did not apply (rules per sheet: ${sheets})`);
}

// Scrolls every image into view, as a shopper scrolling down would (the product tiles load
// lazily), and waits until each has loaded. Returns the number of images.
export async function loadAllImages(page, what) {
    const n = await page.locator('img').count();
    for (let i = 0; i < n; i++) {
        const img = page.locator('img').nth(i);
        await img.scrollIntoViewIfNeeded();
        const src = await img.getAttribute('src');
        await img.evaluate((el) => el.complete && el.naturalWidth > 0 ? null : new Promise((ok) => {
            el.addEventListener('load', ok, { once: true });
            el.addEventListener('error', ok, { once: true });
            setTimeout(ok, 10000);
        }));
        const width = await img.evaluate((el) => el.naturalWidth);
        assert.ok(width > 0, `${what}: image ${src} did not load (naturalWidth 0)`);
    }
    await scrollToTop(page);
    return n;
}

// Scrolls to the top and waits until that has been painted: a full-page screenshot taken
// sooner shows the sticky header where the page was scrolled to before.
export async function scrollToTop(page) {
    await page.evaluate(() => new Promise((done) => {
        window.scrollTo(0, 0);
        requestAnimationFrame(() => requestAnimationFrame(done));
    }));
}

export async function screenshot(page, name) {
    const path = join(artifactsDir(), name);
    await scrollToTop(page);
    await page.screenshot({ path, fullPage: true });
    console.log(`screenshot: ${path}`);
    return path;
}

// Text of an element without its screen-reader-only parts ("Price ₩129,000" -> "₩129,000").
export async function visibleText(locator) {
    return locator.evaluate((el) => {
        const c = el.cloneNode(true);
        c.querySelectorAll('.sr-only').forEach((s) => s.remove());
        return c.textContent.replace(/\s+/g, ' ').trim();
    });
}

// The product tiles of the home page as plain data.
export async function readTiles(page) {
    return page.locator('.product-grid__item').evaluateAll((items) => items.map((li) => {
        const text = (sel) => {
            const el = li.querySelector(sel);
            if (!el) return null;
            const c = el.cloneNode(true);
            c.querySelectorAll('.sr-only').forEach((s) => s.remove());
            return c.textContent.replace(/\s+/g, ' ').trim();
        };
        const img = li.querySelector('img');
        const badges = [...li.querySelectorAll('.badge')].map((b) => b.textContent.trim());
        return {
            href: li.querySelector('a')?.getAttribute('href') ?? null,
            brand: text('.card__brand'),
            name: text('.card__name'),
            price: text('.card__price'),
            img: img ? img.currentSrc || img.src : null,
            imgAlt: img?.getAttribute('alt') ?? null,
            naturalWidth: img ? img.naturalWidth : 0,
            soldOut: badges.includes('Sold out'),
            fewLeft: badges.includes('Few left'),
        };
    }));
}

// Runs fn(browser) with a fresh browser that is always closed.
export async function withBrowser(fn) {
    const browser = await launch();
    try {
        return await fn(browser);
    } finally {
        await browser.close();
    }
}

// From a cart that asks for a shipping address: follow its link, fill the form as a shopper
// does and save; the form sends the shopper back to the cart, which now shows where it ships.
export async function addAddressFromCart(page) {
    const link = page.locator('a.add-address');
    assert.equal(await link.count(), 1, 'without an address the cart links to the address form');
    assert.equal(await page.locator('button:has-text("Place order")').count(), 0,
                 'without an address there is no Place order button');
    await Promise.all([page.waitForURL((u) => u.pathname === '/account/address'), link.click()]);
    await page.fill('#address-recipient', '김지민');
    await page.fill('#address-phone', '010 9876 5432');
    await page.fill('#address-postcode', '04524');
    await page.fill('#address-address', '서울특별시 중구 세종대로 110');
    await page.fill('#address-detail', '3층');
    await Promise.all([page.waitForURL((u) => u.pathname === '/cart'),
                       page.click('button:has-text("Save address")')]);
    const ship = await page.locator('.ship-box').textContent();
    assert.match(ship, /세종대로 110/, 'the cart shows where the order ships');
    assert.match(ship, /010-9876-5432/, 'the phone number as saved (normalised)');
}

// The private stack's settings (tests/integration/stack.sh writes them), for tests that also
// look into its database or run its tools; read once.
let stackCache = null;
export function stackEnv() {
    if (stackCache) return stackCache;
    const file = process.env.STAMPEDE_STACK_ENV;
    assert.ok(file, 'this test needs STAMPEDE_STACK_ENV (its database and tools)');
    const env = {};
    for (const line of readFileSync(file, 'utf8').split('\n')) {
        const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
        if (m) env[m[1]] = m[2];
    }
    stackCache = env;
    return env;
}

// sql: one statement as root on the stack's primary; rows of tab-separated columns.
export function sql(statement) {
    const out = execFileSync('mariadb', ['--no-defaults', '-S',
        `${stackEnv().STAMPEDE_DATA}/run/mariadb-primary.sock`, '-uroot', 'stampede', '-N', '-B',
        '-e', statement], { encoding: 'utf8' });
    return out.trim().split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}
export const scalar = (statement) => sql(statement)[0]?.[0];

// stampede: ./stampede ARGS on the stack; throws (with its output) unless it exits 0.
export function stampede(...args) {
    const st = stackEnv();
    return execFileSync('./stampede', args, {
        cwd: st.STAMPEDE_REPO, encoding: 'utf8',
        // every setting of stack.env (the suite's, as stack.sh started the stack)
        env: { ...process.env, ...st, STAMPEDE_NO_INSTALL: '1', STAMPEDE_NO_BUILD: '1' },
    });
}
