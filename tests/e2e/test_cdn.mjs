// e2e_cdn: static assets come through the CDN edge (nginx/edge.conf.in, tools/stampede/cdn.sh).
// - Every stylesheet, script and image of the home page, a product page, the sign-in page and
//   the cart is fetched from the edge's host:port and answered 200; nothing from /static/ on
//   the shop's own host. A second visit (a fresh browser cache) is served from the edge's cache
//   (X-Cache: HIT), with year-long immutable caching.
// - A deploy that changes the stylesheet: a changed copy of the static files is fingerprinted
//   and published with `./stampede publish-static` (a new release), the web nodes reload their
//   configuration with the new manifest (SIGHUP, no request refused). The stylesheet gets a new
//   fingerprint; a page opened before the deploy keeps its styles (the old file stays on the
//   origin and the edge), pages after it use the new one. Publishing the same build again does
//   nothing. Afterwards the stack is put back as it was.
// - The edge down: pages still answer 200 and their forms work (sign in, add to cart), without
//   the stylesheet; then the edge is started again.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DESKTOP, baseUrl, openPage, readTiles, stackEnv, withBrowser } from './lib.mjs';

const BASE = baseUrl();
const ST = stackEnv();
const DATA = ST.STAMPEDE_DATA;
const REPO = ST.STAMPEDE_REPO;

// The ports the stack recorded (etc/stack.env): the edge is the first of CDN_PORTS.
function stackPorts() {
    const env = {};
    for (const line of readFileSync(join(DATA, 'etc/stack.env'), 'utf8').split('\n')) {
        const m = /^([A-Z_]+)=(.*)$/.exec(line);
        if (m) env[m[1]] = m[2];
    }
    return env;
}
const PORTS = stackPorts();
assert.equal(PORTS.CDN, 'on', 'the test stack runs with the CDN edge (STAMPEDE_CDN=on)');
const EDGE = `127.0.0.1:${PORTS.CDN_PORTS.split(' ')[0]}`;
const N_WEB = PORTS.NGINX_PORTS.split(' ').length;
const ASSET_TYPES = new Set(['stylesheet', 'script', 'image', 'font']);
const IMMUTABLE = 'public, max-age=31536000, immutable';

// ./stampede publish-static from the build in BUILD_DIR; its output.
function publish(buildDir) {
    return execFileSync('./stampede', ['publish-static'], {
        cwd: REPO, encoding: 'utf8',
        env: { ...process.env, STAMPEDE_DATA: DATA, STAMPEDE_BUILD_DIR: buildDir,
               STAMPEDE_PORT_BASE: ST.STAMPEDE_PORT_BASE, STAMPEDE_NO_INSTALL: '1',
               STAMPEDE_NO_BUILD: '1' },
    });
}

// Records every asset request of a page: url, status, X-Cache, Cache-Control (or the error).
// The list is complete once `await rec.settled()` returns.
function recordAssets(page) {
    const seen = [];
    const pending = [];
    page.on('requestfinished', (req) => {
        if (!ASSET_TYPES.has(req.resourceType())) return;
        pending.push((async () => {
            const res = await req.response();
            const h = res ? await res.allHeaders() : {};
            seen.push({ url: req.url(), status: res?.status(), xcache: h['x-cache'],
                        cc: h['cache-control'] });
        })());
    });
    page.on('requestfailed', (req) => {
        if (ASSET_TYPES.has(req.resourceType()))
            seen.push({ url: req.url(), status: 0, error: req.failure()?.errorText });
    });
    return { seen, settled: async () => { await Promise.all(pending); return seen; } };
}

// Opens URL in a new page of CONTEXT (a fresh context has an empty browser cache), scrolls
// through it so every lazy image loads, and returns the page's asset requests.
async function visit(context, url) {
    const page = await context.newPage();
    const rec = recordAssets(page);
    const res = await page.goto(url);
    assert.equal(res.status(), 200, `GET ${url}`);
    await page.evaluate(async () => {
        for (let y = 0; y < document.body.scrollHeight; y += 600) {
            window.scrollTo(0, y);
            await new Promise((ok) => setTimeout(ok, 30));
        }
    });
    await page.waitForLoadState('networkidle');
    return rec.settled();
}

function assertFromEdge(seen, what) {
    assert.ok(seen.some((a) => /\/static\/css\/site\.[0-9a-f]{12}\.css$/.test(a.url)),
              `${what}: the stylesheet was requested`);
    for (const a of seen) {
        const u = new URL(a.url);
        if (u.pathname.startsWith('/uploads/')) continue; // an admin's upload: the shop serves it
        assert.equal(u.host, EDGE, `${what}: ${a.url} comes from the edge ${EDGE}`);
        assert.equal(a.status, 200, `${what}: ${a.url} answered 200 (${a.error ?? ''})`);
        assert.equal(a.cc, IMMUTABLE, `${what}: ${a.url} is cached for a year, immutable`);
        assert.match(a.xcache ?? '', /^(HIT|MISS|STALE|UPDATING|REVALIDATED|EXPIRED)$/,
                     `${what}: ${a.url} has X-Cache`);
    }
}

async function stylesheetHref(page) {
    return page.locator('link[rel=stylesheet]').first().getAttribute('href');
}
async function stylesApplied(page) {
    return page.evaluate(() => [...document.styleSheets].map((s) => {
        try { return s.cssRules.length; } catch { return -1; }
    }));
}

// A shopper for the signed-in pages: signs up through the form.
async function signUp(page, email, password) {
    await page.goto(`${BASE}/account/signup`);
    await page.fill('#signup-name', 'CDN Shopper');
    await page.fill('#signup-email', email);
    await page.fill('#signup-password', password);
    await Promise.all([page.waitForNavigation(),
                       page.click('button[type=submit]:has-text("Create account")')]);
    assert.ok(await page.locator('form[action="/account/signout"]').count() > 0, 'signed up');
}

// A product page that has a size in stock: [href, size input id].
async function productInStock(page) {
    await page.goto(`${BASE}/`);
    for (const tile of (await readTiles(page)).filter((t) => !t.soldOut)) {
        await page.goto(`${BASE}${tile.href}`);
        const id = await page.locator('.size-grid .size').evaluateAll((boxes) => boxes
            .map((b) => ({ input: b.querySelector('input'),
                           note: b.querySelector('.size__note')?.textContent.trim() }))
            .filter((s) => s.input && !s.input.disabled && s.note === 'In stock')
            .map((s) => s.input.id)[0] ?? null);
        if (id) return [tile.href, id];
    }
    assert.fail('no product with a size in stock');
}

// The web nodes reload their configuration (SIGHUP to each master): no request is refused.
function reloadWebNodes() {
    for (let i = 1; i <= N_WEB; i++) {
        const pid = Number(readFileSync(join(DATA, `run/web${i}-app.pid`), 'utf8').trim());
        process.kill(pid, 'SIGHUP');
    }
}
async function waitForStylesheet(want) {
    const deadline = Date.now() + 20000;
    for (;;) {
        // each node in turn (HAProxy balances): ask until two answers in a row agree for each
        let agree = 0;
        for (let i = 0; i < 2 * N_WEB; i++) {
            const html = await (await fetch(`${BASE}/account/signin`)).text();
            if (html.includes(want)) agree++;
        }
        if (agree === 2 * N_WEB) return;
        assert.ok(Date.now() < deadline, `the web nodes did not switch to ${want} in 20 s`);
        await new Promise((ok) => setTimeout(ok, 250));
    }
}

const nginxRunning = (pidFile) => {
    try {
        process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 0);
        return true;
    } catch {
        return false;
    }
};

test('every asset comes from the CDN edge, and a second load from its cache', async () => {
    await withBrowser(async (browser) => {
        const ctx = await browser.newContext({ viewport: DESKTOP });
        const page = await ctx.newPage();
        const email = `cdn-e2e-${Date.now()}-${process.pid}@test.stampede`;
        await signUp(page, email, 'a long cdn password 2026');
        const [product] = await productInStock(page);
        await page.close();
        const pages = { home: '/', product, signin: '/account/signin', cart: '/cart' };

        let hits = 0;
        let total = 0;
        for (const [what, path] of Object.entries(pages)) {
            // the cart needs the signed-in shopper: its own context with the session cookie
            const state = what === 'cart' ? await ctx.storageState() : undefined;
            const first = await browser.newContext({ viewport: DESKTOP, storageState: state });
            assertFromEdge(await visit(first, `${BASE}${path}`), `${what} (first load)`);
            await first.close();
            const again = await browser.newContext({ viewport: DESKTOP, storageState: state });
            const second = await visit(again, `${BASE}${path}`);
            await again.close();
            assertFromEdge(second, `${what} (second load)`);
            const edge = second.filter((a) => new URL(a.url).host === EDGE);
            for (const a of edge)
                assert.equal(a.xcache, 'HIT', `${what} (second load): ${a.url} from the cache`);
            hits += edge.filter((a) => a.xcache === 'HIT').length;
            total += edge.length;
        }
        console.log(`second loads: ${hits}/${total} assets were edge cache hits`);
        await ctx.close();
    });
});

test('a deploy that changes the stylesheet: a new fingerprint, no broken page', async () => {
    const work = join(DATA, 'tmp/e2e-cdn');
    const origConf = readFileSync(join(DATA, 'etc/stampede.conf'), 'utf8');
    rmSync(work, { recursive: true, force: true });
    // the deploy's build: the repository's static files with one rule more, fingerprinted
    cpSync(join(REPO, 'static'), join(work, 'src'), { recursive: true });
    appendFileSync(join(work, 'src/css/site.css'),
                   `\n/* e2e_cdn deploy ${Date.now()} */\n.e2e-cdn-deploy { outline: 0; }\n`);
    execFileSync(join(REPO, 'tools/fingerprint.sh'),
                 [join(work, 'src'), join(work, 'build/static-dist')]);
    try {
        await withBrowser(async (browser) => {
            const { page: before } = await openPage(browser, DESKTOP);
            await before.goto(`${BASE}/`);
            const oldCss = await stylesheetHref(before);
            assert.ok(oldCss.startsWith(`http://${EDGE}/static/css/site.`), `old css ${oldCss}`);

            const out = publish(join(work, 'build'));
            assert.match(out, /1 new, release releases\/\d{8}T\d{6}Z-[0-9a-f]{12}\.txt/,
                         `publish-static published the changed stylesheet:\n${out}`);
            assert.match(publish(join(work, 'build')), /already published: nothing to do/,
                         'publishing the same build again does nothing');
            const manifest = readFileSync(join(work, 'build/static-dist/manifest.txt'), 'utf8');
            const newPath = /^css\/site\.css (\S+)$/m.exec(manifest)[1];
            const newCss = `http://${EDGE}/static/${newPath}`;
            assert.notEqual(newCss, oldCss, 'the changed stylesheet has a new fingerprint');

            // the deploy: the nodes take the new manifest
            writeFileSync(join(DATA, 'etc/stampede.conf'), origConf.replace(
                /^static\.manifest = .*$/m,
                `static.manifest = ${join(work, 'build/static-dist/manifest.txt')}`));
            reloadWebNodes();
            await waitForStylesheet(newCss);

            // the page opened before the deploy keeps its styles and can still load its
            // stylesheet; pages after the deploy use the new one, through the edge
            assert.ok((await stylesApplied(before)).every((n) => n > 0), 'old page keeps styles');
            const old = await before.context().request.get(oldCss);
            assert.equal(old.status(), 200, 'the old fingerprint still loads after the deploy');
            const { page: after } = await openPage(browser, DESKTOP);
            const rec = recordAssets(after);
            await after.goto(`${BASE}/account/signin`);
            await after.waitForLoadState('networkidle');
            assert.equal(await stylesheetHref(after), newCss, 'a new page links the new css');
            assertFromEdge(await rec.settled(), 'signin after the deploy');
            assert.ok((await stylesApplied(after)).every((n) => n > 0), 'new page has styles');
            const body = await (await after.context().request.get(newCss)).text();
            assert.match(body, /\.e2e-cdn-deploy/, 'the edge serves the changed stylesheet');
            console.log(`deploy: ${oldCss.split('/').pop()} -> ${newPath.split('/').pop()}`);
        });
    } finally {
        // put the stack back: the build's own manifest, and its release the newest again
        writeFileSync(join(DATA, 'etc/stampede.conf'), origConf);
        reloadWebNodes();
        publish(ST.STAMPEDE_BUILD_DIR);
        rmSync(work, { recursive: true, force: true });
    }
    const orig = /^css\/site\.css (\S+)$/m.exec(readFileSync(
        join(ST.STAMPEDE_BUILD_DIR, 'static-dist/manifest.txt'), 'utf8'))[1];
    await waitForStylesheet(`http://${EDGE}/static/${orig}`);
});

test('the edge down: pages still answer and their forms work', async () => {
    const pidFile = join(DATA, 'run/edge.pid');
    assert.ok(nginxRunning(pidFile), 'the edge runs');
    process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGQUIT');
    for (let i = 0; i < 100 && existsSync(pidFile); i++)
        await new Promise((ok) => setTimeout(ok, 100));
    assert.ok(!existsSync(pidFile), 'the edge stopped');
    try {
        await withBrowser(async (browser) => {
            const { page } = await openPage(browser, DESKTOP);
            const rec = recordAssets(page);
            const email = `cdn-down-${Date.now()}-${process.pid}@test.stampede`;
            const password = 'a long cdn password 2026';
            await signUp(page, email, password);
            assert.ok((await rec.settled()).some((a) => a.status === 0),
                      'the stylesheet fails: the edge is down');
            // sign out and in again through the forms
            await Promise.all([page.waitForNavigation(),
                               page.locator('form[action="/account/signout"] button').click()]);
            const res = await page.goto(`${BASE}/account/signin`);
            assert.equal(res.status(), 200, 'the sign-in page answers without the edge');
            await page.fill('#signin-email', email);
            await page.fill('#signin-password', password);
            await Promise.all([page.waitForNavigation(),
                               page.click('button[type=submit]:has-text("Sign in")')]);
            assert.ok(await page.locator('form[action="/account/signout"]').count() > 0,
                      'signed in through the form without the stylesheet');
            // a size into the cart through the product page's form
            const [href, size] = await productInStock(page);
            assert.equal((await page.goto(`${BASE}${href}`)).status(), 200, 'product page');
            await page.check(`#${size}`);
            await Promise.all([page.waitForURL((u) => u.pathname === '/cart'),
                               page.click('form.buy button:has-text("Add to cart")')]);
            assert.equal(await page.locator('.lines .line').count(), 1, 'the cart has the line');
            for (const path of ['/', '/cart'])
                assert.equal((await page.goto(`${BASE}${path}`)).status(), 200, `GET ${path}`);
        });
    } finally {
        execFileSync('nginx', ['-p', `${DATA}/`, '-c', join(DATA, 'etc/edge.conf'),
                               '-e', join(DATA, 'log/edge-error.log')]);
    }
    for (let i = 0; i < 50 && !nginxRunning(pidFile); i++)
        await new Promise((ok) => setTimeout(ok, 100));
    assert.ok(nginxRunning(pidFile), 'the edge runs again');
});
