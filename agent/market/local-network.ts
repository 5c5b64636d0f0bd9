import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { NetworkDeployment } from '../../contracts/devnet.ts';
import { writeFileAtomic } from '../store/atomic-file.ts';

/** `<data dir>/networks/local.json`: the running local devnet, for the agent and requester tools. */
export function localNetworkFile(dataDir: string): string {
  return join(dataDir, 'networks', 'local.json');
}

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
export const networkDeploymentSchema = z.object({
  name: z.string(),
  chainId: z.number().int().positive(),
  rpcUrl: z.url(),
  deployBlock: z.number().int().nonnegative(),
  contracts: z.object({
    JobMarket: z.object({ address, abi: z.array(z.unknown()) }),
    RoostTestToken: z.object({ address, abi: z.array(z.unknown()) }),
  }),
  market: z.record(z.string(), z.unknown()),
  accounts: z.object({ admin: address, arbiter: address, treasury: address }),
});

export async function writeLocalNetwork(
  dataDir: string,
  deployment: NetworkDeployment,
): Promise<string> {
  const file = localNetworkFile(dataDir);
  const json = JSON.stringify(
    deployment,
    (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
    2,
  );
  await writeFileAtomic(file, json + '\n', 0o644);
  return file;
}

/** The recorded local network, or undefined when there is none or the file is not one. */
export async function readLocalNetwork(
  dataDir: string,
): Promise<z.infer<typeof networkDeploymentSchema> | undefined> {
  try {
    const parsed = networkDeploymentSchema.safeParse(
      JSON.parse(await readFile(localNetworkFile(dataDir), 'utf8')),
    );
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export async function removeLocalNetwork(dataDir: string): Promise<void> {
  await rm(localNetworkFile(dataDir), { force: true });
}
