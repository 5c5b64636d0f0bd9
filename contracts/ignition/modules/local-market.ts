/**
 * Ignition module for a local market: the test dollar and a JobMarket paid in it.
 *
 *   npx hardhat ignition deploy contracts/ignition/modules/local-market.ts --network localhost
 *
 * Every parameter can be overridden with `--parameters <file.json>`:
 * `{ "LocalMarket": { "feeBps": 250, "arbiter": "0x..." } }`.
 */
import { buildModule } from '@nomicfoundation/hardhat-ignition/modules';
import { DEVNET_MARKET_PARAMS } from '../../market-params.ts';

export default buildModule('LocalMarket', (m) => {
  const admin = m.getParameter('admin', m.getAccount(0));
  const arbiter = m.getParameter('arbiter', m.getAccount(1));
  const treasury = m.getParameter('treasury', m.getAccount(2));
  const feeBps = m.getParameter('feeBps', DEVNET_MARKET_PARAMS.feeBps);
  const collateralBps = m.getParameter('collateralBps', DEVNET_MARKET_PARAMS.collateralBps);
  const challengeWindow = m.getParameter(
    'challengeWindowSeconds',
    DEVNET_MARKET_PARAMS.challengeWindowSeconds,
  );
  const unstakeDelay = m.getParameter(
    'unstakeDelaySeconds',
    DEVNET_MARKET_PARAMS.unstakeDelaySeconds,
  );
  const arbitrationTimeout = m.getParameter(
    'arbitrationTimeoutSeconds',
    DEVNET_MARKET_PARAMS.arbitrationTimeoutSeconds,
  );

  const token = m.contract('RoostTestToken');
  const market = m.contract('JobMarket', [
    token,
    admin,
    arbiter,
    treasury,
    feeBps,
    collateralBps,
    challengeWindow,
    unstakeDelay,
    arbitrationTimeout,
  ]);
  return { token, market };
});
