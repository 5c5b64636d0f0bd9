/**
 * The built-in test market's chain: Hardhat's `node` task (Hardhat's EVM, EDR, behind a JSON-RPC
 * server), run as its own process by contracts/devnet.ts — a Node child from a checkout and under
 * `roost serve`, an Electron utility process in the installed app. Plain JavaScript, so the
 * installed app runs this very file (it has no TypeScript stripping and ships no sources).
 *
 * Why not Hardhat's CLI (`hardhat --config <file> node`): the installed app can write only under
 * its data folder, and the CLI refuses a config file outside the folder Hardhat is installed in
 * (HHE22, "non-local installation"); it would also register tsx's TypeScript loader for every
 * import. This runs the same task through Hardhat's public API (`hardhat/hre`) with an empty
 * config — the defaults of its `node` network, no plugins, no Solidity compile: the contracts are
 * deployed from the generated bindings' bytecode — and the given folder as the project root,
 * where Hardhat keeps its `artifacts/build-info` (the folder must hold a package.json).
 *
 *   devnet-node.mjs --root <writable folder> --hostname 127.0.0.1 --port 0 --chain-id 31337
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    hostname: { type: 'string' },
    port: { type: 'string' },
    'chain-id': { type: 'string' },
  },
  strict: true,
});

/** @param {string} name @param {string | undefined} value @returns {number} */
function wholeNumber(name, value) {
  const number = Number(value);
  if (value === undefined || !Number.isSafeInteger(number) || number < 0) {
    console.error(`[devnet] --${name} must be a whole number, not ${String(value)}`);
    process.exit(2);
  }
  return number;
}

const root = values.root;
const hostname = values.hostname;
if (root === undefined || hostname === undefined) {
  console.error(
    '[devnet] usage: devnet-node.mjs --root <folder> --hostname <ip> --port <n> --chain-id <n>',
  );
  process.exit(2);
}
const port = wholeNumber('port', values.port);
const chainId = wholeNumber('chain-id', values['chain-id']);

/**
 * EDR's loader (napi-rs) picks its Windows x64 binary by `process.config`: a Node built as a
 * shared library gets the `-gnu` build, which EDR doesn't publish. Electron may report itself so,
 * so point the loader at the installed `-msvc` binary directly; where it isn't installed, EDR's
 * own loader runs and says what is missing.
 */
function pinEdrOnWindows() {
  if (process.platform !== 'win32' || process.arch !== 'x64') return;
  if (process.env.NAPI_RS_NATIVE_LIBRARY_PATH) return;
  try {
    const edr = createRequire(import.meta.url).resolve('@nomicfoundation/edr');
    process.env.NAPI_RS_NATIVE_LIBRARY_PATH = createRequire(edr).resolve(
      '@nomicfoundation/edr-win32-x64-msvc',
    );
  } catch {
    // Not there: EDR's loader reports it.
  }
}

pinEdrOnWindows();
try {
  const { createHardhatRuntimeEnvironment } = await import('hardhat/hre');
  const hre = await createHardhatRuntimeEnvironment({}, {}, root);
  // Runs until the process is stopped: the server keeps it alive.
  await hre.tasks.getTask('node').run({ hostname, port, chainId });
} catch (error) {
  console.error(`[devnet] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
