// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title Roost test dollar
/// @notice A stablecoin stand-in for local devnets and tests: six decimals like USDC, and a
/// faucet anyone can call. It has no value and must never be deployed where value is expected.
contract RoostTestToken is ERC20 {
    /// @notice Most a single faucet call hands out: 100,000 tokens.
    uint256 public constant FAUCET_LIMIT = 100_000 * 10 ** 6;

    error FaucetLimitExceeded(uint256 requested, uint256 limit);

    event FaucetDrip(address indexed to, uint256 amount);

    constructor() ERC20("Roost Test Dollar", "rUSD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mint up to `FAUCET_LIMIT` to the caller.
    function faucet(uint256 amount) external {
        _drip(msg.sender, amount);
    }

    /// @notice Mint up to `FAUCET_LIMIT` to `to` (devnet scripts fund test accounts this way).
    function faucetTo(address to, uint256 amount) external {
        _drip(to, amount);
    }

    function _drip(address to, uint256 amount) private {
        if (amount > FAUCET_LIMIT) revert FaucetLimitExceeded(amount, FAUCET_LIMIT);
        _mint(to, amount);
        emit FaucetDrip(to, amount);
    }
}
