/** Parameters of a JobMarket deployment, shared by the devnet and the Ignition module. */

/** Market parameters; see JobMarket's constructor for their bounds. */
export interface MarketParams {
  /** Protocol fee in basis points (at most 1000). */
  feeBps: number;
  /** Collateral per lease in basis points of its reward (at most 50000). */
  collateralBps: number;
  challengeWindowSeconds: number;
  unstakeDelaySeconds: number;
  arbitrationTimeoutSeconds: number;
}

/**
 * Defaults for a devnet: short windows so a person can watch a job go from post to payout, yet
 * long enough for a requester to dispute by hand.
 */
export const DEVNET_MARKET_PARAMS: MarketParams = {
  feeBps: 100,
  collateralBps: 5_000,
  challengeWindowSeconds: 10 * 60,
  unstakeDelaySeconds: 60 * 60,
  arbitrationTimeoutSeconds: 60 * 60,
};

/** One test dollar in base units: the token has 6 decimals, like USDC. */
export const TEST_DOLLAR = 1_000_000n;

/**
 * Defaults for a lab's own market (`roost market deploy`): no protocol fee (the lab pays its own
 * machines), the devnet's collateral and windows, and a day for the arbiter (the lab) to settle a
 * dispute.
 */
export const LAB_MARKET_PARAMS: MarketParams = {
  feeBps: 0,
  collateralBps: 5_000,
  challengeWindowSeconds: 10 * 60,
  unstakeDelaySeconds: 60 * 60,
  arbitrationTimeoutSeconds: 24 * 60 * 60,
};
