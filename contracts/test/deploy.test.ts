// The Ignition module and the generated bindings: what `hardhat ignition deploy` puts on a chain,
// and that the bindings the agent imports still match the compiled contracts.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { network } from 'hardhat';
import { REPO_ROOT, staleBindings } from '../bindings/generate.ts';
import { connectJobMarket, jobMarketBytecode } from '../bindings/job-market.ts';
import { connectRoostTestToken } from '../bindings/roost-test-token.ts';
import LocalMarket from '../ignition/modules/local-market.ts';
import { DEVNET_MARKET_PARAMS } from '../market-params.ts';

const { ethers, ignition } = await network.create();

describe('deployment', function () {
  it('deploys the test dollar and the market with the devnet defaults', async function () {
    const [admin, arbiter, treasury] = await ethers.getSigners();
    const { token, market: deployed } = await ignition.deploy(LocalMarket);
    const market = connectJobMarket(await deployed.getAddress(), ethers.provider);
    expect(await market.token()).to.equal(await token.getAddress());
    expect(await market.feeBps()).to.equal(BigInt(DEVNET_MARKET_PARAMS.feeBps));
    expect(await market.collateralBps()).to.equal(BigInt(DEVNET_MARKET_PARAMS.collateralBps));
    expect(await market.challengeWindow()).to.equal(
      BigInt(DEVNET_MARKET_PARAMS.challengeWindowSeconds),
    );
    expect(await market.unstakeDelay()).to.equal(BigInt(DEVNET_MARKET_PARAMS.unstakeDelaySeconds));
    expect(await market.arbitrationTimeout()).to.equal(
      BigInt(DEVNET_MARKET_PARAMS.arbitrationTimeoutSeconds),
    );
    expect(await market.hasRole(await market.DEFAULT_ADMIN_ROLE(), admin?.address ?? '')).to.equal(
      true,
    );
    expect(await market.hasRole(await market.ARBITER_ROLE(), arbiter?.address ?? '')).to.equal(
      true,
    );
    expect(await market.treasury()).to.equal(treasury?.address);
    const dollar = connectRoostTestToken(await token.getAddress(), ethers.provider);
    expect(await dollar.decimals()).to.equal(6n);
  });

  it('takes parameters', async function () {
    const [, , , , other] = await ethers.getSigners();
    const { market: deployed } = await ignition.deploy(LocalMarket, {
      parameters: {
        LocalMarket: { feeBps: 0, arbiter: other?.address ?? '', challengeWindowSeconds: 120 },
      },
    });
    const market = connectJobMarket(await deployed.getAddress(), ethers.provider);
    expect(await market.feeBps()).to.equal(0n);
    expect(await market.challengeWindow()).to.equal(120n);
    expect(await market.hasRole(await market.ARBITER_ROLE(), other?.address ?? '')).to.equal(true);
  });

  it('deploys the same bytecode the bindings carry', async function () {
    const { market } = await ignition.deploy(LocalMarket);
    const tx = market.deploymentTransaction();
    const code = await ethers.provider.getCode(await market.getAddress());
    expect(code.length).to.be.greaterThan(2);
    // Ignition deploys from the artifacts; the devnet deploys from the bindings. Same contract.
    const artifactPath = path.join(REPO_ROOT, 'artifacts/contracts/JobMarket.sol/JobMarket.json');
    const artifact = JSON.parse(await readFile(artifactPath, 'utf8')) as { bytecode: string };
    expect(artifact.bytecode).to.equal(jobMarketBytecode);
    expect(tx === null || tx.data.startsWith(jobMarketBytecode)).to.equal(true);
  });

  it('has bindings that match the compiled contracts (run `node contracts/bindings/generate.ts` if not)', async function () {
    expect(await staleBindings(REPO_ROOT)).to.deep.equal([]);
  });
});
