/**
 * The app's stylesheet in the test document, for tests of layout rules: happy-dom cascades it,
 * so `getComputedStyle` says what a rule gives an element (display, grid area, alignment). The
 * renderer project's vitest config lets styles.css through (`css.include`), so `?raw` has it.
 */
import css from '../styles.css?raw';

const STYLESHEET_ID = 'roost-styles';

/** Puts styles.css in the test document, once. */
export function addAppStyles(): void {
  if (document.getElementById(STYLESHEET_ID)) return;
  const style = document.createElement('style');
  style.id = STYLESHEET_ID;
  style.textContent = css;
  document.head.append(style);
}
