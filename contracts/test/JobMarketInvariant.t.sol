// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {JobMarket} from "../JobMarket.sol";
import {RoostTestToken} from "../RoostTestToken.sol";
import {Vm} from "./utils/Vm.sol";

/// @notice Invariants over random sequences of every action (see MarketHandler). Above all,
/// escrow conservation: the market's token balance always equals open escrows + locked
/// collateral + free stakes (pending unstakes included) + withdrawable balances + fees, and
/// also equals everything deposited minus everything withdrawn.
contract JobMarketInvariantTest {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    uint256 internal constant BPS = 10_000;

    RoostTestToken internal token;
    JobMarket internal market;
    MarketHandler internal handler;

    struct Books {
        uint256 escrow;
        uint256 locked;
        uint256 freeStake;
        uint256 unstaking;
        uint256 withdrawable;
        uint256 fees;
    }

    function setUp() public {
        vm.warp(1_700_000_000);
        token = new RoostTestToken();
        address admin = address(0xAD);
        address arbiter = address(0xA4B);
        // A short arbitration timeout so campaigns reach voided disputes too.
        market = new JobMarket(IERC20(address(token)), admin, arbiter, address(0x3000), 250, 5_000, 1 hours, 3 days, 1 days);
        handler = new MarketHandler(market, token, admin, arbiter);
    }

    /// Only the handler is fuzzed; it impersonates every party itself.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function invariant_escrowConservation() public view {
        Books memory b = _books();
        uint256 held = token.balanceOf(address(market));
        vm.assertEq(
            held,
            b.escrow + b.locked + b.freeStake + b.unstaking + b.withdrawable + b.fees,
            "balance != escrows + locked collateral + stakes + withdrawable + fees"
        );
        vm.assertEq(held, handler.ghostDeposited() - handler.ghostWithdrawn(), "balance != deposits - withdrawals");

        address[] memory accounts = handler.allAccounts();
        uint256 outside;
        for (uint256 i; i < accounts.length; ++i) {
            outside += token.balanceOf(accounts[i]);
        }
        vm.assertEq(outside + held, token.totalSupply(), "tokens appeared or vanished");
    }

    function invariant_collateralFeesAndAccess() public view {
        address[] memory providers = handler.providers();
        uint256 count = market.jobCount();
        for (uint256 i; i < providers.length; ++i) {
            address p = providers[i];
            uint256 expected;
            for (uint256 jobId = 1; jobId <= count; ++jobId) {
                JobMarket.Job memory job = market.getJob(jobId);
                for (uint8 s; s < job.redundancy; ++s) {
                    JobMarket.Lease memory lease = market.getLease(jobId, s);
                    if (lease.provider == p && _active(lease.state)) expected += market.collateralFor(job.reward);
                }
            }
            JobMarket.Provider memory info = market.getProvider(p);
            vm.assertEq(info.locked, expected, "locked != collateral of the provider's active leases");
            vm.assertLe(info.locked, info.stake, "more locked than staked");
        }

        uint256 feesOwed;
        for (uint256 jobId = 1; jobId <= count; ++jobId) {
            JobMarket.Job memory job = market.getJob(jobId);
            for (uint8 s; s < job.redundancy; ++s) {
                JobMarket.Lease memory lease = market.getLease(jobId, s);
                if (lease.state == JobMarket.LeaseState.Paid) feesOwed += uint256(job.reward) * job.feeBps / BPS;
                bool open = lease.state == JobMarket.LeaseState.Open || lease.state == JobMarket.LeaseState.Cancelled;
                vm.assertEq(open, lease.provider == address(0), "holder set iff the lease was taken");
            }
        }
        address[] memory treasuries = handler.treasuries();
        uint256 feesPaid;
        for (uint256 i; i < treasuries.length; ++i) {
            feesPaid += market.withdrawable(treasuries[i]) + handler.ghostWithdrawnBy(treasuries[i]);
        }
        vm.assertEq(feesPaid, feesOwed, "fees != the job fee of every paid lease");
        vm.assertEq(handler.unauthorizedSuccesses(), 0, "an unauthorized action succeeded");
    }

    function _books() internal view returns (Books memory b) {
        uint256 count = market.jobCount();
        for (uint256 jobId = 1; jobId <= count; ++jobId) {
            JobMarket.Job memory job = market.getJob(jobId);
            for (uint8 s; s < job.redundancy; ++s) {
                if (_unsettled(market.getLease(jobId, s).state)) b.escrow += job.reward;
            }
        }
        address[] memory providers = handler.providers();
        for (uint256 i; i < providers.length; ++i) {
            JobMarket.Provider memory p = market.getProvider(providers[i]);
            b.locked += p.locked;
            b.freeStake += p.stake - p.locked;
            b.unstaking += p.unstaking;
        }
        address[] memory accounts = handler.allAccounts();
        address[] memory treasuries = handler.treasuries();
        for (uint256 i; i < accounts.length; ++i) {
            bool isTreasury;
            for (uint256 t; t < treasuries.length; ++t) {
                if (accounts[i] == treasuries[t]) isTreasury = true;
            }
            if (isTreasury) b.fees += market.withdrawable(accounts[i]);
            else b.withdrawable += market.withdrawable(accounts[i]);
        }
    }

    function _unsettled(JobMarket.LeaseState state) internal pure returns (bool) {
        return state == JobMarket.LeaseState.Open || _active(state);
    }

    function _active(JobMarket.LeaseState state) internal pure returns (bool) {
        return state == JobMarket.LeaseState.Claimed || state == JobMarket.LeaseState.Submitted
            || state == JobMarket.LeaseState.Disputed;
    }

    /// The campaign must reach the deep states, or the invariants above prove little.
    function test_handlerReachesEveryLeaseOutcome() public {
        handler.register(0, 1_000, 2_000e6);
        handler.register(1, 1_000, 2_000e6);
        for (uint256 i; i < 5; ++i) {
            handler.postJob(i, 100e6, 0, 1 hours, 1 days, i % 2 == 0);
        }
        // Lease k is job 1 + k / 2, slot k % 2; jobs 1, 3 and 5 have two leases.
        handler.claim(0, 0);
        handler.claim(1, 1);
        handler.claim(0, 2);
        handler.claim(0, 4);
        handler.claim(0, 6);
        handler.claim(0, 8);
        // Job 1: accept; job 2: dispute then reject; job 3: finalize; job 4: expire; job 5: void.
        handler.submit(0);
        handler.accept(0);
        handler.submit(2);
        handler.dispute(2);
        handler.resolve(2, false);
        handler.submit(4);
        handler.submit(8);
        handler.dispute(8);
        handler.warp(1 days + 2 hours);
        handler.finalize(4);
        handler.expire(6);
        handler.warp(1 days);
        handler.voidStale(8);
        handler.pauseBriefly(0);
        vm.assertEq(handler.unauthorizedSuccesses(), 0, "paused market refused new business");
        vm.assertTrue(market.getLease(1, 0).state == JobMarket.LeaseState.Paid, "paid");
        vm.assertTrue(market.getLease(2, 0).state == JobMarket.LeaseState.Rejected, "rejected");
        vm.assertTrue(market.getLease(3, 0).state == JobMarket.LeaseState.Paid, "finalized");
        vm.assertTrue(market.getLease(4, 0).state == JobMarket.LeaseState.Open, "expired and reopened");
        vm.assertTrue(market.getLease(5, 0).state == JobMarket.LeaseState.Voided, "voided");
        invariant_escrowConservation();
        invariant_collateralFeesAndAccess();
    }
}


// The handler lives in this file on purpose: Hardhat's Solidity test runner only fuzzes contracts
// compiled as test roots, and helpers under contracts/test/utils are plain sources (see
// NomicFoundation/hardhat#6330, "No contracts to fuzz").

/// @notice Drives the market through random sequences for the invariant tests: every public
/// action of every role, time passing, admin changes, and attacks that must always fail.
/// It keeps its own ghost tallies of tokens in and out so the tests can check the market's
/// books against something the market did not compute.
contract MarketHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    uint256 internal constant BPS = 10_000;

    JobMarket public immutable market;
    RoostTestToken public immutable token;
    address public immutable admin;
    address public immutable arbiter;
    address public immutable stranger;

    address[] internal _providers;
    address[] internal _requesters;
    address[] internal _treasuries;

    /// Time only moves through `warp`; every action first restores it, so it survives between calls.
    uint256 public clock;

    uint256 public ghostDeposited;
    uint256 public ghostWithdrawn;
    mapping(address account => uint256) public ghostWithdrawnBy;
    /// Attacks that went through. Must stay zero.
    uint256 public unauthorizedSuccesses;
    /// Calls per action, to show the campaign reached every state.
    mapping(bytes32 action => uint256) public calls;

    constructor(JobMarket market_, RoostTestToken token_, address admin_, address arbiter_) {
        market = market_;
        token = token_;
        admin = admin_;
        arbiter = arbiter_;
        stranger = address(0x5757);
        for (uint160 i = 1; i <= 4; ++i) {
            _providers.push(address(0x1000 + i));
        }
        for (uint160 i = 1; i <= 3; ++i) {
            _requesters.push(address(0x2000 + i));
        }
        _treasuries.push(market_.treasury());
        _treasuries.push(address(0x3001));
        clock = block.timestamp;
        address[] memory everyone = allAccounts();
        for (uint256 i; i < everyone.length; ++i) {
            vm.prank(everyone[i]);
            token_.approve(address(market_), type(uint256).max);
        }
        // Three providers start registered so campaigns get to leases quickly; the fourth
        // joins through `register`.
        for (uint256 i; i < 3; ++i) {
            _registerProvider(i, uint64(1_000 + 500 * i), 1_000e6);
        }
    }

    modifier tick(bytes32 action) {
        vm.warp(clock);
        ++calls[action];
        _;
    }

    // ------------------------------------------------------------ lists for the invariants

    function providers() external view returns (address[] memory) {
        return _providers;
    }

    function treasuries() external view returns (address[] memory) {
        return _treasuries;
    }

    /// Every address that can ever hold tokens or a balance in this campaign.
    function allAccounts() public view returns (address[] memory all) {
        all = new address[](_providers.length + _requesters.length + _treasuries.length + 3);
        uint256 n;
        for (uint256 i; i < _providers.length; ++i) {
            all[n++] = _providers[i];
        }
        for (uint256 i; i < _requesters.length; ++i) {
            all[n++] = _requesters[i];
        }
        for (uint256 i; i < _treasuries.length; ++i) {
            all[n++] = _treasuries[i];
        }
        all[n++] = admin;
        all[n++] = arbiter;
        all[n++] = stranger;
    }

    // ------------------------------------------------------------ providers

    function register(uint256 who, uint64 score, uint128 stake) external tick("register") {
        _registerProvider(who, uint64(_bound(score, 0, 3_000)), uint128(_bound(stake, 0, 2_000e6)));
    }

    function _registerProvider(uint256 who, uint64 score, uint128 stake) internal {
        address p = _pick(_providers, who);
        if (market.getProvider(p).registeredAt != 0) return;
        _topUp(p, stake);
        vm.prank(p);
        market.registerProvider(keccak256(abi.encode(p, score)), score, 1e6, stake);
        ghostDeposited += stake;
    }

    function updateProvider(uint256 who, uint64 score) external tick("updateProvider") {
        address p = _pick(_providers, who);
        if (market.getProvider(p).registeredAt == 0) return;
        vm.prank(p);
        market.updateProvider(keccak256(abi.encode(p, score, "v2")), uint64(_bound(score, 0, 3_000)), 2e6);
    }

    function addStake(uint256 who, uint128 amount) external tick("addStake") {
        address p = _pick(_providers, who);
        if (market.getProvider(p).registeredAt == 0) return;
        amount = uint128(_bound(amount, 1, 500e6));
        _topUp(p, amount);
        vm.prank(p);
        market.addStake(amount);
        ghostDeposited += amount;
    }

    function requestUnstake(uint256 who, uint128 amount) external tick("requestUnstake") {
        address p = _pick(_providers, who);
        uint128 free = market.freeStake(p);
        if (free == 0) return;
        vm.prank(p);
        market.requestUnstake(uint128(_bound(amount, 1, free)));
    }

    function cancelUnstake(uint256 who) external tick("cancelUnstake") {
        address p = _pick(_providers, who);
        if (market.getProvider(p).unstaking == 0) return;
        vm.prank(p);
        market.cancelUnstake();
    }

    function completeUnstake(uint256 who) external tick("completeUnstake") {
        address p = _pick(_providers, who);
        JobMarket.Provider memory info = market.getProvider(p);
        if (info.unstaking == 0 || block.timestamp < info.unstakeAvailableAt) return;
        vm.prank(p);
        market.completeUnstake();
    }

    // ------------------------------------------------------------ requesters

    function postJob(uint256 who, uint128 reward, uint64 minScore, uint32 lease, uint32 slack, bool redundant)
        external
        tick("postJob")
    {
        address r = _pick(_requesters, who);
        reward = uint128(_bound(reward, 1, 300e6));
        lease = uint32(_bound(lease, 60, 3 days));
        uint40 deadline = uint40(block.timestamp + lease + _bound(slack, 0, 3 days));
        uint8 redundancy = redundant ? 2 : 1;
        _topUp(r, uint256(reward) * redundancy);
        vm.prank(r);
        market.postJob(keccak256(abi.encode(r, reward)), "ipfs://spec", reward, uint64(_bound(minScore, 0, 1_500)), lease, deadline, redundancy);
        ghostDeposited += uint256(reward) * redundancy;
    }

    function cancelJob(uint256 seed) external tick("cancelJob") {
        // Only one call in four goes through, or campaigns would cancel most jobs before any work.
        if (seed % 4 != 0) return;
        (bool ok, uint256 jobId,,) = _findLease(seed / 4, JobMarket.LeaseState.Open);
        if (!ok) return;
        JobMarket.Job memory job = market.getJob(jobId);
        vm.prank(job.requester);
        try market.cancelJob(jobId) {} catch {}
    }

    function accept(uint256 seed) external tick("accept") {
        (bool ok, uint256 jobId, uint8 s,) = _findLease(seed, JobMarket.LeaseState.Submitted);
        if (!ok) return;
        vm.prank(market.getJob(jobId).requester);
        market.acceptResult(jobId, s);
    }

    function dispute(uint256 seed) external tick("dispute") {
        (bool ok, uint256 jobId, uint8 s, JobMarket.Lease memory lease) = _findLease(seed, JobMarket.LeaseState.Submitted);
        if (!ok || block.timestamp >= lease.challengeEndsAt) return;
        vm.prank(market.getJob(jobId).requester);
        market.disputeResult(jobId, s, "ipfs://reason");
    }

    // ------------------------------------------------------------ leases

    function claim(uint256 who, uint256 seed) external tick("claim") {
        (bool ok, uint256 jobId,,) = _findLease(seed, JobMarket.LeaseState.Open);
        if (!ok) return;
        vm.prank(_pick(_providers, who));
        try market.claimJob(jobId) {} catch {}
    }

    function submit(uint256 seed) external tick("submit") {
        (bool ok, uint256 jobId, uint8 s, JobMarket.Lease memory lease) = _findLease(seed, JobMarket.LeaseState.Claimed);
        if (!ok || block.timestamp >= lease.leaseEndsAt) return;
        vm.prank(lease.provider);
        market.submitResult(jobId, s, keccak256(abi.encode(jobId, s)), "ipfs://result");
    }

    function finalize(uint256 seed) external tick("finalize") {
        (bool ok, uint256 jobId, uint8 s, JobMarket.Lease memory lease) = _findLease(seed, JobMarket.LeaseState.Submitted);
        if (!ok || block.timestamp < lease.challengeEndsAt) return;
        vm.prank(stranger);
        market.finalizeResult(jobId, s);
    }

    function expire(uint256 seed) external tick("expire") {
        (bool ok, uint256 jobId, uint8 s, JobMarket.Lease memory lease) = _findLease(seed, JobMarket.LeaseState.Claimed);
        if (!ok || block.timestamp < lease.leaseEndsAt) return;
        vm.prank(stranger);
        market.expireLease(jobId, s);
    }

    function resolve(uint256 seed, bool providerWins) external tick("resolve") {
        (bool ok, uint256 jobId, uint8 s,) = _findLease(seed, JobMarket.LeaseState.Disputed);
        if (!ok) return;
        vm.prank(arbiter);
        market.resolveDispute(jobId, s, providerWins);
    }

    function voidStale(uint256 seed) external tick("voidStale") {
        (bool ok, uint256 jobId, uint8 s, JobMarket.Lease memory lease) = _findLease(seed, JobMarket.LeaseState.Disputed);
        if (!ok || block.timestamp < lease.challengeEndsAt + market.arbitrationTimeout()) return;
        vm.prank(stranger);
        market.voidStaleDispute(jobId, s);
    }

    /// Move a random unsettled lease one step along its life, whatever step that is: the
    /// specific actions above rarely line up in order, this one makes long histories common.
    function advance(uint256 seed, uint8 choice) external tick("advance") {
        uint256 total = market.jobCount() * 2;
        for (uint256 i; i < total; ++i) {
            uint256 k = (seed + i) % total;
            uint256 jobId = 1 + k / 2;
            uint8 s = uint8(k % 2);
            JobMarket.Job memory job = market.getJob(jobId);
            if (s >= job.redundancy) continue;
            JobMarket.Lease memory lease = market.getLease(jobId, s);
            if (lease.state == JobMarket.LeaseState.Open) {
                if (block.timestamp + job.leaseSeconds > job.deadline) continue;
                vm.prank(_pick(_providers, seed + choice));
                try market.claimJob(jobId) {} catch {}
            } else if (lease.state == JobMarket.LeaseState.Claimed) {
                if (block.timestamp >= lease.leaseEndsAt) {
                    market.expireLease(jobId, s);
                } else {
                    vm.prank(lease.provider);
                    market.submitResult(jobId, s, keccak256(abi.encode(jobId, s)), "ipfs://result");
                }
            } else if (lease.state == JobMarket.LeaseState.Submitted) {
                if (block.timestamp >= lease.challengeEndsAt) {
                    market.finalizeResult(jobId, s);
                } else {
                    vm.prank(job.requester);
                    if (choice % 3 == 0) market.disputeResult(jobId, s, "ipfs://reason");
                    else market.acceptResult(jobId, s);
                }
            } else if (lease.state == JobMarket.LeaseState.Disputed) {
                vm.prank(arbiter);
                market.resolveDispute(jobId, s, choice % 2 == 0);
            } else {
                continue;
            }
            return;
        }
    }

    // ------------------------------------------------------------ money out, time, admin

    function withdraw(uint256 who, uint256 amount) external tick("withdraw") {
        address[] memory accounts = allAccounts();
        address a = accounts[who % accounts.length];
        uint256 balance = market.withdrawable(a);
        if (balance == 0) return;
        amount = _bound(amount, 1, balance);
        vm.prank(a);
        market.withdraw(amount);
        ghostWithdrawn += amount;
        ghostWithdrawnBy[a] += amount;
    }

    function warp(uint32 seconds_) external {
        ++calls["warp"];
        clock += _bound(seconds_, 1, 2 days);
        vm.warp(clock);
    }

    function setFee(uint16 feeBps) external tick("setFee") {
        uint16 fee = uint16(_bound(feeBps, 0, market.MAX_FEE_BPS()));
        vm.prank(admin);
        market.setFee(fee);
    }

    function setTreasury(uint256 which) external tick("setTreasury") {
        vm.prank(admin);
        market.setTreasury(_pick(_treasuries, which));
    }

    /// Pause, check that new business is refused, unpause: a pause that lasted across calls
    /// would starve the campaign of jobs.
    function pauseBriefly(uint256 who) external tick("pauseBriefly") {
        vm.prank(admin);
        market.pause();
        address p = _pick(_providers, who);
        (bool ok, uint256 jobId,,) = _findLease(who, JobMarket.LeaseState.Open);
        if (ok) {
            vm.prank(p);
            try market.claimJob(jobId) {
                ++unauthorizedSuccesses;
            } catch {}
        }
        address r = _pick(_requesters, who);
        _topUp(r, 1e6);
        vm.prank(r);
        try market.postJob(bytes32(uint256(1)), "x", 1e6, 0, 60, uint40(block.timestamp + 60), 1) {
            ++unauthorizedSuccesses;
        } catch {}
        vm.prank(admin);
        market.unpause();
    }

    // ------------------------------------------------------------ attacks (must all revert)

    /// A party that is not entitled tries one of the protected actions. Any success is counted.
    function attack(uint256 who, uint256 jobSeed, uint8 slot, uint8 kind, uint256 amount) external tick("attack") {
        address[] memory accounts = allAccounts();
        address attacker = accounts[who % accounts.length];
        (bool ok, uint256 jobId, JobMarket.Job memory job, uint8 s, JobMarket.Lease memory lease) = _someLease(jobSeed, slot);
        kind = kind % 8;
        bool succeeded;

        if (kind == 0) {
            // Withdraw more than one's own balance.
            uint256 more = market.withdrawable(attacker) + _bound(amount, 1, 1e30);
            vm.prank(attacker);
            try market.withdraw(more) {
                succeeded = true;
            } catch {}
        } else if (!ok) {
            return;
        } else if (kind == 1 && attacker != job.requester) {
            vm.prank(attacker);
            try market.cancelJob(jobId) {
                succeeded = true;
            } catch {}
        } else if (kind == 2 && attacker != lease.provider) {
            vm.prank(attacker);
            try market.submitResult(jobId, s, bytes32(uint256(1)), "x") {
                succeeded = true;
            } catch {}
        } else if (kind == 3 && attacker != job.requester) {
            vm.prank(attacker);
            try market.acceptResult(jobId, s) {
                succeeded = true;
            } catch {}
        } else if (kind == 4 && !(attacker == job.requester && lease.state == JobMarket.LeaseState.Submitted && block.timestamp < lease.challengeEndsAt)) {
            vm.prank(attacker);
            try market.disputeResult(jobId, s, "") {
                succeeded = true;
            } catch {}
        } else if (kind == 5 && attacker != arbiter) {
            vm.prank(attacker);
            try market.resolveDispute(jobId, s, true) {
                succeeded = true;
            } catch {}
        } else if (kind == 6 && !(lease.state == JobMarket.LeaseState.Submitted && block.timestamp >= lease.challengeEndsAt)) {
            vm.prank(attacker);
            try market.finalizeResult(jobId, s) {
                succeeded = true;
            } catch {}
        } else if (kind == 7 && _holdsLeaseOf(attacker, jobId, job.redundancy)) {
            // Claim a second lease of a job one already holds (or held).
            vm.prank(attacker);
            try market.claimJob(jobId) {
                succeeded = true;
            } catch {}
        }
        if (succeeded) ++unauthorizedSuccesses;
    }

    // ------------------------------------------------------------ helpers

    function _someJob(uint256 seed) internal view returns (bool ok, uint256 jobId, JobMarket.Job memory job) {
        uint256 count = market.jobCount();
        if (count == 0) return (false, 0, job);
        jobId = 1 + seed % count;
        job = market.getJob(jobId);
        ok = true;
    }

    function _someLease(uint256 seed, uint8 slot)
        internal
        view
        returns (bool ok, uint256 jobId, JobMarket.Job memory job, uint8 s, JobMarket.Lease memory lease)
    {
        (ok, jobId, job) = _someJob(seed);
        if (!ok) return (false, 0, job, 0, lease);
        s = slot % job.redundancy;
        lease = market.getLease(jobId, s);
    }

    /// The first lease in `state`, scanning all leases from a random starting point.
    function _findLease(uint256 seed, JobMarket.LeaseState state)
        internal
        view
        returns (bool ok, uint256 jobId, uint8 s, JobMarket.Lease memory lease)
    {
        uint256 total = market.jobCount() * 2;
        for (uint256 i; i < total; ++i) {
            uint256 k = (seed + i) % total;
            jobId = 1 + k / 2;
            s = uint8(k % 2);
            if (s >= market.getJob(jobId).redundancy) continue;
            lease = market.getLease(jobId, s);
            if (lease.state == state) return (true, jobId, s, lease);
        }
    }

    function _holdsLeaseOf(address account, uint256 jobId, uint8 redundancy) internal view returns (bool) {
        for (uint8 i; i < redundancy; ++i) {
            if (market.getLease(jobId, i).provider == account) return true;
        }
        return false;
    }

    function _topUp(address account, uint256 amount) internal {
        uint256 balance = token.balanceOf(account);
        if (balance < amount) token.faucetTo(account, amount - balance);
    }

    function _pick(address[] storage list, uint256 seed) internal view returns (address) {
        return list[seed % list.length];
    }

    function _bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        if (max <= min) return min;
        return min + x % (max - min + 1);
    }
}
