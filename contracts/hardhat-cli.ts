import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Path of Hardhat's CLI entry as installed for `projectRoot`, to run it with a chosen Node binary
 * (`npx` would add a shell and a second process between us and the one we need to stop).
 */
export function hardhatCliPath(projectRoot: string): string {
  const require = createRequire(path.join(projectRoot, 'package.json'));
  // hardhat's exports map hides package.json, so find the package through its main entry.
  const main = require.resolve('hardhat');
  const packageRoot = main.slice(0, main.lastIndexOf(`${path.sep}dist${path.sep}`));
  return path.join(packageRoot, 'dist', 'src', 'cli.js');
}
