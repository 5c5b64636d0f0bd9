/**
 * Preloaded into a child under test (`NODE_OPTIONS=--import=<this file>`): appends the URL of
 * every module the child loads — ES module, CommonJS or native addon — to the file named by
 * ROOST_RECORD_LOADS, one a line, so a test can say what a process really needed.
 */
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const file = process.env.ROOST_RECORD_LOADS;
if (file) {
  registerHooks({
    load(url, context, nextLoad) {
      appendFileSync(file, `${url}\n`);
      return nextLoad(url, context);
    },
  });
}
