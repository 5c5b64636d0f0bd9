/** `roost devnet`: a local practice chain with the Roost market, for as long as it runs. */
import { removeLocalNetwork, writeLocalNetwork } from '../market/local-network.ts';
import { EXIT_FAILURE, EXIT_OK, noArguments, parsePort, type Command } from './common.ts';

export const devnetCommand: Command = {
  usage: 'roost devnet [--port <n>] [--json]',
  summary: 'Run a local practice chain with the Roost market and test dollars, on 127.0.0.1',
  options: { port: { type: 'string' } },
  async run(ctx) {
    noArguments(ctx, devnetCommand.usage);
    const port = parsePort(ctx.values.port);
    const { startDevnet, devnetDeployment } = await import('../../contracts/devnet.ts');
    if (!ctx.json) ctx.io.stderr('Starting a local chain and deploying the market…\n');
    let devnet;
    try {
      devnet = await startDevnet({ ...(port === undefined ? {} : { port }) });
    } catch (error) {
      ctx.io.stderr(`Error: ${devnetStartProblem((error as Error).message, port)}\n`);
      return EXIT_FAILURE;
    }
    const file = await writeLocalNetwork(ctx.dataDir, devnetDeployment(devnet));
    if (ctx.json) {
      ctx.io.stdout(
        JSON.stringify({
          rpcUrl: devnet.rpcUrl,
          chainId: devnet.chainId,
          marketAddress: devnet.marketAddress,
          tokenAddress: devnet.tokenAddress,
          accounts: devnet.accounts,
          deployment: file,
        }) + '\n',
      );
    } else {
      ctx.io.stdout(
        [
          'The local Roost market is running.',
          '',
          `  RPC URL:      ${devnet.rpcUrl}   (chain id ${devnet.chainId})`,
          `  JobMarket:    ${devnet.marketAddress}`,
          `  Test dollar:  ${devnet.tokenAddress}   (Roost Test Dollar, rUSD: a test token with a faucet)`,
          `  Accounts:     ${devnet.accounts.length} unlocked test accounts holding test dollars; ${devnet.admin} is the admin`,
          `  Deployment:   ${file}`,
          '',
          'This chain lives in memory: stopping it (Ctrl+C) forgets every job and payment on it.',
          '',
        ].join('\n'),
      );
    }
    const reason = ctx.io.untilStopped ? await ctx.io.untilStopped() : 'done';
    if (!ctx.json) ctx.io.stderr(`${reason} received: stopping the local chain…\n`);
    await devnet.stop();
    await removeLocalNetwork(ctx.dataDir);
    if (!ctx.json) ctx.io.stdout('Local chain stopped.\n');
    return EXIT_OK;
  },
};

/**
 * Why the chain did not start, in a line or two: its node's output (a stack trace, Node's version)
 * is for a developer, but a port in use is the common case and has a fix.
 */
export function devnetStartProblem(message: string, port: number | undefined): string {
  if (/EADDRINUSE/.test(message))
    return `The local chain did not start: port ${port ?? 'its port'} on 127.0.0.1 is taken by another program. Choose another with --port <n>, or leave --port out for a free one.`;
  const lines = message.split('\n').map((line) => line.trim());
  const cause = lines.slice(1).find((line) => /^\w*Error\b/.test(line));
  return `The local chain did not start: ${lines[0] ?? ''}${cause ? ` ${cause}` : ''}`;
}
