// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {JobMarket} from "../JobMarket.sol";
import {MarketBase} from "./utils/MarketBase.sol";

/// @notice For every role (requester, lease holder, another provider, arbiter, admin, stranger):
/// it cannot move anyone else's funds, claim twice, submit for a lease it does not hold,
/// finalize early or dispute late.
contract JobMarketRolesTest is MarketBase {
    address[6] internal roles;

    function setUp() public override {
        super.setUp();
        roles = [requester, provider, provider2, arbiter, admin, stranger];
        _fund(admin, 10_000e6);
        // Everyone is also a provider, so role checks are not hidden behind NotRegistered.
        for (uint256 i; i < roles.length; ++i) {
            _register(roles[i], SCORE, STAKE);
        }
    }

    function _holderOfSubmitted() internal returns (uint256 jobId) {
        jobId = _postDefault();
        _claim(provider, jobId);
        _submit(provider, jobId, 0);
    }

    function _balances() internal view returns (uint256[7] memory b) {
        for (uint256 i; i < roles.length; ++i) {
            b[i] = market.withdrawable(roles[i]);
        }
        b[6] = market.withdrawable(treasury);
    }

    function test_noRoleCanMoveAnotherPartysFunds() public {
        // Give several parties money in the market: a payout, a fee, a refund, a pending unstake.
        uint256 paid = _holderOfSubmitted();
        vm.prank(requester);
        market.acceptResult(paid, 0);
        uint256 refunded = _postDefault();
        vm.prank(requester);
        market.cancelJob(refunded);
        uint256 open = _postDefault();
        vm.prank(provider2);
        market.requestUnstake(10e6);

        uint256 marketBalance = token.balanceOf(address(market));
        uint256[7] memory before = _balances();

        for (uint256 i; i < roles.length; ++i) {
            address r = roles[i];
            uint256 own = market.withdrawable(r);
            vm.prank(r);
            vm.expectRevert(abi.encodeWithSelector(JobMarket.InsufficientBalance.selector, own, own + 1));
            market.withdraw(own + 1);

            if (r != requester) {
                vm.prank(r);
                vm.expectRevert(abi.encodeWithSelector(JobMarket.NotRequester.selector, open, r));
                market.cancelJob(open);
            }
            if (r != provider2) {
                vm.prank(r);
                vm.expectRevert(abi.encodeWithSelector(JobMarket.NothingUnstaking.selector, r));
                market.completeUnstake();
                vm.prank(r);
                vm.expectRevert(abi.encodeWithSelector(JobMarket.NothingUnstaking.selector, r));
                market.cancelUnstake();
            }
        }

        // What the admin can do does not touch balances either.
        vm.startPrank(admin);
        market.pause();
        market.setFee(1_000);
        market.setTreasury(admin);
        market.unpause();
        vm.stopPrank();

        uint256[7] memory afterwards = _balances();
        for (uint256 i; i < before.length; ++i) {
            vm.assertEq(afterwards[i], before[i], "balance changed");
        }
        vm.assertEq(token.balanceOf(address(market)), marketBalance, "tokens moved");
        vm.assertEq(market.getJob(paid).feeBps, FEE_BPS, "posted fee unchanged");
    }

    function test_noRoleCanClaimTwice() public {
        for (uint256 i; i < roles.length; ++i) {
            address r = roles[i];
            uint256 redundant = _post(REWARD, SCORE, 2);
            _claim(r, redundant);
            vm.prank(r);
            vm.expectRevert(abi.encodeWithSelector(JobMarket.AlreadyLeased.selector, redundant, r));
            market.claimJob(redundant);

            uint256 single = _postDefault();
            _claim(r, single);
            vm.prank(r);
            vm.expectRevert(abi.encodeWithSelector(JobMarket.AlreadyLeased.selector, single, r));
            market.claimJob(single);
        }
    }

    function test_noRoleCanSubmitForALeaseItDoesNotHold() public {
        uint256 jobId = _postDefault();
        _claim(provider, jobId);
        for (uint256 i; i < roles.length; ++i) {
            address r = roles[i];
            if (r == provider) continue;
            vm.prank(r);
            vm.expectRevert(abi.encodeWithSelector(JobMarket.NotLeaseHolder.selector, jobId, 0, r));
            market.submitResult(jobId, 0, RESULT_HASH, RESULT_URI);
        }
        vm.assertTrue(_state(jobId, 0) == JobMarket.LeaseState.Claimed, "still claimed");
    }

    function test_noRoleCanFinalizeEarly() public {
        uint256 jobId = _holderOfSubmitted();
        uint40 challengeEndsAt = market.getLease(jobId, 0).challengeEndsAt;
        vm.warp(challengeEndsAt - 1);
        for (uint256 i; i < roles.length; ++i) {
            vm.prank(roles[i]);
            vm.expectRevert(abi.encodeWithSelector(JobMarket.ChallengeWindowOpen.selector, challengeEndsAt));
            market.finalizeResult(jobId, 0);
        }
    }

    function test_noRoleCanDisputeLate() public {
        uint256 jobId = _holderOfSubmitted();
        uint40 challengeEndsAt = market.getLease(jobId, 0).challengeEndsAt;
        vm.warp(challengeEndsAt);
        for (uint256 i; i < roles.length; ++i) {
            address r = roles[i];
            vm.prank(r);
            if (r == requester) {
                vm.expectRevert(abi.encodeWithSelector(JobMarket.ChallengeWindowClosed.selector, challengeEndsAt));
            } else {
                vm.expectRevert(abi.encodeWithSelector(JobMarket.NotRequester.selector, jobId, r));
            }
            market.disputeResult(jobId, 0, "late");
        }
    }

    function test_onlyTheRequesterAcceptsOrDisputes() public {
        uint256 jobId = _holderOfSubmitted();
        for (uint256 i; i < roles.length; ++i) {
            address r = roles[i];
            if (r == requester) continue;
            vm.prank(r);
            vm.expectRevert(abi.encodeWithSelector(JobMarket.NotRequester.selector, jobId, r));
            market.acceptResult(jobId, 0);
            vm.prank(r);
            vm.expectRevert(abi.encodeWithSelector(JobMarket.NotRequester.selector, jobId, r));
            market.disputeResult(jobId, 0, "");
        }
    }

    function test_onlyTheArbiterResolves() public {
        uint256 jobId = _holderOfSubmitted();
        vm.prank(requester);
        market.disputeResult(jobId, 0, "wrong output");
        bytes32 role = market.ARBITER_ROLE();
        for (uint256 i; i < roles.length; ++i) {
            address r = roles[i];
            if (r == arbiter) continue;
            vm.prank(r);
            vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, r, role));
            market.resolveDispute(jobId, 0, r == provider);
        }
        vm.prank(arbiter);
        market.resolveDispute(jobId, 0, true);
    }
}
