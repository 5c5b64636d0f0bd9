/** `roost api <method> [params]`: any API method, straight through, for scripts. */
import { isMethodName, methods } from '../api/contract.ts';
import { EXIT_OK, UsageError, withClient, print, type Command } from './common.ts';

export const apiCommand: Command = {
  usage: "roost api <method> ['<json params>'] [--json]\n       roost api --list",
  summary: 'Call any API method directly (for scripts); --list shows them',
  options: { list: { type: 'boolean' } },
  async run(ctx) {
    if (ctx.values.list) {
      if (ctx.json) ctx.io.stdout(JSON.stringify(Object.keys(methods)) + '\n');
      else {
        const width = Math.max(...Object.keys(methods).map((name) => name.length));
        for (const [name, spec] of Object.entries(methods))
          ctx.io.stdout(`${name.padEnd(width)}  ${spec.summary}\n`);
      }
      return EXIT_OK;
    }
    const [method, paramsText, ...rest] = ctx.positionals;
    if (!method || rest.length > 0)
      throw new UsageError(
        `${method ? `Unexpected "${rest.join(' ')}": the params are one JSON argument, in quotes.` : 'Say which method: roost api --list shows them.'}\nUsage: ${apiCommand.usage}`,
      );
    if (!isMethodName(method))
      throw new UsageError(`There is no method "${method}". roost api --list shows the methods.`);
    let params: unknown = {};
    if (paramsText !== undefined) {
      try {
        params = JSON.parse(paramsText);
      } catch (error) {
        throw new UsageError(
          `The params must be JSON, e.g. '{"work":{"idleMinutes":15}}' (${(error as Error).message}).`,
        );
      }
    }
    return withClient(ctx, async (client) => {
      const result = await client.callRaw(method, params);
      return print(ctx, result, (v) => JSON.stringify(v, null, 2));
    });
  },
};
