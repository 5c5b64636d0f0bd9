// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {JobMarket} from "../JobMarket.sol";
import {RoostTestToken} from "../RoostTestToken.sol";
import {MarketBase} from "./utils/MarketBase.sol";
import {FeeOnTransferToken, PlainToken} from "./utils/MockTokens.sol";

/// @notice One success test and one test per failure for every function of JobMarket.
contract JobMarketConstructorTest is MarketBase {
    function _deploy(address tokenAddr, address admin_, address treasury_, uint16 fee, uint16 coll, uint32 window, uint32 delay, uint32 arb)
        internal
        returns (JobMarket)
    {
        return new JobMarket(IERC20(tokenAddr), admin_, arbiter, treasury_, fee, coll, window, delay, arb);
    }

    function test_constructor_setsConfigAndRoles() public view {
        vm.assertEq(address(market.token()), address(token), "token");
        vm.assertEq(market.feeBps(), FEE_BPS, "fee");
        vm.assertEq(market.collateralBps(), COLLATERAL_BPS, "collateral");
        vm.assertEq(market.challengeWindow(), CHALLENGE, "window");
        vm.assertEq(market.unstakeDelay(), UNSTAKE_DELAY, "delay");
        vm.assertEq(market.arbitrationTimeout(), ARBITRATION, "arbitration");
        vm.assertEq(market.treasury(), treasury, "treasury");
        vm.assertTrue(market.hasRole(market.DEFAULT_ADMIN_ROLE(), admin), "admin role");
        vm.assertTrue(market.hasRole(market.PAUSER_ROLE(), admin), "pauser role");
        vm.assertTrue(market.hasRole(market.ARBITER_ROLE(), arbiter), "arbiter role");
        vm.assertFalse(market.hasRole(market.ARBITER_ROLE(), admin), "admin is not arbiter");
        vm.assertEq(market.jobCount(), 0, "no jobs");
    }

    function test_constructor_withoutArbiterGrantsNoArbiterRole() public {
        JobMarket m = new JobMarket(
            IERC20(address(token)), admin, address(0), treasury, FEE_BPS, COLLATERAL_BPS, CHALLENGE, UNSTAKE_DELAY, ARBITRATION
        );
        vm.assertFalse(m.hasRole(m.ARBITER_ROLE(), address(0)), "no zero arbiter");
    }

    function test_constructor_revertsOnZeroToken() public {
        vm.expectRevert(JobMarket.ZeroAddress.selector);
        _deploy(address(0), admin, treasury, FEE_BPS, COLLATERAL_BPS, CHALLENGE, UNSTAKE_DELAY, ARBITRATION);
    }

    function test_constructor_revertsOnZeroAdmin() public {
        vm.expectRevert(JobMarket.ZeroAddress.selector);
        _deploy(address(token), address(0), treasury, FEE_BPS, COLLATERAL_BPS, CHALLENGE, UNSTAKE_DELAY, ARBITRATION);
    }

    function test_constructor_revertsOnZeroTreasury() public {
        vm.expectRevert(JobMarket.ZeroAddress.selector);
        _deploy(address(token), admin, address(0), FEE_BPS, COLLATERAL_BPS, CHALLENGE, UNSTAKE_DELAY, ARBITRATION);
    }

    function test_constructor_revertsOnFeeTooHigh() public {
        vm.expectRevert(abi.encodeWithSelector(JobMarket.FeeTooHigh.selector, 1_001, 1_000));
        _deploy(address(token), admin, treasury, 1_001, COLLATERAL_BPS, CHALLENGE, UNSTAKE_DELAY, ARBITRATION);
    }

    function test_constructor_revertsOnCollateralTooHigh() public {
        vm.expectRevert(JobMarket.InvalidConfig.selector);
        _deploy(address(token), admin, treasury, FEE_BPS, 50_001, CHALLENGE, UNSTAKE_DELAY, ARBITRATION);
    }

    function test_constructor_revertsOnChallengeWindowTooShort() public {
        vm.expectRevert(JobMarket.InvalidConfig.selector);
        _deploy(address(token), admin, treasury, FEE_BPS, COLLATERAL_BPS, 59, UNSTAKE_DELAY, ARBITRATION);
    }

    function test_constructor_revertsOnChallengeWindowTooLong() public {
        vm.expectRevert(JobMarket.InvalidConfig.selector);
        _deploy(address(token), admin, treasury, FEE_BPS, COLLATERAL_BPS, 30 days + 1, UNSTAKE_DELAY, ARBITRATION);
    }

    function test_constructor_revertsOnUnstakeDelayTooLong() public {
        vm.expectRevert(JobMarket.InvalidConfig.selector);
        _deploy(address(token), admin, treasury, FEE_BPS, COLLATERAL_BPS, CHALLENGE, 90 days + 1, ARBITRATION);
    }

    function test_constructor_revertsOnArbitrationTimeoutTooShort() public {
        vm.expectRevert(JobMarket.InvalidConfig.selector);
        _deploy(address(token), admin, treasury, FEE_BPS, COLLATERAL_BPS, CHALLENGE, UNSTAKE_DELAY, 1 hours - 1);
    }

    function test_constructor_revertsOnArbitrationTimeoutTooLong() public {
        vm.expectRevert(JobMarket.InvalidConfig.selector);
        _deploy(address(token), admin, treasury, FEE_BPS, COLLATERAL_BPS, CHALLENGE, UNSTAKE_DELAY, 365 days + 1);
    }
}

contract JobMarketProviderTest is MarketBase {
    function test_registerProvider_storesProfileAndPullsStake() public {
        uint256 before = token.balanceOf(provider);
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarket.ProviderRegistered(provider, REPORT_HASH, SCORE, PRICE, STAKE);
        _register(provider, SCORE, STAKE);

        JobMarket.Provider memory p = market.getProvider(provider);
        vm.assertEq(p.reportHash, REPORT_HASH, "report");
        vm.assertEq(p.score, SCORE, "score");
        vm.assertEq(p.pricePerUnitHour, PRICE, "price");
        vm.assertEq(p.stake, STAKE, "stake");
        vm.assertEq(p.locked, 0, "locked");
        vm.assertEq(p.registeredAt, block.timestamp, "registeredAt");
        vm.assertEq(token.balanceOf(provider), before - STAKE, "tokens left the wallet");
        vm.assertEq(token.balanceOf(address(market)), STAKE, "tokens reached the market");
    }

    function test_registerProvider_withoutStake() public {
        _register(provider, SCORE, 0);
        vm.assertEq(market.getProvider(provider).stake, 0, "no stake");
        vm.assertEq(token.balanceOf(address(market)), 0, "nothing pulled");
    }

    function test_registerProvider_revertsWhenAlreadyRegistered() public {
        _register(provider, SCORE, STAKE);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.AlreadyRegistered.selector, provider));
        _register(provider, SCORE, STAKE);
    }

    function test_registerProvider_revertsOnZeroReport() public {
        vm.prank(provider);
        vm.expectRevert(JobMarket.InvalidReport.selector);
        market.registerProvider(bytes32(0), SCORE, PRICE, STAKE);
    }

    function test_registerProvider_revertsWhenPaused() public {
        vm.prank(admin);
        market.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        _register(provider, SCORE, STAKE);
    }

    function test_registerProvider_revertsWithoutAllowance() public {
        vm.prank(provider);
        token.approve(address(market), 0);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(market), 0, STAKE)
        );
        _register(provider, SCORE, STAKE);
    }

    function test_registerProvider_revertsOnFeeOnTransferToken() public {
        FeeOnTransferToken taxed = new FeeOnTransferToken();
        JobMarket m = new JobMarket(
            IERC20(address(taxed)), admin, arbiter, treasury, FEE_BPS, COLLATERAL_BPS, CHALLENGE, UNSTAKE_DELAY, ARBITRATION
        );
        taxed.mint(provider, 1_000e6);
        vm.startPrank(provider);
        taxed.approve(address(m), type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.UnsupportedToken.selector, 100e6, 99e6));
        m.registerProvider(REPORT_HASH, SCORE, PRICE, 100e6);
        vm.stopPrank();
    }

    function test_updateProvider_replacesProfile() public {
        _register(provider, SCORE, STAKE);
        bytes32 newReport = keccak256("report v2");
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarket.ProviderUpdated(provider, newReport, 2_000, 3e6);
        vm.prank(provider);
        market.updateProvider(newReport, 2_000, 3e6);
        JobMarket.Provider memory p = market.getProvider(provider);
        vm.assertEq(p.reportHash, newReport, "report");
        vm.assertEq(p.score, 2_000, "score");
        vm.assertEq(p.pricePerUnitHour, 3e6, "price");
        vm.assertEq(p.stake, STAKE, "stake untouched");
    }

    function test_updateProvider_revertsWhenNotRegistered() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NotRegistered.selector, stranger));
        market.updateProvider(REPORT_HASH, SCORE, PRICE);
    }

    function test_updateProvider_revertsOnZeroReport() public {
        _register(provider, SCORE, STAKE);
        vm.prank(provider);
        vm.expectRevert(JobMarket.InvalidReport.selector);
        market.updateProvider(bytes32(0), SCORE, PRICE);
    }

    function test_addStake_increasesStake() public {
        _register(provider, SCORE, STAKE);
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarket.StakeAdded(provider, 50e6, STAKE + 50e6);
        vm.prank(provider);
        market.addStake(50e6);
        vm.assertEq(market.getProvider(provider).stake, STAKE + 50e6, "stake");
        vm.assertEq(token.balanceOf(address(market)), STAKE + 50e6, "balance");
    }

    function test_addStake_revertsWhenNotRegistered() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NotRegistered.selector, stranger));
        market.addStake(1);
    }

    function test_addStake_revertsOnZero() public {
        _register(provider, SCORE, STAKE);
        vm.prank(provider);
        vm.expectRevert(JobMarket.ZeroAmount.selector);
        market.addStake(0);
    }

    function test_addStake_revertsWhenPaused() public {
        _register(provider, SCORE, STAKE);
        vm.prank(admin);
        market.pause();
        vm.prank(provider);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        market.addStake(1);
    }

    function test_addStake_revertsPast128Bits() public {
        PlainToken big = new PlainToken();
        JobMarket m = new JobMarket(
            IERC20(address(big)), admin, arbiter, treasury, FEE_BPS, COLLATERAL_BPS, CHALLENGE, UNSTAKE_DELAY, ARBITRATION
        );
        big.mint(provider, type(uint256).max);
        vm.startPrank(provider);
        big.approve(address(m), type(uint256).max);
        m.registerProvider(REPORT_HASH, SCORE, PRICE, type(uint128).max);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.AmountTooLarge.selector, uint256(type(uint128).max) + 1));
        m.addStake(1);
        vm.stopPrank();
    }

    function test_requestUnstake_movesFreeStakeOut() public {
        _register(provider, SCORE, STAKE);
        uint40 availableAt = uint40(block.timestamp + UNSTAKE_DELAY);
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarket.UnstakeRequested(provider, 100e6, STAKE - 100e6, 100e6, availableAt);
        vm.prank(provider);
        market.requestUnstake(100e6);
        JobMarket.Provider memory p = market.getProvider(provider);
        vm.assertEq(p.stake, STAKE - 100e6, "stake");
        vm.assertEq(p.unstaking, 100e6, "unstaking");
        vm.assertEq(p.unstakeAvailableAt, availableAt, "availableAt");
    }

    function test_requestUnstake_againAddsAndRestartsDelay() public {
        _register(provider, SCORE, STAKE);
        vm.prank(provider);
        market.requestUnstake(100e6);
        vm.warp(block.timestamp + 1 days);
        vm.prank(provider);
        market.requestUnstake(50e6);
        JobMarket.Provider memory p = market.getProvider(provider);
        vm.assertEq(p.unstaking, 150e6, "unstaking adds up");
        vm.assertEq(p.unstakeAvailableAt, block.timestamp + UNSTAKE_DELAY, "delay restarted");
    }

    function test_requestUnstake_revertsWhenNotRegistered() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NotRegistered.selector, stranger));
        market.requestUnstake(1);
    }

    function test_requestUnstake_revertsOnZero() public {
        _register(provider, SCORE, STAKE);
        vm.prank(provider);
        vm.expectRevert(JobMarket.ZeroAmount.selector);
        market.requestUnstake(0);
    }

    function test_requestUnstake_cannotTouchLockedCollateral() public {
        _register(provider, SCORE, STAKE);
        uint256 jobId = _postDefault();
        _claim(provider, jobId);
        uint128 free = STAKE - _collateral(REWARD);
        vm.assertEq(market.freeStake(provider), free, "free stake");
        vm.prank(provider);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.InsufficientStake.selector, free, STAKE));
        market.requestUnstake(STAKE);
    }

    function test_cancelUnstake_returnsPendingToStake() public {
        _register(provider, SCORE, STAKE);
        vm.prank(provider);
        market.requestUnstake(100e6);
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarket.UnstakeCancelled(provider, 100e6, STAKE);
        vm.prank(provider);
        market.cancelUnstake();
        JobMarket.Provider memory p = market.getProvider(provider);
        vm.assertEq(p.stake, STAKE, "stake back");
        vm.assertEq(p.unstaking, 0, "nothing pending");
        vm.assertEq(p.unstakeAvailableAt, 0, "timer cleared");
    }

    function test_cancelUnstake_revertsWithNothingPending() public {
        _register(provider, SCORE, STAKE);
        vm.prank(provider);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NothingUnstaking.selector, provider));
        market.cancelUnstake();
    }

    function test_completeUnstake_creditsAfterDelay() public {
        _register(provider, SCORE, STAKE);
        vm.prank(provider);
        market.requestUnstake(100e6);
        vm.warp(block.timestamp + UNSTAKE_DELAY);
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarket.Credited(provider, 0, 0, JobMarket.Credit.Unstake, 100e6);
        vm.prank(provider);
        market.completeUnstake();
        vm.assertEq(market.withdrawable(provider), 100e6, "withdrawable");
        vm.assertEq(market.getProvider(provider).unstaking, 0, "pending cleared");
    }

    function test_completeUnstake_revertsBeforeDelay() public {
        _register(provider, SCORE, STAKE);
        vm.prank(provider);
        market.requestUnstake(100e6);
        uint40 availableAt = uint40(block.timestamp + UNSTAKE_DELAY);
        vm.warp(availableAt - 1);
        vm.prank(provider);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.UnstakeNotReady.selector, availableAt));
        market.completeUnstake();
    }

    function test_completeUnstake_revertsWithNothingPending() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NothingUnstaking.selector, stranger));
        market.completeUnstake();
    }
}

contract JobMarketPostTest is MarketBase {
    function _postAs(uint128 reward, uint32 lease, uint40 deadline, uint8 redundancy, string memory uri) internal {
        vm.prank(requester);
        market.postJob(SPEC_HASH, uri, reward, SCORE, lease, deadline, redundancy);
    }

    function test_postJob_storesJobAndEscrowsEveryLease() public {
        uint40 deadline = uint40(block.timestamp + 1 days);
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarket.JobPosted(
            1, requester, SPEC_HASH, SPEC_URI, REWARD, _collateral(REWARD), SCORE, LEASE, deadline, 2, FEE_BPS
        );
        vm.prank(requester);
        uint256 jobId = market.postJob(SPEC_HASH, SPEC_URI, REWARD, SCORE, LEASE, deadline, 2);

        vm.assertEq(jobId, 1, "first id");
        vm.assertEq(market.jobCount(), 1, "count");
        JobMarket.Job memory job = market.getJob(jobId);
        vm.assertEq(job.requester, requester, "requester");
        vm.assertEq(job.reward, REWARD, "reward");
        vm.assertEq(job.minScore, SCORE, "minScore");
        vm.assertEq(job.leaseSeconds, LEASE, "lease");
        vm.assertEq(job.deadline, deadline, "deadline");
        vm.assertEq(job.redundancy, 2, "redundancy");
        vm.assertEq(job.feeBps, FEE_BPS, "fee snapshot");
        vm.assertEq(job.specHash, SPEC_HASH, "spec");
        vm.assertEq(token.balanceOf(address(market)), 2 * REWARD, "escrow for both leases");
        vm.assertTrue(_state(jobId, 0) == JobMarket.LeaseState.Open, "slot 0 open");
        vm.assertTrue(_state(jobId, 1) == JobMarket.LeaseState.Open, "slot 1 open");
    }

    function test_postJob_keepsItsFeeWhenTheAdminChangesIt() public {
        uint256 jobId = _postDefault();
        vm.prank(admin);
        market.setFee(1_000);
        vm.assertEq(market.getJob(jobId).feeBps, FEE_BPS, "old job keeps its fee");
        vm.assertEq(market.getJob(_postDefault()).feeBps, 1_000, "new job gets the new fee");
    }

    function test_postJob_revertsOnZeroSpecHash() public {
        vm.prank(requester);
        vm.expectRevert(JobMarket.InvalidSpec.selector);
        market.postJob(bytes32(0), SPEC_URI, REWARD, SCORE, LEASE, uint40(block.timestamp + 1 days), 1);
    }

    function test_postJob_revertsOnEmptySpecURI() public {
        vm.expectRevert(JobMarket.InvalidSpec.selector);
        _postAs(REWARD, LEASE, uint40(block.timestamp + 1 days), 1, "");
    }

    function test_postJob_revertsOnOverlongSpecURI() public {
        vm.expectRevert(JobMarket.InvalidSpec.selector);
        _postAs(REWARD, LEASE, uint40(block.timestamp + 1 days), 1, string(new bytes(2049)));
    }

    function test_postJob_revertsOnZeroRedundancy() public {
        vm.expectRevert(abi.encodeWithSelector(JobMarket.InvalidRedundancy.selector, 0));
        _postAs(REWARD, LEASE, uint40(block.timestamp + 1 days), 0, SPEC_URI);
    }

    function test_postJob_revertsOnRedundancyThree() public {
        vm.expectRevert(abi.encodeWithSelector(JobMarket.InvalidRedundancy.selector, 3));
        _postAs(REWARD, LEASE, uint40(block.timestamp + 1 days), 3, SPEC_URI);
    }

    function test_postJob_revertsOnZeroReward() public {
        vm.expectRevert(JobMarket.ZeroAmount.selector);
        _postAs(0, LEASE, uint40(block.timestamp + 1 days), 1, SPEC_URI);
    }

    function test_postJob_revertsOnLeaseTooShort() public {
        vm.expectRevert(abi.encodeWithSelector(JobMarket.InvalidLeaseLength.selector, 59));
        _postAs(REWARD, 59, uint40(block.timestamp + 1 days), 1, SPEC_URI);
    }

    function test_postJob_revertsOnLeaseTooLong() public {
        vm.expectRevert(abi.encodeWithSelector(JobMarket.InvalidLeaseLength.selector, 30 days + 1));
        _postAs(REWARD, 30 days + 1, uint40(block.timestamp + 60 days), 1, SPEC_URI);
    }

    function test_postJob_revertsWhenDeadlineLeavesNoTimeForALease() public {
        uint40 deadline = uint40(block.timestamp + LEASE - 1);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.InvalidDeadline.selector, deadline));
        _postAs(REWARD, LEASE, deadline, 1, SPEC_URI);
    }

    function test_postJob_revertsWhenDeadlineTooFar() public {
        uint40 deadline = uint40(block.timestamp + 365 days + 1);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.InvalidDeadline.selector, deadline));
        _postAs(REWARD, LEASE, deadline, 1, SPEC_URI);
    }

    function test_postJob_revertsWhenPaused() public {
        vm.prank(admin);
        market.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        _postAs(REWARD, LEASE, uint40(block.timestamp + 1 days), 1, SPEC_URI);
    }

    function test_postJob_revertsWithoutFunds() public {
        uint256 all = token.balanceOf(stranger);
        vm.prank(stranger);
        token.transfer(requester, all);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, stranger, 0, REWARD));
        market.postJob(SPEC_HASH, SPEC_URI, REWARD, SCORE, LEASE, uint40(block.timestamp + 1 days), 1);
    }

    function test_postJob_revertsWhenCollateralWouldOverflow() public {
        PlainToken big = new PlainToken();
        JobMarket m = new JobMarket(
            IERC20(address(big)), admin, arbiter, treasury, FEE_BPS, 50_000, CHALLENGE, UNSTAKE_DELAY, ARBITRATION
        );
        big.mint(requester, type(uint128).max);
        vm.startPrank(requester);
        big.approve(address(m), type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.AmountTooLarge.selector, uint256(type(uint128).max) * 5));
        m.postJob(SPEC_HASH, SPEC_URI, type(uint128).max, SCORE, LEASE, uint40(block.timestamp + 1 days), 1);
        vm.stopPrank();
    }

    function test_cancelJob_refundsOpenLeases() public {
        uint256 jobId = _post(REWARD, SCORE, 2);
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarket.JobCancelled(jobId, requester, 2, 2 * REWARD);
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarket.Credited(requester, jobId, 0, JobMarket.Credit.Refund, 2 * REWARD);
        vm.prank(requester);
        market.cancelJob(jobId);
        vm.assertEq(market.withdrawable(requester), 2 * REWARD, "refund");
        vm.assertTrue(_state(jobId, 0) == JobMarket.LeaseState.Cancelled, "slot 0 cancelled");
        vm.assertTrue(_state(jobId, 1) == JobMarket.LeaseState.Cancelled, "slot 1 cancelled");
    }

    function test_cancelJob_leavesClaimedLeasesRunning() public {
        _register(provider, SCORE, STAKE);
        uint256 jobId = _post(REWARD, SCORE, 2);
        _claim(provider, jobId);
        vm.prank(requester);
        market.cancelJob(jobId);
        vm.assertEq(market.withdrawable(requester), REWARD, "only the open lease refunded");
        vm.assertTrue(_state(jobId, 0) == JobMarket.LeaseState.Claimed, "claimed lease untouched");
        vm.assertTrue(_state(jobId, 1) == JobMarket.LeaseState.Cancelled, "open lease cancelled");
    }

    function test_cancelJob_worksWhilePausedAndAfterDeadline() public {
        uint256 jobId = _postDefault();
        vm.prank(admin);
        market.pause();
        vm.warp(block.timestamp + 2 days);
        vm.prank(requester);
        market.cancelJob(jobId);
        vm.assertEq(market.withdrawable(requester), REWARD, "refund");
    }

    function test_cancelJob_revertsOnUnknownJob() public {
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.UnknownJob.selector, 7));
        market.cancelJob(7);
    }

    function test_cancelJob_revertsForAnyoneButTheRequester() public {
        uint256 jobId = _postDefault();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NotRequester.selector, jobId, stranger));
        market.cancelJob(jobId);
    }

    function test_cancelJob_revertsOnceClaimed() public {
        _register(provider, SCORE, STAKE);
        uint256 jobId = _postDefault();
        _claim(provider, jobId);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NothingToCancel.selector, jobId));
        market.cancelJob(jobId);
    }

    function test_cancelJob_revertsTwice() public {
        uint256 jobId = _postDefault();
        vm.startPrank(requester);
        market.cancelJob(jobId);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NothingToCancel.selector, jobId));
        market.cancelJob(jobId);
        vm.stopPrank();
    }
}

contract JobMarketLeaseTest is MarketBase {
    function setUp() public override {
        super.setUp();
        _register(provider, SCORE, STAKE);
        _register(provider2, SCORE, STAKE);
    }

    function test_claimJob_locksCollateralAndStartsLease() public {
        uint256 jobId = _postDefault();
        uint40 leaseEndsAt = uint40(block.timestamp + LEASE);
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarket.LeaseClaimed(jobId, 0, provider, leaseEndsAt, _collateral(REWARD));
        uint8 slot = _claim(provider, jobId);

        vm.assertEq(slot, 0, "slot");
        JobMarket.Lease memory lease = market.getLease(jobId, 0);
        vm.assertEq(lease.provider, provider, "holder");
        vm.assertTrue(lease.state == JobMarket.LeaseState.Claimed, "claimed");
        vm.assertEq(lease.leaseEndsAt, leaseEndsAt, "ends");
        vm.assertEq(market.getProvider(provider).locked, _collateral(REWARD), "locked");
    }

    function test_claimJob_redundantJobNeedsTwoProviders() public {
        uint256 jobId = _post(REWARD, SCORE, 2);
        vm.assertEq(_claim(provider, jobId), 0, "first slot");
        vm.assertEq(_claim(provider2, jobId), 1, "second slot");
    }

    function test_claimJob_revertsOnUnknownJob() public {
        vm.prank(provider);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.UnknownJob.selector, 1));
        market.claimJob(1);
    }

    function test_claimJob_revertsForUnregistered() public {
        uint256 jobId = _postDefault();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NotRegistered.selector, stranger));
        market.claimJob(jobId);
    }

    function test_claimJob_revertsWhenLeaseWouldOutliveDeadline() public {
        uint256 jobId = _postDefault();
        uint40 deadline = market.getJob(jobId).deadline;
        vm.warp(deadline - LEASE + 1);
        vm.prank(provider);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.ClaimWindowClosed.selector, jobId, deadline));
        market.claimJob(jobId);
    }

    function test_claimJob_lastMomentStillFits() public {
        uint256 jobId = _postDefault();
        vm.warp(market.getJob(jobId).deadline - LEASE);
        _claim(provider, jobId);
        vm.assertEq(market.getLease(jobId, 0).leaseEndsAt, market.getJob(jobId).deadline, "ends at the deadline");
    }

    function test_claimJob_revertsWhenScoreTooLow() public {
        uint256 jobId = _post(REWARD, SCORE + 1, 1);
        vm.prank(provider);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.ScoreTooLow.selector, SCORE, SCORE + 1));
        market.claimJob(jobId);
    }

    function test_claimJob_revertsWhenNoLeaseIsOpen() public {
        uint256 jobId = _postDefault();
        _claim(provider, jobId);
        vm.prank(provider2);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NoOpenLease.selector, jobId));
        market.claimJob(jobId);
    }

    function test_claimJob_revertsOnCancelledJob() public {
        uint256 jobId = _postDefault();
        vm.prank(requester);
        market.cancelJob(jobId);
        vm.prank(provider);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NoOpenLease.selector, jobId));
        market.claimJob(jobId);
    }

    function test_claimJob_revertsWhenSameProviderClaimsTwice() public {
        uint256 jobId = _post(REWARD, SCORE, 2);
        _claim(provider, jobId);
        vm.prank(provider);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.AlreadyLeased.selector, jobId, provider));
        market.claimJob(jobId);
    }

    function test_claimJob_revertsWithoutEnoughFreeStake() public {
        address poor = _named("poor");
        _fund(poor, 1_000e6);
        _register(poor, SCORE, _collateral(REWARD) - 1);
        uint256 jobId = _postDefault();
        vm.prank(poor);
        vm.expectRevert(
            abi.encodeWithSelector(JobMarket.InsufficientStake.selector, _collateral(REWARD) - 1, _collateral(REWARD))
        );
        market.claimJob(jobId);
    }

    function test_claimJob_revertsWhenPaused() public {
        uint256 jobId = _postDefault();
        vm.prank(admin);
        market.pause();
        vm.prank(provider);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        market.claimJob(jobId);
    }

    function test_submitResult_startsChallengeWindow() public {
        uint256 jobId = _postDefault();
        _claim(provider, jobId);
        uint40 challengeEndsAt = uint40(block.timestamp + CHALLENGE);
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarket.ResultSubmitted(jobId, 0, provider, RESULT_HASH, RESULT_URI, challengeEndsAt);
        _submit(provider, jobId, 0);
        JobMarket.Lease memory lease = market.getLease(jobId, 0);
        vm.assertTrue(lease.state == JobMarket.LeaseState.Submitted, "submitted");
        vm.assertEq(lease.resultHash, RESULT_HASH, "result");
        vm.assertEq(lease.challengeEndsAt, challengeEndsAt, "window");
    }

    function test_submitResult_revertsOnUnknownJob() public {
        vm.prank(provider);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.UnknownJob.selector, 9));
        market.submitResult(9, 0, RESULT_HASH, RESULT_URI);
    }

    function test_submitResult_revertsOnUnknownSlot() public {
        uint256 jobId = _postDefault();
        vm.prank(provider);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.UnknownLease.selector, jobId, 1));
        market.submitResult(jobId, 1, RESULT_HASH, RESULT_URI);
    }

    function test_submitResult_revertsOnUnclaimedLease() public {
        uint256 jobId = _postDefault();
        vm.prank(provider);
        vm.expectRevert(
            abi.encodeWithSelector(JobMarket.WrongLeaseState.selector, jobId, 0, JobMarket.LeaseState.Open)
        );
        market.submitResult(jobId, 0, RESULT_HASH, RESULT_URI);
    }

    function test_submitResult_revertsForAnotherProvidersLease() public {
        uint256 jobId = _postDefault();
        _claim(provider, jobId);
        vm.prank(provider2);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NotLeaseHolder.selector, jobId, 0, provider2));
        market.submitResult(jobId, 0, RESULT_HASH, RESULT_URI);
    }

    function test_submitResult_revertsTwice() public {
        uint256 jobId = _postDefault();
        _claim(provider, jobId);
        _submit(provider, jobId, 0);
        vm.prank(provider);
        vm.expectRevert(
            abi.encodeWithSelector(JobMarket.WrongLeaseState.selector, jobId, 0, JobMarket.LeaseState.Submitted)
        );
        market.submitResult(jobId, 0, RESULT_HASH, RESULT_URI);
    }

    function test_submitResult_revertsOnceTheLeaseEnds() public {
        uint256 jobId = _postDefault();
        _claim(provider, jobId);
        uint40 leaseEndsAt = market.getLease(jobId, 0).leaseEndsAt;
        vm.warp(leaseEndsAt);
        vm.prank(provider);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.LeaseOver.selector, leaseEndsAt));
        market.submitResult(jobId, 0, RESULT_HASH, RESULT_URI);
    }

    function test_submitResult_revertsOnZeroResultHash() public {
        uint256 jobId = _postDefault();
        _claim(provider, jobId);
        vm.prank(provider);
        vm.expectRevert(JobMarket.InvalidResult.selector);
        market.submitResult(jobId, 0, bytes32(0), RESULT_URI);
    }

    function test_submitResult_revertsOnEmptyResultURI() public {
        uint256 jobId = _postDefault();
        _claim(provider, jobId);
        vm.prank(provider);
        vm.expectRevert(JobMarket.InvalidResult.selector);
        market.submitResult(jobId, 0, RESULT_HASH, "");
    }

    function test_submitResult_revertsOnOverlongResultURI() public {
        uint256 jobId = _postDefault();
        _claim(provider, jobId);
        vm.prank(provider);
        vm.expectRevert(JobMarket.InvalidResult.selector);
        market.submitResult(jobId, 0, RESULT_HASH, string(new bytes(2049)));
    }

    function test_expireLease_slashesAndReopens() public {
        uint256 jobId = _postDefault();
        _claim(provider, jobId);
        vm.warp(market.getLease(jobId, 0).leaseEndsAt);
        uint128 collateral = _collateral(REWARD);
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarket.LeaseExpired(jobId, 0, provider, collateral);
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarket.Credited(requester, jobId, 0, JobMarket.Credit.Slash, collateral);
        vm.prank(stranger);
        market.expireLease(jobId, 0);

        JobMarket.Lease memory lease = market.getLease(jobId, 0);
        vm.assertTrue(lease.state == JobMarket.LeaseState.Open, "reopened");
        vm.assertEq(lease.provider, address(0), "no holder");
        JobMarket.Provider memory p = market.getProvider(provider);
        vm.assertEq(p.stake, STAKE - collateral, "stake slashed");
        vm.assertEq(p.locked, 0, "nothing locked");
        vm.assertEq(market.withdrawable(requester), collateral, "requester compensated");

        _claim(provider2, jobId);
        vm.assertEq(market.getLease(jobId, 0).provider, provider2, "someone else took it");
    }

    function test_expireLease_revertsWhileLeaseRuns() public {
        uint256 jobId = _postDefault();
        _claim(provider, jobId);
        uint40 leaseEndsAt = market.getLease(jobId, 0).leaseEndsAt;
        vm.warp(leaseEndsAt - 1);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.LeaseActive.selector, leaseEndsAt));
        market.expireLease(jobId, 0);
    }

    function test_expireLease_revertsOnOpenLease() public {
        uint256 jobId = _postDefault();
        vm.expectRevert(
            abi.encodeWithSelector(JobMarket.WrongLeaseState.selector, jobId, 0, JobMarket.LeaseState.Open)
        );
        market.expireLease(jobId, 0);
    }

    function test_expireLease_revertsOnceSubmitted() public {
        uint256 jobId = _postDefault();
        _claim(provider, jobId);
        _submit(provider, jobId, 0);
        vm.warp(block.timestamp + 2 days);
        vm.expectRevert(
            abi.encodeWithSelector(JobMarket.WrongLeaseState.selector, jobId, 0, JobMarket.LeaseState.Submitted)
        );
        market.expireLease(jobId, 0);
    }

    function test_expireLease_revertsOnUnknownJob() public {
        vm.expectRevert(abi.encodeWithSelector(JobMarket.UnknownJob.selector, 3));
        market.expireLease(3, 0);
    }
}

contract JobMarketSettlementTest is MarketBase {
    function _assertPaid(uint256 jobId) internal view {
        uint128 fee = _fee(REWARD);
        vm.assertTrue(_state(jobId, 0) == JobMarket.LeaseState.Paid, "paid");
        vm.assertEq(market.withdrawable(provider), REWARD - fee, "payout");
        vm.assertEq(market.withdrawable(treasury), fee, "fee");
        vm.assertEq(market.getProvider(provider).locked, 0, "collateral released");
        vm.assertEq(market.getProvider(provider).stake, STAKE, "stake intact");
    }

    function test_acceptResult_paysEarly() public {
        uint256 jobId = _submitted();
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarket.ResultAccepted(jobId, 0, requester);
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarket.LeaseSettled(
            jobId, 0, provider, JobMarket.LeaseState.Paid, REWARD - _fee(REWARD), _fee(REWARD), 0, 0
        );
        vm.prank(requester);
        market.acceptResult(jobId, 0);
        _assertPaid(jobId);
    }

    function test_acceptResult_revertsForAnyoneButTheRequester() public {
        uint256 jobId = _submitted();
        vm.prank(provider);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NotRequester.selector, jobId, provider));
        market.acceptResult(jobId, 0);
    }

    function test_acceptResult_revertsBeforeSubmission() public {
        _register(provider, SCORE, STAKE);
        uint256 jobId = _postDefault();
        _claim(provider, jobId);
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(JobMarket.WrongLeaseState.selector, jobId, 0, JobMarket.LeaseState.Claimed)
        );
        market.acceptResult(jobId, 0);
    }

    function test_acceptResult_revertsTwice() public {
        uint256 jobId = _submitted();
        vm.startPrank(requester);
        market.acceptResult(jobId, 0);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.WrongLeaseState.selector, jobId, 0, JobMarket.LeaseState.Paid));
        market.acceptResult(jobId, 0);
        vm.stopPrank();
    }

    function test_acceptResult_revertsOnUnknownSlot() public {
        uint256 jobId = _submitted();
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.UnknownLease.selector, jobId, 1));
        market.acceptResult(jobId, 1);
    }

    function test_finalizeResult_paysAfterWindowToAnyCaller() public {
        uint256 jobId = _submitted();
        vm.warp(market.getLease(jobId, 0).challengeEndsAt);
        vm.prank(stranger);
        market.finalizeResult(jobId, 0);
        _assertPaid(jobId);
    }

    function test_finalizeResult_revertsInsideWindow() public {
        uint256 jobId = _submitted();
        uint40 challengeEndsAt = market.getLease(jobId, 0).challengeEndsAt;
        vm.warp(challengeEndsAt - 1);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.ChallengeWindowOpen.selector, challengeEndsAt));
        market.finalizeResult(jobId, 0);
    }

    function test_finalizeResult_revertsOnDisputedLease() public {
        uint256 jobId = _disputed();
        vm.warp(block.timestamp + 30 days);
        vm.expectRevert(
            abi.encodeWithSelector(JobMarket.WrongLeaseState.selector, jobId, 0, JobMarket.LeaseState.Disputed)
        );
        market.finalizeResult(jobId, 0);
    }

    function test_finalizeResult_revertsOnUnknownJob() public {
        vm.expectRevert(abi.encodeWithSelector(JobMarket.UnknownJob.selector, 4));
        market.finalizeResult(4, 0);
    }

    function test_disputeResult_freezesTheLease() public {
        uint256 jobId = _submitted();
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarket.ResultDisputed(jobId, 0, requester, "ipfs://why");
        vm.prank(requester);
        market.disputeResult(jobId, 0, "ipfs://why");
        vm.assertTrue(_state(jobId, 0) == JobMarket.LeaseState.Disputed, "disputed");
        vm.assertEq(market.withdrawable(provider), 0, "nothing paid yet");
    }

    function test_disputeResult_revertsForAnyoneButTheRequester() public {
        uint256 jobId = _submitted();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NotRequester.selector, jobId, stranger));
        market.disputeResult(jobId, 0, "");
    }

    function test_disputeResult_revertsOnceWindowCloses() public {
        uint256 jobId = _submitted();
        uint40 challengeEndsAt = market.getLease(jobId, 0).challengeEndsAt;
        vm.warp(challengeEndsAt);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.ChallengeWindowClosed.selector, challengeEndsAt));
        market.disputeResult(jobId, 0, "");
    }

    function test_disputeResult_revertsBeforeSubmission() public {
        _register(provider, SCORE, STAKE);
        uint256 jobId = _postDefault();
        _claim(provider, jobId);
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(JobMarket.WrongLeaseState.selector, jobId, 0, JobMarket.LeaseState.Claimed)
        );
        market.disputeResult(jobId, 0, "");
    }

    function test_disputeResult_revertsOnOverlongReason() public {
        uint256 jobId = _submitted();
        vm.prank(requester);
        vm.expectRevert(JobMarket.InvalidReason.selector);
        market.disputeResult(jobId, 0, string(new bytes(2049)));
    }

    function test_resolveDispute_forProviderPays() public {
        uint256 jobId = _disputed();
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarket.DisputeResolved(jobId, 0, arbiter, true);
        vm.prank(arbiter);
        market.resolveDispute(jobId, 0, true);
        _assertPaid(jobId);
    }

    function test_resolveDispute_forRequesterRefundsAndSlashes() public {
        uint256 jobId = _disputed();
        uint128 collateral = _collateral(REWARD);
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarket.LeaseSettled(jobId, 0, provider, JobMarket.LeaseState.Rejected, 0, 0, REWARD, collateral);
        vm.prank(arbiter);
        market.resolveDispute(jobId, 0, false);
        vm.assertTrue(_state(jobId, 0) == JobMarket.LeaseState.Rejected, "rejected");
        vm.assertEq(market.withdrawable(requester), REWARD + collateral, "refund and collateral");
        vm.assertEq(market.withdrawable(provider), 0, "no payout");
        vm.assertEq(market.withdrawable(treasury), 0, "no fee");
        JobMarket.Provider memory p = market.getProvider(provider);
        vm.assertEq(p.stake, STAKE - collateral, "stake slashed");
        vm.assertEq(p.locked, 0, "nothing locked");
    }

    function test_resolveDispute_revertsForNonArbiter() public {
        uint256 jobId = _disputed();
        bytes32 role = market.ARBITER_ROLE();
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, admin, role));
        market.resolveDispute(jobId, 0, false);
    }

    function test_resolveDispute_revertsWhenNotDisputed() public {
        uint256 jobId = _submitted();
        vm.prank(arbiter);
        vm.expectRevert(
            abi.encodeWithSelector(JobMarket.WrongLeaseState.selector, jobId, 0, JobMarket.LeaseState.Submitted)
        );
        market.resolveDispute(jobId, 0, true);
    }

    function test_resolveDispute_revertsWhenArbiterIsParty() public {
        bytes32 role = market.ARBITER_ROLE();
        vm.prank(admin);
        market.grantRole(role, requester);
        uint256 jobId = _disputed();
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.ArbiterIsParty.selector, requester));
        market.resolveDispute(jobId, 0, false);
    }

    function test_voidStaleDispute_refundsAndReleasesCollateral() public {
        uint256 jobId = _disputed();
        vm.warp(market.getLease(jobId, 0).challengeEndsAt + ARBITRATION);
        vm.prank(stranger);
        market.voidStaleDispute(jobId, 0);
        vm.assertTrue(_state(jobId, 0) == JobMarket.LeaseState.Voided, "voided");
        vm.assertEq(market.withdrawable(requester), REWARD, "refund");
        JobMarket.Provider memory p = market.getProvider(provider);
        vm.assertEq(p.stake, STAKE, "stake kept");
        vm.assertEq(p.locked, 0, "collateral released");
    }

    function test_voidStaleDispute_revertsWhileArbiterHasTime() public {
        uint256 jobId = _disputed();
        uint40 voidableAt = market.getLease(jobId, 0).challengeEndsAt + ARBITRATION;
        vm.warp(voidableAt - 1);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.ArbitrationPending.selector, voidableAt));
        market.voidStaleDispute(jobId, 0);
    }

    function test_voidStaleDispute_revertsWhenNotDisputed() public {
        uint256 jobId = _submitted();
        vm.warp(block.timestamp + 30 days);
        vm.expectRevert(
            abi.encodeWithSelector(JobMarket.WrongLeaseState.selector, jobId, 0, JobMarket.LeaseState.Submitted)
        );
        market.voidStaleDispute(jobId, 0);
    }

    function test_withdraw_sendsOwnBalance() public {
        uint256 jobId = _submitted();
        vm.prank(requester);
        market.acceptResult(jobId, 0);
        uint256 payout = REWARD - _fee(REWARD);
        uint256 before = token.balanceOf(provider);
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarket.Withdrawn(provider, payout);
        vm.prank(provider);
        market.withdraw(payout);
        vm.assertEq(token.balanceOf(provider), before + payout, "tokens arrived");
        vm.assertEq(market.withdrawable(provider), 0, "balance spent");
    }

    function test_withdraw_partialAmountsAndWhilePaused() public {
        uint256 jobId = _submitted();
        vm.prank(requester);
        market.acceptResult(jobId, 0);
        vm.prank(admin);
        market.pause();
        vm.startPrank(provider);
        market.withdraw(1);
        market.withdraw(REWARD - _fee(REWARD) - 1);
        vm.stopPrank();
        vm.assertEq(market.withdrawable(provider), 0, "all out");
    }

    function test_withdraw_revertsOnZero() public {
        vm.prank(provider);
        vm.expectRevert(JobMarket.ZeroAmount.selector);
        market.withdraw(0);
    }

    function test_withdraw_revertsBeyondBalance() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.InsufficientBalance.selector, 0, 1));
        market.withdraw(1);
    }
}

contract JobMarketAdminTest is MarketBase {
    function test_setFee_changesFeeForNewJobs() public {
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarket.FeeChanged(500);
        vm.prank(admin);
        market.setFee(500);
        vm.assertEq(market.feeBps(), 500, "fee");
    }

    function test_setFee_revertsAboveMax() public {
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.FeeTooHigh.selector, 1_001, 1_000));
        market.setFee(1_001);
    }

    function test_setFee_revertsForNonAdmin() public {
        bytes32 role = market.DEFAULT_ADMIN_ROLE();
        vm.prank(arbiter);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, arbiter, role));
        market.setFee(0);
    }

    function test_setTreasury_redirectsOnlyFutureFees() public {
        uint256 jobId = _submitted();
        vm.prank(requester);
        market.acceptResult(jobId, 0);
        address newTreasury = _named("new treasury");
        vm.expectEmit(true, true, true, true, address(market));
        emit JobMarket.TreasuryChanged(newTreasury);
        vm.prank(admin);
        market.setTreasury(newTreasury);
        vm.assertEq(market.withdrawable(treasury), _fee(REWARD), "old fees stay with the old treasury");

        uint256 second = _postDefault();
        _claim(provider, second);
        _submit(provider, second, 0);
        vm.prank(requester);
        market.acceptResult(second, 0);
        vm.assertEq(market.withdrawable(newTreasury), _fee(REWARD), "new fees go to the new treasury");
    }

    function test_setTreasury_revertsOnZero() public {
        vm.prank(admin);
        vm.expectRevert(JobMarket.ZeroAddress.selector);
        market.setTreasury(address(0));
    }

    function test_setTreasury_revertsForNonAdmin() public {
        bytes32 role = market.DEFAULT_ADMIN_ROLE();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, role));
        market.setTreasury(stranger);
    }

    function test_grantRole_onlyByAdmin() public {
        bytes32 arbiterRole = market.ARBITER_ROLE();
        bytes32 adminRole = market.DEFAULT_ADMIN_ROLE();
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, adminRole)
        );
        market.grantRole(arbiterRole, stranger);
        vm.prank(arbiter);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, arbiter, adminRole)
        );
        market.grantRole(arbiterRole, stranger);
        vm.prank(admin);
        market.grantRole(arbiterRole, stranger);
        vm.assertTrue(market.hasRole(arbiterRole, stranger), "granted by the admin");
    }

    function test_pause_andUnpause() public {
        vm.prank(admin);
        market.pause();
        vm.assertTrue(market.paused(), "paused");
        vm.prank(admin);
        market.unpause();
        vm.assertFalse(market.paused(), "running");
        _postDefault();
    }

    function test_pause_revertsForNonPauser() public {
        bytes32 role = market.PAUSER_ROLE();
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, role));
        market.pause();
    }

    function test_pause_revertsWhenAlreadyPaused() public {
        vm.startPrank(admin);
        market.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        market.pause();
        vm.stopPrank();
    }

    function test_unpause_revertsForNonPauser() public {
        vm.prank(admin);
        market.pause();
        bytes32 role = market.PAUSER_ROLE();
        vm.prank(arbiter);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, arbiter, role));
        market.unpause();
    }

    function test_unpause_revertsWhenRunning() public {
        vm.prank(admin);
        vm.expectRevert(Pausable.ExpectedPause.selector);
        market.unpause();
    }

    function test_pause_letsRunningWorkFinish() public {
        uint256 jobId = _submitted();
        vm.prank(admin);
        market.pause();
        vm.warp(block.timestamp + CHALLENGE);
        market.finalizeResult(jobId, 0);
        vm.prank(provider);
        market.withdraw(REWARD - _fee(REWARD));
        vm.prank(provider);
        market.requestUnstake(STAKE);
        vm.warp(block.timestamp + UNSTAKE_DELAY);
        vm.prank(provider);
        market.completeUnstake();
        vm.prank(provider);
        market.withdraw(STAKE);
        vm.assertEq(token.balanceOf(address(market)), _fee(REWARD), "only the treasury's fee is left");
    }
}

contract JobMarketViewTest is MarketBase {
    function test_getJob_revertsOnUnknownJob() public {
        vm.expectRevert(abi.encodeWithSelector(JobMarket.UnknownJob.selector, 0));
        market.getJob(0);
    }

    function test_getLease_revertsOnUnknownSlot() public {
        uint256 jobId = _post(REWARD, SCORE, 2);
        market.getLease(jobId, 1);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.UnknownLease.selector, jobId, 2));
        market.getLease(jobId, 2);
    }

    function test_getProvider_ofStrangerIsEmpty() public view {
        JobMarket.Provider memory p = market.getProvider(stranger);
        vm.assertEq(p.registeredAt, 0, "unregistered");
        vm.assertEq(market.freeStake(stranger), 0, "no stake");
    }

    function test_collateralFor_scalesWithReward() public view {
        vm.assertEq(market.collateralFor(REWARD), REWARD / 2, "half");
        vm.assertEq(market.collateralFor(1), 0, "rounds down");
    }

    function test_collateralFor_revertsPast128Bits() public {
        JobMarket m = new JobMarket(
            IERC20(address(token)), admin, arbiter, treasury, FEE_BPS, 50_000, CHALLENGE, UNSTAKE_DELAY, ARBITRATION
        );
        uint256 collateral = uint256(type(uint128).max) * 5;
        vm.expectRevert(abi.encodeWithSelector(JobMarket.AmountTooLarge.selector, collateral));
        m.collateralFor(type(uint128).max);
    }
}

contract RoostTestTokenTest is MarketBase {
    function test_token_hasSixDecimals() public view {
        vm.assertEq(token.decimals(), 6, "decimals");
        vm.assertEq(keccak256(bytes(token.symbol())), keccak256("rUSD"), "symbol");
    }

    function test_faucet_mintsToCaller() public {
        vm.prank(stranger);
        token.faucet(5e6);
        vm.assertEq(token.balanceOf(stranger), 10_000e6 + 5e6, "minted");
    }

    function test_faucet_revertsAboveLimit() public {
        uint256 limit = token.FAUCET_LIMIT();
        vm.expectRevert(abi.encodeWithSelector(RoostTestToken.FaucetLimitExceeded.selector, limit + 1, limit));
        token.faucet(limit + 1);
    }

    function test_faucetTo_mintsToRecipient() public {
        vm.prank(stranger);
        token.faucetTo(admin, 7e6);
        vm.assertEq(token.balanceOf(admin), 7e6, "minted to the recipient");
    }

    function test_faucetTo_revertsOnZeroAddress() public {
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0)));
        token.faucetTo(address(0), 1);
    }
}
