/** `roost version` and `roost status`: which Roost this is, and the state of its agent. */
import { holderWords } from '../store/instance-lock.ts';
import {
  findRoost,
  noArguments,
  withClient,
  withFoundClient,
  print,
  type Command,
} from './common.ts';

export const versionCommand: Command = {
  usage: 'roost version [--json]',
  summary: 'Print the versions of Roost, its API, Node and the platform',
  async run(ctx) {
    noArguments(ctx, versionCommand.usage);
    return withClient(ctx, async (client) => {
      const result = await client.call('agent.version');
      return print(ctx, result, (v) =>
        [
          `Roost ${v.roost}`,
          `API contract ${v.contract}`,
          `Node ${v.node}`,
          `${v.platform} ${v.arch}`,
        ].join('\n'),
      );
    });
  },
};

export const statusCommand: Command = {
  usage: 'roost status [--json]',
  summary: "Show the agent's state, data folder and warnings",
  async run(ctx) {
    noArguments(ctx, statusCommand.usage);
    // Looked up once and handed on: withClient would read serve.json (and the rest) again.
    const found = await findRoost(ctx.dataDir);
    // A desktop app that does not answer commands (starting, or its channel failed): say that
    // it runs, rather than refuse.
    const holder = found.kind === 'held' ? found.holder : undefined;
    if (holder?.host === 'electron') {
      const value = {
        state: 'running',
        host: holder.host,
        pid: holder.pid,
        startedAt: holder.startedAt,
        dataDir: ctx.dataDir,
      };
      return print(ctx, { ok: true, value }, () =>
        [
          `Roost is running: ${holderWords(holder)}, since ${new Date(holder.startedAt).toLocaleString()}. Its window shows its state and warnings.`,
          `Data folder: ${ctx.dataDir}`,
        ].join('\n'),
      );
    }
    return withFoundClient(ctx, found, async (client) => {
      const result = await client.call('agent.status');
      return print(ctx, result, (s) => {
        // With no Roost running, this command started an agent of its own to answer: say so,
        // not "Roost is running" about an agent that stops with the command.
        const lines = [
          client.inProcess
            ? 'Roost is not running for this data folder (start it with `npm start`, or `roost serve` on a server); this command read its state itself.'
            : `Roost is ${s.state} (${s.host}, at ${client.via})`,
          `Data folder: ${s.dataDir}`,
        ];
        for (const w of s.warnings) lines.push(`Warning: ${w.message}`);
        return lines.join('\n');
      });
    });
  },
};
