// Hardhat 3 config for the market contracts in contracts/.
// It works offline: the compiler is the solc npm package (Hardhat can't download one here),
// and every test path points inside contracts/ so `hardhat test` never picks up the app's
// vitest suites under test/.
import { createRequire } from 'node:module';
import hardhatEthers from '@nomicfoundation/hardhat-ethers';
import hardhatEthersChaiMatchers from '@nomicfoundation/hardhat-ethers-chai-matchers';
import hardhatIgnitionEthers from '@nomicfoundation/hardhat-ignition-ethers';
import hardhatMocha from '@nomicfoundation/hardhat-mocha';
import hardhatNetworkHelpers from '@nomicfoundation/hardhat-network-helpers';
import { defineConfig } from 'hardhat/config';

const require = createRequire(import.meta.url);

/** The solc version shipped by the `solc` npm package; keep in step with package.json. */
export const SOLC_VERSION = '0.8.30';

/** Fuzz and invariant effort; `ROOST_FUZZ_RUNS` raises it for a deeper run. */
const fuzzRuns = Number(process.env.ROOST_FUZZ_RUNS ?? 1000);
const invariantRuns = Number(process.env.ROOST_INVARIANT_RUNS ?? 128);
const invariantDepth = Number(process.env.ROOST_INVARIANT_DEPTH ?? 200);
const fuzzSeed = process.env.ROOST_FUZZ_SEED;

export default defineConfig({
  plugins: [
    hardhatEthers,
    hardhatEthersChaiMatchers,
    hardhatMocha,
    hardhatNetworkHelpers,
    hardhatIgnitionEthers,
  ],
  solidity: {
    version: SOLC_VERSION,
    path: require.resolve('solc/soljson.js'),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'cancun',
    },
  },
  networks: {
    // `hardhat node --hostname 127.0.0.1` (or contracts/devnet.ts); 'localhost' can resolve to ::1.
    localhost: { type: 'http', url: process.env.ROOST_DEVNET_URL ?? 'http://127.0.0.1:8545' },
  },
  paths: {
    sources: 'contracts',
    tests: {
      solidity: 'contracts/test',
      mocha: 'contracts/test',
    },
    ignition: 'contracts/ignition',
  },
  test: {
    solidity: {
      fuzz: { runs: fuzzRuns, ...(fuzzSeed === undefined ? {} : { seed: fuzzSeed }) },
      invariant: { runs: invariantRuns, depth: invariantDepth, failOnRevert: false },
    },
    mocha: { timeout: 60_000 },
  },
});
