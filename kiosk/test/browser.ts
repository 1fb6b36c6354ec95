// Debian's Chromium for the tests that look at a page (the officer screen, the dashboard), and what they ask of a
// page: that nothing reaches past its width, and the text of a table's rows.
import { chromium, type Browser, type Page } from 'playwright-core';

/** Headless Chromium without the background traffic a test has no use for. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** What does not fit the width: the page scrolling sideways, or an element matching `selector` past an edge. */
export function overflows(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((sel) => {
    const out: string[] = [];
    const vw = innerWidth;
    const se = document.scrollingElement!;
    if (se.scrollWidth > vw) out.push(`the page is ${se.scrollWidth} px wide in a ${vw} px viewport`);
    for (const e of document.querySelectorAll(sel)) {
      const r = e.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // not displayed (a table head on a phone)
      if (r.left < -0.5 || r.right > vw + 0.5) out.push(`${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''} "${(e.textContent ?? '').trim().slice(0, 30)}" spans ${Math.round(r.left)}–${Math.round(r.right)}`);
    }
    return out;
  }, selector);
}

/** The trimmed text of each cell of each row matching `selector`. */
export const cells = (page: Page, selector: string): Promise<string[][]> =>
  page.$$eval(selector, (trs) => trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim())));

/** Opens the dashboard at `size` in Vietnamese and logs in; resolves once the page shows the figures. */
export async function dashboardLogin(browser: Browser, base: string, user: string, password: string, size: { width: number; height: number }): Promise<Page> {
  const page = await browser.newPage({ viewport: size });
  await page.goto(base);
  await page.evaluate(() => localStorage.setItem('chot-lang', 'vi'));
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', password);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#app:not([hidden])');
  return page;
}
