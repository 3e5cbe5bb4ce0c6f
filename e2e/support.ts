import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

/**
 * Journey support: the real server (built web app, temp SQLite store, free port) and
 * Debian's Chromium driven by playwright-core. Screenshots go to e2e/out/ (git-ignored).
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const OUT = path.resolve(import.meta.dirname, 'out');
const ROOT = path.resolve(import.meta.dirname, '..');

export interface Server {
  readonly url: string;
  readonly setupLink: string;
  readonly dataDir: string;
  stop(): Promise<void>;
  /** Kills the process abruptly and starts it again on the same port and store. */
  restart(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function spawnServer(port: number, dataDir: string): { proc: ChildProcess; ready: Promise<string> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30_000);
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(/(http:\/\/\S+\/setup#token=\S+)/.exec(out)?.[1] ?? '');
    };
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      // A store without an administrator prints its one-time setup link right after starting.
      if (/setup#token=\S+\s/.test(out)) done();
      else if (/Caucus is running/.test(out)) setTimeout(done, 1500);
    });
    proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      if (!settled) reject(new Error(`server exited (${code}):\n${out}`));
    });
  });
  return { proc, ready };
}

export async function startServer(): Promise<Server> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'caucus-e2e-'));
  const port = await freePort();
  let s = spawnServer(port, dataDir);
  const setupLink = await s.ready;
  const url = `http://127.0.0.1:${port}`;
  const kill = (p: ChildProcess, signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (p.exitCode !== null) return resolve();
      p.once('exit', () => resolve());
      p.kill(signal);
    });
  return {
    url,
    setupLink,
    dataDir,
    async stop() {
      await kill(s.proc, 'SIGTERM');
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
    async restart() {
      await kill(s.proc, 'SIGKILL');
      s = spawnServer(port, dataDir);
      await s.ready;
    },
  };
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export const DESKTOP = { width: 1440, height: 900 };
export const PHONE = { width: 390, height: 844 };

export interface Tab {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Every WebSocket frame this tab received, as text. */
  readonly frames: string[];
  /** Every HTTP response body (JSON/text) this tab received. */
  readonly bodies: string[];
  /** Console errors and page errors: a journey fails on any it did not expect. */
  readonly errors: string[];
}

const openTabs: { tab: Tab; name: string }[] = [];

/** After a failed test: a screenshot of every open tab, and its page text, for the post-mortem. */
export async function captureFailure(test: string): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  for (const [i, { tab }] of openTabs.entries()) {
    const base = path.join(OUT, `FAIL-${test.replace(/\W+/g, '-').slice(0, 40)}-${i}`);
    await tab.page.screenshot({ path: `${base}.png`, fullPage: true }).catch(() => undefined);
    fs.writeFileSync(`${base}.txt`, `${tab.page.url()}\n${tab.errors.join('\n')}\n\n${await tab.page.locator('body').innerText().catch(() => '')}`);
  }
}

export async function openTab(browser: Browser, viewport = DESKTOP, opts: { mobile?: boolean } = {}): Promise<Tab> {
  const context = await browser.newContext({ viewport, isMobile: opts.mobile ?? false, hasTouch: opts.mobile ?? false, locale: 'en-GB', timezoneId: 'Europe/London' });
  const page = await context.newPage();
  const frames: string[] = [];
  const bodies: string[] = [];
  const errors: string[] = [];
  page.on('websocket', (ws) => {
    ws.on('framereceived', (f) => frames.push(typeof f.payload === 'string' ? f.payload : f.payload.toString('utf8')));
  });
  page.on('response', (r) => {
    const type = r.headers()['content-type'] ?? '';
    if (type.includes('json') || type.startsWith('text/'))
      r.text().then(
        (b) => bodies.push(b),
        () => undefined,
      );
  });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  const tab = { page, context, frames, bodies, errors };
  openTabs.push({ tab, name: String(openTabs.length) });
  return tab;
}

/** Page errors other than network failures we cause on purpose. */
export function unexpectedErrors(tab: Tab, allow: RegExp[] = []): string[] {
  return tab.errors.filter((e) => !allow.some((r) => r.test(e)));
}

let shotNo = 0;
export async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  await page.waitForTimeout(150); // let transitions and fonts settle
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
  shotNo += 1;
}
export const shotCount = (): number => shotNo;

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Runs axe-core in the page (evaluated through DevTools, not an inline script, so the CSP stays strict). */
export async function axe(page: Page, screen: string): Promise<void> {
  const has = await page.evaluate(() => 'axe' in window);
  if (!has) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const w = window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: AxeViolation[] }> } };
    const r = await w.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const report = serious.map((v) => `${screen}: [${v.impact}] ${v.id} — ${v.help}\n   ${v.nodes.map((n) => n.target.join(' ')).join('\n   ')}`).join('\n');
  expect(report, `axe found serious/critical violations on ${screen}`).toBe('');
  if (violations.length > serious.length) fs.appendFileSync(path.join(OUT, 'axe-minor.txt'), `${screen}: ${violations.filter((v) => !serious.includes(v)).map((v) => `${v.id}(${v.impact})`).join(', ')}\n`);
}

/** Fails if the page scrolls sideways (content wider than the viewport). */
export async function noHorizontalScroll(page: Page, screen: string): Promise<void> {
  const { sw, cw } = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
  expect(sw, `${screen} scrolls sideways (${sw} > ${cw})`).toBeLessThanOrEqual(cw + 1);
}

/**
 * What every journey file starts with: the real server and one Chromium, shared by the
 * file's tests, a screenshot of every open tab when a test fails, and both stopped at the end.
 */
export function useJourney(): { readonly server: Server; readonly browser: Browser } {
  let server: Server | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launch()]);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await captureFailure(ctx.task.name);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });
  return {
    get server(): Server {
      if (!server) throw new Error('the journey server is not started yet');
      return server;
    },
    get browser(): Browser {
      if (!browser) throw new Error('the browser is not launched yet');
      return browser;
    },
  };
}

/** The focused element, as a keyboard user's screen reader would name it: tag and label. */
export const focused = (page: Page): Promise<string> =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el) return '';
    const label = el.getAttribute('aria-label') ?? (el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null) ?? el.closest('label')?.textContent ?? el.textContent ?? '';
    return `${el.tagName.toLowerCase()}:${label.replace(/\s+/g, ' ').trim()}`;
  });

/** Presses Tab (or Shift+Tab) until the focused element matches; fails after `max` presses. */
export async function tabTo(page: Page, match: RegExp, max = 60, key = 'Tab'): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    if (match.test(await focused(page))) return;
  }
  throw new Error(`could not reach ${match} with ${key}; last focus: ${await focused(page)}`);
}
