// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title Roost JobMarket
/// @notice An optimistic market for leased GPU jobs, paid in one ERC-20.
///
/// Providers stake and advertise a benchmark report; requesters escrow a reward per lease; a
/// provider claims a lease (locking part of its stake as collateral), submits a result, and is
/// paid once the result is accepted, survives the challenge window, or wins a dispute.
///
/// Money only ever sits in five places, and the contract's token balance is their sum:
/// open escrows (reward of every lease not yet settled or cancelled), provider stakes (which
/// include the collateral locked by active leases), pending unstakes, and withdrawable
/// balances (payouts, refunds, slashed collateral, finished unstakes and the treasury's fees).
/// Tokens leave only through `withdraw`, to the account that owns the balance.
///
/// The admin can pause new business (registration, staking, posting, claiming), set the fee
/// for future jobs within `MAX_FEE_BPS` and choose the treasury for future fees; it has no
/// path to anyone's escrow, stake or balance. The arbiter decides disputes between the fixed
/// outcomes below and nothing else; if it never acts, anyone can void a stale dispute.
contract JobMarket is AccessControl, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    // ---------------------------------------------------------------- types

    /// @notice Where one lease of a job stands. `Open` is zero so posting a job writes no
    /// per-lease storage.
    enum LeaseState {
        Open, // waiting for a provider (also after an expired lease reopens)
        Claimed, // a provider holds the lease until `leaseEndsAt`
        Submitted, // a result is in; the requester may dispute until `challengeEndsAt`
        Disputed, // waiting for the arbiter (or for `challengeEndsAt + arbitrationTimeout`)
        Paid, // settled: the provider was paid
        Rejected, // settled: the arbiter sided with the requester; collateral slashed
        Voided, // settled: the dispute went stale; reward refunded, collateral returned
        Cancelled // the requester took the reward back before anyone claimed
    }

    /// @notice Why a withdrawable balance grew.
    enum Credit {
        Payout, // reward minus fee, to the provider
        Fee, // protocol fee, to the treasury
        Refund, // unspent reward, to the requester
        Slash, // collateral of a failed or rejected lease, to the requester
        Unstake // stake whose unstake delay has passed, to the provider
    }

    struct Provider {
        bytes32 reportHash; // hash of the latest signed benchmark report
        uint128 pricePerUnitHour; // asking price, token units per composite-score unit per hour
        uint64 score; // composite benchmark score, in the suite's integer units
        uint40 registeredAt; // 0 while unregistered
        uint128 stake; // staked tokens, including `locked`
        uint128 locked; // collateral held by this provider's active leases
        uint128 unstaking; // left the stake, waiting for `unstakeAvailableAt`
        uint40 unstakeAvailableAt;
    }

    struct Job {
        address requester;
        uint40 deadline; // every lease must end by then: claims need now + leaseSeconds <= deadline
        uint32 leaseSeconds;
        uint16 feeBps; // fee fixed when the job was posted
        uint8 redundancy; // independent leases (1 or 2), each paid `reward`
        uint128 reward; // per lease
        uint64 minScore;
        bytes32 specHash;
    }

    struct Lease {
        address provider; // current or last holder; zero while open
        LeaseState state;
        uint40 leaseEndsAt;
        uint40 challengeEndsAt;
        bytes32 resultHash;
    }

    // ---------------------------------------------------------------- constants

    bytes32 public constant ARBITER_ROLE = keccak256("ARBITER_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    uint16 public constant MAX_FEE_BPS = 1_000; // 10 %
    uint16 public constant MAX_COLLATERAL_BPS = 50_000; // 5x the reward
    uint32 public constant MIN_LEASE_SECONDS = 60;
    uint32 public constant MAX_LEASE_SECONDS = 30 days;
    uint32 public constant MAX_JOB_LIFETIME = 365 days;
    uint32 public constant MIN_CHALLENGE_WINDOW = 60;
    uint32 public constant MAX_CHALLENGE_WINDOW = 30 days;
    uint32 public constant MAX_UNSTAKE_DELAY = 90 days;
    uint32 public constant MIN_ARBITRATION_TIMEOUT = 1 hours;
    uint32 public constant MAX_ARBITRATION_TIMEOUT = 365 days;
    uint256 public constant MAX_URI_LENGTH = 2048;
    uint256 private constant BPS = 10_000;

    // ---------------------------------------------------------------- configuration

    IERC20 public immutable token;
    /// @notice Collateral per lease, in basis points of the lease's reward.
    uint16 public immutable collateralBps;
    uint32 public immutable challengeWindow;
    uint32 public immutable unstakeDelay;
    /// @notice How long after a challenge window closes the arbiter has before anyone may void a dispute.
    uint32 public immutable arbitrationTimeout;

    /// @notice Fee for jobs posted from now on; each job keeps the fee it was posted with.
    uint16 public feeBps;
    /// @notice Receives fees of leases settled from now on.
    address public treasury;

    // ---------------------------------------------------------------- state

    /// @notice Number of jobs ever posted; job ids run from 1 to `jobCount`.
    uint256 public jobCount;
    mapping(uint256 jobId => Job) private _jobs;
    mapping(uint256 jobId => Lease[2]) private _leases;
    mapping(address provider => Provider) private _providers;
    /// @notice Tokens each account can `withdraw`.
    mapping(address account => uint256) public withdrawable;

    // ---------------------------------------------------------------- events

    event ProviderRegistered(
        address indexed provider, bytes32 reportHash, uint64 score, uint128 pricePerUnitHour, uint128 stake
    );
    event ProviderUpdated(address indexed provider, bytes32 reportHash, uint64 score, uint128 pricePerUnitHour);
    event StakeAdded(address indexed provider, uint128 amount, uint128 stake);
    event UnstakeRequested(
        address indexed provider, uint128 amount, uint128 stake, uint128 unstaking, uint40 availableAt
    );
    event UnstakeCancelled(address indexed provider, uint128 amount, uint128 stake);
    event UnstakeCompleted(address indexed provider, uint128 amount);

    event JobPosted(
        uint256 indexed jobId,
        address indexed requester,
        bytes32 specHash,
        string specURI,
        uint128 reward,
        uint128 collateral,
        uint64 minScore,
        uint32 leaseSeconds,
        uint40 deadline,
        uint8 redundancy,
        uint16 feeBps
    );
    event JobCancelled(uint256 indexed jobId, address indexed requester, uint8 leasesCancelled, uint256 refund);
    event LeaseClaimed(
        uint256 indexed jobId, uint8 slot, address indexed provider, uint40 leaseEndsAt, uint128 collateral
    );
    event ResultSubmitted(
        uint256 indexed jobId,
        uint8 slot,
        address indexed provider,
        bytes32 resultHash,
        string resultURI,
        uint40 challengeEndsAt
    );
    event ResultAccepted(uint256 indexed jobId, uint8 slot, address indexed requester);
    event ResultDisputed(uint256 indexed jobId, uint8 slot, address indexed requester, string reasonURI);
    event DisputeResolved(uint256 indexed jobId, uint8 slot, address indexed arbiter, bool providerWins);
    /// @notice A lease ran out without a result: the job reopened and the collateral went to the requester.
    event LeaseExpired(uint256 indexed jobId, uint8 slot, address indexed provider, uint128 collateralSlashed);
    /// @notice A lease closed for good. Amounts are what each side was credited or lost.
    event LeaseSettled(
        uint256 indexed jobId,
        uint8 slot,
        address indexed provider,
        LeaseState outcome,
        uint128 providerPayout,
        uint128 fee,
        uint128 requesterRefund,
        uint128 collateralSlashed
    );
    /// @notice Every increase of a withdrawable balance, so a ledger can be rebuilt from events alone.
    event Credited(address indexed account, uint256 indexed jobId, uint8 slot, Credit reason, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);
    event FeeChanged(uint16 feeBps);
    event TreasuryChanged(address indexed treasury);

    // ---------------------------------------------------------------- errors

    error InvalidConfig();
    error ZeroAddress();
    error ZeroAmount();
    error FeeTooHigh(uint16 feeBps, uint16 maxFeeBps);
    error UnsupportedToken(uint256 expected, uint256 received);
    error AmountTooLarge(uint256 amount);

    error AlreadyRegistered(address provider);
    error NotRegistered(address provider);
    error InvalidReport();
    error InsufficientStake(uint256 available, uint256 needed);
    error NothingUnstaking(address provider);
    error UnstakeNotReady(uint40 availableAt);

    error InvalidSpec();
    error InvalidRedundancy(uint8 redundancy);
    error InvalidLeaseLength(uint32 leaseSeconds);
    error InvalidDeadline(uint40 deadline);
    error UnknownJob(uint256 jobId);
    error UnknownLease(uint256 jobId, uint8 slot);
    error NotRequester(uint256 jobId, address caller);
    error NothingToCancel(uint256 jobId);

    error ClaimWindowClosed(uint256 jobId, uint40 deadline);
    error ScoreTooLow(uint64 score, uint64 minScore);
    error NoOpenLease(uint256 jobId);
    error AlreadyLeased(uint256 jobId, address provider);
    error WrongLeaseState(uint256 jobId, uint8 slot, LeaseState state);
    error NotLeaseHolder(uint256 jobId, uint8 slot, address caller);
    error LeaseOver(uint40 leaseEndsAt);
    error LeaseActive(uint40 leaseEndsAt);
    error InvalidResult();
    error InvalidReason();
    error ChallengeWindowClosed(uint40 challengeEndsAt);
    error ChallengeWindowOpen(uint40 challengeEndsAt);
    error ArbiterIsParty(address arbiter);
    error ArbitrationPending(uint40 voidableAt);
    error InsufficientBalance(uint256 available, uint256 requested);

    // ---------------------------------------------------------------- setup

    /// @param token_ the ERC-20 every amount is denominated in; must move exactly the amounts asked
    ///        (fee-on-transfer and rebasing tokens are refused at deposit time)
    /// @param admin gets DEFAULT_ADMIN_ROLE and PAUSER_ROLE
    /// @param arbiter gets ARBITER_ROLE (zero: no arbiter yet; the admin can grant it later)
    constructor(
        IERC20 token_,
        address admin,
        address arbiter,
        address treasury_,
        uint16 feeBps_,
        uint16 collateralBps_,
        uint32 challengeWindow_,
        uint32 unstakeDelay_,
        uint32 arbitrationTimeout_
    ) {
        if (address(token_) == address(0) || admin == address(0) || treasury_ == address(0)) revert ZeroAddress();
        if (feeBps_ > MAX_FEE_BPS) revert FeeTooHigh(feeBps_, MAX_FEE_BPS);
        if (
            collateralBps_ > MAX_COLLATERAL_BPS || challengeWindow_ < MIN_CHALLENGE_WINDOW
                || challengeWindow_ > MAX_CHALLENGE_WINDOW || unstakeDelay_ > MAX_UNSTAKE_DELAY
                || arbitrationTimeout_ < MIN_ARBITRATION_TIMEOUT || arbitrationTimeout_ > MAX_ARBITRATION_TIMEOUT
        ) revert InvalidConfig();

        token = token_;
        collateralBps = collateralBps_;
        challengeWindow = challengeWindow_;
        unstakeDelay = unstakeDelay_;
        arbitrationTimeout = arbitrationTimeout_;
        feeBps = feeBps_;
        treasury = treasury_;

        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        if (arbiter != address(0)) _grantRole(ARBITER_ROLE, arbiter);
        emit FeeChanged(feeBps_);
        emit TreasuryChanged(treasury_);
    }

    // ---------------------------------------------------------------- providers

    /// @notice Join the market with a benchmark report, an asking price and an optional first stake.
    function registerProvider(bytes32 reportHash, uint64 score, uint128 pricePerUnitHour, uint128 stake)
        external
        whenNotPaused
        nonReentrant
    {
        Provider storage p = _providers[msg.sender];
        if (p.registeredAt != 0) revert AlreadyRegistered(msg.sender);
        if (reportHash == bytes32(0)) revert InvalidReport();
        p.reportHash = reportHash;
        p.score = score;
        p.pricePerUnitHour = pricePerUnitHour;
        p.registeredAt = uint40(block.timestamp);
        p.stake = stake;
        if (stake != 0) _pull(msg.sender, stake);
        emit ProviderRegistered(msg.sender, reportHash, score, pricePerUnitHour, stake);
    }

    /// @notice Publish a new benchmark report, score or price. Leases already held are unaffected.
    function updateProvider(bytes32 reportHash, uint64 score, uint128 pricePerUnitHour) external {
        Provider storage p = _registered(msg.sender);
        if (reportHash == bytes32(0)) revert InvalidReport();
        p.reportHash = reportHash;
        p.score = score;
        p.pricePerUnitHour = pricePerUnitHour;
        emit ProviderUpdated(msg.sender, reportHash, score, pricePerUnitHour);
    }

    function addStake(uint128 amount) external whenNotPaused nonReentrant {
        Provider storage p = _registered(msg.sender);
        if (amount == 0) revert ZeroAmount();
        uint128 stake = _add(p.stake, amount);
        p.stake = stake;
        _pull(msg.sender, amount);
        emit StakeAdded(msg.sender, amount, stake);
    }

    /// @notice Move unlocked stake out; it becomes withdrawable after `unstakeDelay`. A second
    /// request adds to the pending amount and restarts the delay.
    function requestUnstake(uint128 amount) external {
        Provider storage p = _registered(msg.sender);
        if (amount == 0) revert ZeroAmount();
        uint128 free = p.stake - p.locked;
        if (amount > free) revert InsufficientStake(free, amount);
        uint128 stake = p.stake - amount;
        uint128 unstaking = _add(p.unstaking, amount);
        uint40 availableAt = uint40(block.timestamp + unstakeDelay);
        p.stake = stake;
        p.unstaking = unstaking;
        p.unstakeAvailableAt = availableAt;
        emit UnstakeRequested(msg.sender, amount, stake, unstaking, availableAt);
    }

    /// @notice Put a pending unstake back into the stake.
    function cancelUnstake() external {
        Provider storage p = _providers[msg.sender];
        uint128 amount = p.unstaking;
        if (amount == 0) revert NothingUnstaking(msg.sender);
        uint128 stake = _add(p.stake, amount);
        p.stake = stake;
        p.unstaking = 0;
        p.unstakeAvailableAt = 0;
        emit UnstakeCancelled(msg.sender, amount, stake);
    }

    /// @notice After the delay, credit the pending unstake to the provider's withdrawable balance.
    function completeUnstake() external {
        Provider storage p = _providers[msg.sender];
        uint128 amount = p.unstaking;
        if (amount == 0) revert NothingUnstaking(msg.sender);
        if (block.timestamp < p.unstakeAvailableAt) revert UnstakeNotReady(p.unstakeAvailableAt);
        p.unstaking = 0;
        p.unstakeAvailableAt = 0;
        emit UnstakeCompleted(msg.sender, amount);
        _credit(msg.sender, 0, 0, Credit.Unstake, amount);
    }

    // ---------------------------------------------------------------- requesters

    /// @notice Post a job and escrow `reward * redundancy`.
    /// @param specHash sha256 (or keccak) of the job spec the URI points at; providers check it
    /// @param minScore lowest composite score a provider needs to claim
    /// @param leaseSeconds how long a provider has, from its claim, to submit a result
    /// @param deadline every lease must end by then (claims stop at deadline - leaseSeconds)
    /// @param redundancy 1, or 2 for two independent leases by different providers
    function postJob(
        bytes32 specHash,
        string calldata specURI,
        uint128 reward,
        uint64 minScore,
        uint32 leaseSeconds,
        uint40 deadline,
        uint8 redundancy
    ) external whenNotPaused nonReentrant returns (uint256 jobId) {
        if (specHash == bytes32(0) || bytes(specURI).length == 0 || bytes(specURI).length > MAX_URI_LENGTH) {
            revert InvalidSpec();
        }
        if (redundancy != 1 && redundancy != 2) revert InvalidRedundancy(redundancy);
        if (reward == 0) revert ZeroAmount();
        if (leaseSeconds < MIN_LEASE_SECONDS || leaseSeconds > MAX_LEASE_SECONDS) {
            revert InvalidLeaseLength(leaseSeconds);
        }
        if (deadline < block.timestamp + leaseSeconds || deadline > block.timestamp + MAX_JOB_LIFETIME) {
            revert InvalidDeadline(deadline);
        }

        jobId = ++jobCount;
        uint16 fee = feeBps;
        _jobs[jobId] = Job({
            requester: msg.sender,
            deadline: deadline,
            leaseSeconds: leaseSeconds,
            feeBps: fee,
            redundancy: redundancy,
            reward: reward,
            minScore: minScore,
            specHash: specHash
        });
        _pull(msg.sender, uint256(reward) * redundancy);
        emit JobPosted(
            jobId,
            msg.sender,
            specHash,
            specURI,
            reward,
            collateralFor(reward),
            minScore,
            leaseSeconds,
            deadline,
            redundancy,
            fee
        );
    }

    /// @notice Take back the reward of every lease nobody has claimed. Works while paused and
    /// after the deadline; leases already claimed run their course.
    function cancelJob(uint256 jobId) external {
        Job storage job = _job(jobId);
        if (job.requester != msg.sender) revert NotRequester(jobId, msg.sender);
        Lease[2] storage leases = _leases[jobId];
        uint8 cancelled;
        for (uint8 slot; slot < job.redundancy; ++slot) {
            if (leases[slot].state == LeaseState.Open) {
                leases[slot].state = LeaseState.Cancelled;
                ++cancelled;
            }
        }
        if (cancelled == 0) revert NothingToCancel(jobId);
        uint256 refund = uint256(job.reward) * cancelled;
        emit JobCancelled(jobId, msg.sender, cancelled, refund);
        _credit(msg.sender, jobId, 0, Credit.Refund, refund);
    }

    /// @notice Accept a submitted result now instead of waiting for the challenge window.
    function acceptResult(uint256 jobId, uint8 slot) external {
        (Job storage job, Lease storage lease) = _lease(jobId, slot);
        if (job.requester != msg.sender) revert NotRequester(jobId, msg.sender);
        _expectState(jobId, slot, lease, LeaseState.Submitted);
        emit ResultAccepted(jobId, slot, msg.sender);
        _settle(jobId, slot, job, lease, LeaseState.Paid);
    }

    /// @notice Challenge a submitted result before its window closes; the arbiter decides.
    function disputeResult(uint256 jobId, uint8 slot, string calldata reasonURI) external {
        (Job storage job, Lease storage lease) = _lease(jobId, slot);
        if (job.requester != msg.sender) revert NotRequester(jobId, msg.sender);
        _expectState(jobId, slot, lease, LeaseState.Submitted);
        if (block.timestamp >= lease.challengeEndsAt) revert ChallengeWindowClosed(lease.challengeEndsAt);
        if (bytes(reasonURI).length > MAX_URI_LENGTH) revert InvalidReason();
        lease.state = LeaseState.Disputed;
        emit ResultDisputed(jobId, slot, msg.sender, reasonURI);
    }

    // ---------------------------------------------------------------- leases

    /// @notice Take the first open lease of a job, locking `collateralFor(reward)` of the stake.
    /// @return slot the lease index (0, or 1 on a redundant job)
    function claimJob(uint256 jobId) external whenNotPaused returns (uint8 slot) {
        Job storage job = _job(jobId);
        Provider storage p = _registered(msg.sender);
        uint40 leaseEndsAt = uint40(block.timestamp + job.leaseSeconds);
        if (leaseEndsAt > job.deadline) revert ClaimWindowClosed(jobId, job.deadline);
        if (p.score < job.minScore) revert ScoreTooLow(p.score, job.minScore);

        Lease[2] storage leases = _leases[jobId];
        uint8 redundancy = job.redundancy;
        slot = type(uint8).max;
        for (uint8 i; i < redundancy; ++i) {
            Lease storage l = leases[i];
            if (l.provider == msg.sender) revert AlreadyLeased(jobId, msg.sender);
            if (slot == type(uint8).max && l.state == LeaseState.Open) slot = i;
        }
        if (slot == type(uint8).max) revert NoOpenLease(jobId);

        uint128 collateral = collateralFor(job.reward);
        uint128 free = p.stake - p.locked;
        if (collateral > free) revert InsufficientStake(free, collateral);
        p.locked += collateral;

        Lease storage lease = leases[slot];
        lease.provider = msg.sender;
        lease.state = LeaseState.Claimed;
        lease.leaseEndsAt = leaseEndsAt;
        emit LeaseClaimed(jobId, slot, msg.sender, leaseEndsAt, collateral);
    }

    /// @notice Hand in a result for a lease the caller holds, before the lease ends.
    function submitResult(uint256 jobId, uint8 slot, bytes32 resultHash, string calldata resultURI) external {
        (, Lease storage lease) = _lease(jobId, slot);
        _expectState(jobId, slot, lease, LeaseState.Claimed);
        if (lease.provider != msg.sender) revert NotLeaseHolder(jobId, slot, msg.sender);
        if (block.timestamp >= lease.leaseEndsAt) revert LeaseOver(lease.leaseEndsAt);
        if (resultHash == bytes32(0) || bytes(resultURI).length == 0 || bytes(resultURI).length > MAX_URI_LENGTH) {
            revert InvalidResult();
        }
        uint40 challengeEndsAt = uint40(block.timestamp + challengeWindow);
        lease.state = LeaseState.Submitted;
        lease.challengeEndsAt = challengeEndsAt;
        lease.resultHash = resultHash;
        emit ResultSubmitted(jobId, slot, msg.sender, resultHash, resultURI, challengeEndsAt);
    }

    /// @notice Pay out a result nobody challenged in time. Anyone may call it.
    function finalizeResult(uint256 jobId, uint8 slot) external {
        (Job storage job, Lease storage lease) = _lease(jobId, slot);
        _expectState(jobId, slot, lease, LeaseState.Submitted);
        if (block.timestamp < lease.challengeEndsAt) revert ChallengeWindowOpen(lease.challengeEndsAt);
        _settle(jobId, slot, job, lease, LeaseState.Paid);
    }

    /// @notice Reopen a lease whose holder missed its end, slashing the collateral to the
    /// requester. Anyone may call it.
    function expireLease(uint256 jobId, uint8 slot) external {
        (Job storage job, Lease storage lease) = _lease(jobId, slot);
        _expectState(jobId, slot, lease, LeaseState.Claimed);
        if (block.timestamp < lease.leaseEndsAt) revert LeaseActive(lease.leaseEndsAt);
        address provider = lease.provider;
        uint128 collateral = collateralFor(job.reward);
        Provider storage p = _providers[provider];
        p.stake -= collateral;
        p.locked -= collateral;
        lease.provider = address(0);
        lease.state = LeaseState.Open;
        lease.leaseEndsAt = 0;
        emit LeaseExpired(jobId, slot, provider, collateral);
        if (collateral != 0) _credit(job.requester, jobId, slot, Credit.Slash, collateral);
    }

    // ---------------------------------------------------------------- disputes

    /// @notice Decide a dispute: the provider is paid, or the requester gets the reward back and
    /// the collateral. The arbiter cannot be a party to the lease.
    function resolveDispute(uint256 jobId, uint8 slot, bool providerWins) external onlyRole(ARBITER_ROLE) {
        (Job storage job, Lease storage lease) = _lease(jobId, slot);
        _expectState(jobId, slot, lease, LeaseState.Disputed);
        if (msg.sender == job.requester || msg.sender == lease.provider) revert ArbiterIsParty(msg.sender);
        emit DisputeResolved(jobId, slot, msg.sender, providerWins);
        _settle(jobId, slot, job, lease, providerWins ? LeaseState.Paid : LeaseState.Rejected);
    }

    /// @notice Close a dispute the arbiter left undecided for `arbitrationTimeout` after the
    /// challenge window: the requester gets the reward back, the provider keeps its collateral.
    function voidStaleDispute(uint256 jobId, uint8 slot) external {
        (Job storage job, Lease storage lease) = _lease(jobId, slot);
        _expectState(jobId, slot, lease, LeaseState.Disputed);
        uint40 voidableAt = lease.challengeEndsAt + arbitrationTimeout;
        if (block.timestamp < voidableAt) revert ArbitrationPending(voidableAt);
        _settle(jobId, slot, job, lease, LeaseState.Voided);
    }

    // ---------------------------------------------------------------- money out

    /// @notice Send `amount` of the caller's withdrawable balance to the caller.
    function withdraw(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 available = withdrawable[msg.sender];
        if (amount > available) revert InsufficientBalance(available, amount);
        withdrawable[msg.sender] = available - amount;
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    // ---------------------------------------------------------------- admin

    /// @notice Fee for jobs posted from now on. Jobs already posted keep theirs.
    function setFee(uint16 feeBps_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (feeBps_ > MAX_FEE_BPS) revert FeeTooHigh(feeBps_, MAX_FEE_BPS);
        feeBps = feeBps_;
        emit FeeChanged(feeBps_);
    }

    /// @notice Where fees of leases settled from now on are credited. Fees already credited stay.
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (treasury_ == address(0)) revert ZeroAddress();
        treasury = treasury_;
        emit TreasuryChanged(treasury_);
    }

    /// @notice Stop new business (registering, staking, posting, claiming). Everything that
    /// finishes work or moves money out keeps working.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // ---------------------------------------------------------------- views

    function getJob(uint256 jobId) external view returns (Job memory) {
        return _job(jobId);
    }

    function getLease(uint256 jobId, uint8 slot) external view returns (Lease memory) {
        (, Lease storage lease) = _lease(jobId, slot);
        return lease;
    }

    function getProvider(address provider) external view returns (Provider memory) {
        return _providers[provider];
    }

    /// @notice Stake a provider could lock for a new lease or unstake.
    function freeStake(address provider) external view returns (uint128) {
        Provider storage p = _providers[provider];
        return p.stake - p.locked;
    }

    /// @notice Collateral a lease with this reward locks.
    function collateralFor(uint128 reward) public view returns (uint128) {
        uint256 collateral = uint256(reward) * collateralBps / BPS;
        if (collateral > type(uint128).max) revert AmountTooLarge(collateral);
        return uint128(collateral);
    }

    // ---------------------------------------------------------------- internals

    function _job(uint256 jobId) private view returns (Job storage job) {
        job = _jobs[jobId];
        if (job.requester == address(0)) revert UnknownJob(jobId);
    }

    function _lease(uint256 jobId, uint8 slot) private view returns (Job storage job, Lease storage lease) {
        job = _job(jobId);
        if (slot >= job.redundancy) revert UnknownLease(jobId, slot);
        lease = _leases[jobId][slot];
    }

    function _registered(address provider) private view returns (Provider storage p) {
        p = _providers[provider];
        if (p.registeredAt == 0) revert NotRegistered(provider);
    }

    function _expectState(uint256 jobId, uint8 slot, Lease storage lease, LeaseState expected) private view {
        LeaseState state = lease.state;
        if (state != expected) revert WrongLeaseState(jobId, slot, state);
    }

    /// Close a lease: `Paid` pays the provider (minus the job's fee), `Rejected` refunds the
    /// requester and slashes the collateral to it, `Voided` refunds the requester and frees the collateral.
    function _settle(uint256 jobId, uint8 slot, Job storage job, Lease storage lease, LeaseState outcome) private {
        address provider = lease.provider;
        uint128 reward = job.reward;
        uint128 collateral = collateralFor(reward);
        Provider storage p = _providers[provider];
        p.locked -= collateral;
        lease.state = outcome;

        if (outcome == LeaseState.Paid) {
            uint128 fee = uint128(uint256(reward) * job.feeBps / BPS);
            uint128 payout = reward - fee;
            emit LeaseSettled(jobId, slot, provider, outcome, payout, fee, 0, 0);
            _credit(provider, jobId, slot, Credit.Payout, payout);
            if (fee != 0) _credit(treasury, jobId, slot, Credit.Fee, fee);
        } else if (outcome == LeaseState.Rejected) {
            p.stake -= collateral;
            emit LeaseSettled(jobId, slot, provider, outcome, 0, 0, reward, collateral);
            _credit(job.requester, jobId, slot, Credit.Refund, reward);
            if (collateral != 0) _credit(job.requester, jobId, slot, Credit.Slash, collateral);
        } else {
            emit LeaseSettled(jobId, slot, provider, outcome, 0, 0, reward, 0);
            _credit(job.requester, jobId, slot, Credit.Refund, reward);
        }
    }

    function _credit(address account, uint256 jobId, uint8 slot, Credit reason, uint256 amount) private {
        if (amount == 0) return;
        withdrawable[account] += amount;
        emit Credited(account, jobId, slot, reason, amount);
    }

    /// Stake sums stay below 2**128 for any real token; a token that could exceed it gets a named error, not a panic.
    function _add(uint128 a, uint128 b) private pure returns (uint128) {
        uint256 sum = uint256(a) + b;
        if (sum > type(uint128).max) revert AmountTooLarge(sum);
        return uint128(sum);
    }

    /// Pull a deposit and check the full amount arrived, so the books always match the balance.
    function _pull(address from, uint256 amount) private {
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(from, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert UnsupportedToken(amount, received);
    }
}
