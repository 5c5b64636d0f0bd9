// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {JobMarket} from "../../JobMarket.sol";
import {RoostTestToken} from "../../RoostTestToken.sol";
import {Vm} from "./Vm.sol";

/// @notice A deployed market with named parties and short helpers shared by the Solidity tests.
abstract contract MarketBase {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint16 internal constant FEE_BPS = 250; // 2.5 %
    uint16 internal constant COLLATERAL_BPS = 5_000; // half the reward
    uint32 internal constant CHALLENGE = 1 hours;
    uint32 internal constant UNSTAKE_DELAY = 3 days;
    uint32 internal constant ARBITRATION = 7 days;

    uint128 internal constant REWARD = 100e6;
    uint32 internal constant LEASE = 1 hours;
    uint64 internal constant SCORE = 1_000;
    uint128 internal constant STAKE = 500e6;
    uint128 internal constant PRICE = 2e6;
    bytes32 internal constant SPEC_HASH = keccak256("spec");
    bytes32 internal constant REPORT_HASH = keccak256("report");
    bytes32 internal constant RESULT_HASH = keccak256("result");
    string internal constant SPEC_URI = "http://127.0.0.1:8545/spec.json";
    string internal constant RESULT_URI = "http://127.0.0.1:8545/result.json";

    address internal admin = _named("admin");
    address internal arbiter = _named("arbiter");
    address internal treasury = _named("treasury");
    address internal requester = _named("requester");
    address internal provider = _named("provider");
    address internal provider2 = _named("provider2");
    address internal stranger = _named("stranger");

    RoostTestToken internal token;
    JobMarket internal market;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        token = new RoostTestToken();
        market = new JobMarket(
            IERC20(address(token)), admin, arbiter, treasury, FEE_BPS, COLLATERAL_BPS, CHALLENGE, UNSTAKE_DELAY, ARBITRATION
        );
        address[5] memory funded = [requester, provider, provider2, stranger, arbiter];
        for (uint256 i; i < funded.length; ++i) {
            _fund(funded[i], 10_000e6);
        }
    }

    function _named(string memory name) internal returns (address account) {
        account = address(uint160(uint256(keccak256(bytes(name)))));
        vm.label(account, name);
    }

    /// Mint `amount` to `account` through the faucet and approve the market for all of it.
    function _fund(address account, uint256 amount) internal {
        uint256 limit = token.FAUCET_LIMIT();
        for (uint256 left = amount; left != 0;) {
            uint256 drip = left < limit ? left : limit;
            token.faucetTo(account, drip);
            left -= drip;
        }
        vm.prank(account);
        token.approve(address(market), type(uint256).max);
    }

    function _register(address who, uint64 score, uint128 stake) internal {
        vm.prank(who);
        market.registerProvider(REPORT_HASH, score, PRICE, stake);
    }

    function _post(uint128 reward, uint64 minScore, uint8 redundancy) internal returns (uint256 jobId) {
        vm.prank(requester);
        jobId = market.postJob(
            SPEC_HASH, SPEC_URI, reward, minScore, LEASE, uint40(block.timestamp + 1 days), redundancy
        );
    }

    function _postDefault() internal returns (uint256) {
        return _post(REWARD, SCORE, 1);
    }

    function _claim(address who, uint256 jobId) internal returns (uint8 slot) {
        vm.prank(who);
        slot = market.claimJob(jobId);
    }

    function _submit(address who, uint256 jobId, uint8 slot) internal {
        vm.prank(who);
        market.submitResult(jobId, slot, RESULT_HASH, RESULT_URI);
    }

    /// Registered provider holding a submitted lease on a fresh single-lease job.
    function _submitted() internal returns (uint256 jobId) {
        _register(provider, SCORE, STAKE);
        jobId = _postDefault();
        _claim(provider, jobId);
        _submit(provider, jobId, 0);
    }

    function _disputed() internal returns (uint256 jobId) {
        jobId = _submitted();
        vm.prank(requester);
        market.disputeResult(jobId, 0, "ipfs://why");
    }

    function _state(uint256 jobId, uint8 slot) internal view returns (JobMarket.LeaseState) {
        return market.getLease(jobId, slot).state;
    }

    function _fee(uint128 reward) internal pure returns (uint128) {
        return uint128(uint256(reward) * FEE_BPS / 10_000);
    }

    function _collateral(uint128 reward) internal pure returns (uint128) {
        return uint128(uint256(reward) * COLLATERAL_BPS / 10_000);
    }

    function _bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        if (max <= min) return min;
        return min + x % (max - min + 1);
    }
}
