import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

/** Where the end-to-end tests save a screenshot of every page, for review. */
export const SHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

/** Debian's Chromium (scripts/install-system-deps.sh installs it); CHROMIUM_PATH overrides. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM)
    ? undefined
    : `Chromium is not installed at ${CHROMIUM}: run scripts/install-system-deps.sh as root on Debian, or set CHROMIUM_PATH`;
}

/**
 * Real Chromium through playwright-core. The flags keep it off the network (this machine has
 * none but the package registries) and let it run as root in CI.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/**
 * A page's link in the app's main navigation (the sidebar), not a link of the same words in the
 * page ("Wallet page" in a status line, "Open Benchmark" in a diagnosis).
 */
export function navLink(page: Page, name: string): Locator {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
}

/**
 * What sticks out past the window's right edge, or past the right edge of the card it is in, in
 * the page's main area (the deepest few, with their text), for "usable at 1024×640": empty when
 * everything fits.
 */
export async function overflowing(page: Page): Promise<string[]> {
  return (await page.evaluate(`
    Array.from(document.querySelectorAll('main *'))
      .filter((el) => {
        const right = el.getBoundingClientRect().right;
        const card = el.parentElement && el.parentElement.closest('.card');
        return right > window.innerWidth + 1 || (card && right > card.getBoundingClientRect().right + 1);
      })
      .slice(-5)
      .map((el) => el.tagName.toLowerCase() + '.' + el.className + ': ' + (el.textContent ?? '').slice(0, 50))
  `)) as string[];
}

const AXE_SOURCE = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

/**
 * What axe-core (the accessibility checker of Chrome's Lighthouse) finds on the page against
 * WCAG 2.1 A and AA, at the impacts a keyboard or screen-reader user is stopped by (serious,
 * critical): one line per rule, with the first elements it names. Empty when nothing is found.
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the page's CSP (script-src 'self') refuses a script tag.
  await page.evaluate(AXE_SOURCE);
  return (await page.evaluate(`
    axe
      .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
      .then((r) =>
        r.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => v.id + ' (' + v.impact + '): ' + v.help + ' — ' +
            v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')),
      )
  `)) as string[];
}
