// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {JobMarket} from "../JobMarket.sol";
import {MarketBase} from "./utils/MarketBase.sol";
import {PlainToken} from "./utils/MockTokens.sol";

/// @notice Property tests over random amounts and times: money splits exactly, every time
/// boundary sits where the docs say, and nothing can be withdrawn twice.
contract JobMarketFuzzTest is MarketBase {
    PlainToken internal big;
    JobMarket internal bigMarket;

    function setUp() public override {
        super.setUp();
        big = new PlainToken();
    }

    /// A market on an uncapped token with the given fee and collateral ratio.
    function _bigMarket(uint16 fee, uint16 collateral) internal returns (JobMarket m) {
        m = new JobMarket(IERC20(address(big)), admin, arbiter, treasury, fee, collateral, CHALLENGE, UNSTAKE_DELAY, ARBITRATION);
        address[2] memory parties = [requester, provider];
        for (uint256 i; i < parties.length; ++i) {
            big.mint(parties[i], type(uint128).max);
            vm.prank(parties[i]);
            big.approve(address(m), type(uint256).max);
        }
    }

    function testFuzz_paidLeaseSplitsRewardExactly(uint128 reward, uint16 fee, uint16 collateral) public {
        reward = uint128(_bound(reward, 1, type(uint96).max));
        fee = uint16(_bound(fee, 0, 1_000));
        collateral = uint16(_bound(collateral, 0, 50_000));
        JobMarket m = _bigMarket(fee, collateral);
        uint128 lock = m.collateralFor(reward);

        vm.startPrank(provider);
        m.registerProvider(REPORT_HASH, SCORE, PRICE, lock);
        vm.stopPrank();
        vm.prank(requester);
        uint256 jobId = m.postJob(SPEC_HASH, SPEC_URI, reward, 0, LEASE, uint40(block.timestamp + LEASE), 1);
        vm.startPrank(provider);
        m.claimJob(jobId);
        vm.assertEq(m.freeStake(provider), 0, "all stake locked");
        m.submitResult(jobId, 0, RESULT_HASH, RESULT_URI);
        vm.stopPrank();
        vm.prank(requester);
        m.acceptResult(jobId, 0);

        uint256 expectedFee = uint256(reward) * fee / 10_000;
        vm.assertEq(m.withdrawable(treasury), expectedFee, "fee");
        vm.assertEq(m.withdrawable(provider) + m.withdrawable(treasury), reward, "payout + fee == reward");
        vm.assertEq(m.getProvider(provider).locked, 0, "collateral released");
        vm.assertEq(m.getProvider(provider).stake, lock, "stake intact");
        vm.assertEq(big.balanceOf(address(m)), uint256(reward) + lock, "books match balance");
    }

    function testFuzz_rejectedLeaseMakesRequesterWhole(uint128 reward, uint16 collateral) public {
        reward = uint128(_bound(reward, 1, type(uint96).max));
        collateral = uint16(_bound(collateral, 0, 50_000));
        JobMarket m = _bigMarket(FEE_BPS, collateral);
        uint128 lock = m.collateralFor(reward);
        vm.prank(provider);
        m.registerProvider(REPORT_HASH, SCORE, PRICE, lock);
        vm.prank(requester);
        uint256 jobId = m.postJob(SPEC_HASH, SPEC_URI, reward, 0, LEASE, uint40(block.timestamp + LEASE), 2);
        vm.startPrank(provider);
        m.claimJob(jobId);
        m.submitResult(jobId, 0, RESULT_HASH, RESULT_URI);
        vm.stopPrank();
        vm.prank(requester);
        m.disputeResult(jobId, 0, "");
        vm.prank(arbiter);
        m.resolveDispute(jobId, 0, false);
        vm.prank(requester);
        m.cancelJob(jobId);

        vm.assertEq(m.withdrawable(requester), 2 * uint256(reward) + lock, "both rewards back plus collateral");
        vm.assertEq(m.getProvider(provider).stake, 0, "stake slashed");
        vm.assertEq(big.balanceOf(address(m)), m.withdrawable(requester), "nothing else held");
    }

    function testFuzz_postJobAcceptsExactlyTheDocumentedRange(uint32 lease, uint40 deadlineOffset, uint8 redundancy)
        public
    {
        // Stay near the edges so both outcomes come up often.
        lease = uint32(_bound(lease, 0, 31 days));
        redundancy = uint8(_bound(redundancy, 0, 3));
        uint40 deadline = uint40(_bound(deadlineOffset, 0, 400 days)) + uint40(block.timestamp);
        bool valid = lease >= 60 && lease <= 30 days && deadline >= block.timestamp + lease
            && deadline <= block.timestamp + 365 days && (redundancy == 1 || redundancy == 2);
        vm.prank(requester);
        try market.postJob(SPEC_HASH, SPEC_URI, 1e6, 0, lease, deadline, redundancy) returns (uint256 jobId) {
            vm.assertTrue(valid, "accepted an invalid job");
            vm.assertEq(token.balanceOf(address(market)), uint256(1e6) * redundancy, "escrow");
            vm.assertEq(market.getJob(jobId).deadline, deadline, "deadline");
        } catch {
            vm.assertFalse(valid, "refused a valid job");
            vm.assertEq(token.balanceOf(address(market)), 0, "nothing escrowed");
        }
    }

    function testFuzz_submitOnlyWhileLeaseRuns(uint32 elapsed) public {
        _register(provider, SCORE, STAKE);
        uint256 jobId = _postDefault();
        _claim(provider, jobId);
        uint40 leaseEndsAt = market.getLease(jobId, 0).leaseEndsAt;
        elapsed = uint32(_bound(elapsed, 0, 2 * LEASE));
        vm.warp(block.timestamp + elapsed);

        bool running = block.timestamp < leaseEndsAt;
        vm.prank(provider);
        try market.submitResult(jobId, 0, RESULT_HASH, RESULT_URI) {
            vm.assertTrue(running, "submitted after the lease ended");
        } catch {
            vm.assertFalse(running, "refused a submission during the lease");
        }
        try market.expireLease(jobId, 0) {
            vm.assertFalse(running, "expired a running lease");
        } catch {
            vm.assertTrue(running, "could not expire an ended lease");
        }
    }

    function testFuzz_disputeAndFinalizeSplitTheTimeline(uint32 elapsed) public {
        uint256 jobId = _submitted();
        uint40 challengeEndsAt = market.getLease(jobId, 0).challengeEndsAt;
        elapsed = uint32(_bound(elapsed, 0, 2 * CHALLENGE));
        vm.warp(block.timestamp + elapsed);
        bool open = block.timestamp < challengeEndsAt;

        uint256 snapshot = vm.snapshotState();
        try market.finalizeResult(jobId, 0) {
            vm.assertFalse(open, "finalized inside the window");
        } catch {
            vm.assertTrue(open, "could not finalize after the window");
        }
        vm.revertToState(snapshot);
        vm.prank(requester);
        try market.disputeResult(jobId, 0, "") {
            vm.assertTrue(open, "disputed after the window");
        } catch {
            vm.assertFalse(open, "could not dispute inside the window");
        }
    }

    function testFuzz_unstakeWaitsForTheDelay(uint128 amount, uint32 elapsed) public {
        _register(provider, SCORE, STAKE);
        amount = uint128(_bound(amount, 1, STAKE));
        elapsed = uint32(_bound(elapsed, 0, 2 * UNSTAKE_DELAY));
        vm.prank(provider);
        market.requestUnstake(amount);
        vm.warp(block.timestamp + elapsed);
        vm.prank(provider);
        try market.completeUnstake() {
            vm.assertGe(elapsed, UNSTAKE_DELAY, "unstaked early");
            vm.assertEq(market.withdrawable(provider), amount, "credited");
        } catch {
            vm.assertTrue(elapsed < UNSTAKE_DELAY, "refused after the delay");
        }
    }

    function testFuzz_claimNeedsEnoughFreeStake(uint128 stake, uint128 reward) public {
        reward = uint128(_bound(reward, 1, 1_000e6));
        stake = uint128(_bound(stake, 0, 1_000e6));
        _register(provider, SCORE, stake);
        uint256 jobId = _post(reward, SCORE, 1);
        bool enough = stake >= _collateral(reward);
        vm.prank(provider);
        try market.claimJob(jobId) {
            vm.assertTrue(enough, "claimed without collateral");
            vm.assertEq(market.getProvider(provider).locked, _collateral(reward), "locked");
        } catch {
            vm.assertFalse(enough, "refused a covered claim");
        }
    }

    function testFuzz_withdrawNeverExceedsBalance(uint256 first, uint256 second) public {
        uint256 jobId = _submitted();
        vm.prank(requester);
        market.acceptResult(jobId, 0);
        uint256 payout = market.withdrawable(provider);
        first = _bound(first, 1, payout);
        vm.prank(provider);
        market.withdraw(first);
        uint256 left = payout - first;
        vm.assertEq(market.withdrawable(provider), left, "balance after first");
        second = _bound(second, 1, payout);
        vm.prank(provider);
        try market.withdraw(second) {
            vm.assertLe(second, left, "withdrew more than owned");
        } catch {
            vm.assertTrue(second > left, "refused an owned amount");
        }
        vm.assertEq(
            token.balanceOf(address(market)),
            market.withdrawable(provider) + market.withdrawable(treasury) + STAKE,
            "books match balance"
        );
    }
}
