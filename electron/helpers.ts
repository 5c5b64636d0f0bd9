/**
 * Which runtime starts the agent's children — the job worker, the accelerator probe, the
 * systeminformation child and the benchmark — in the desktop app, and with which entry files.
 *
 * - Run from a checkout (`npm start`, not packaged): the project's Node 24
 *   (node_modules/node/bin/node) runs the TypeScript sources, exactly as under `roost serve`.
 *   The job worker gets every layer: scrubbed environment, Node's permission model, and on
 *   Linux bubblewrap wherever `bwrap` can create its namespaces.
 * - Installed (packaged): Electron's utilityProcess runs the built JavaScript in dist/worker/.
 *   The packaged binary has the RunAsNode fuse off, so it cannot run as plain Node, and the
 *   package ships no other Node. utilityProcess drops Node flags, so the job worker has the
 *   scrubbed environment, one process per job, the time/memory/cancel kills and the model
 *   checks, but neither the permission model nor bubblewrap (README, "Sandbox layers").
 *
 * The built-in test market's node (contracts/devnet-node.mjs, Hardhat's `node` task) follows the
 * same split: the project's Node from a checkout, a utility process when installed. It is plain
 * JavaScript, not built into dist/worker: it imports Hardhat from node_modules, which the
 * packaged app keeps outside the asar with it (electron-builder.yml says why), so the installed
 * app starts it from app.asar.unpacked.
 */
import { basename, dirname, join } from 'node:path';
import type { Spawner } from '../agent/hardware/run-tool.ts';
import { builtEntryFor, type HelperEntries } from './utility-helpers.ts';

export const HELPER_NAMES = ['entry', 'probe-entry', 'bench-entry', 'si-graphics-child'] as const;

export interface HelperPlanInput {
  isPackaged: boolean;
  /** The repository in development; `app.getAppPath()` (…/app.asar) when packaged. */
  appRoot: string;
  /** A plain Node 24 binary to run helpers with, when there is one (development only). */
  nodeBinary: string | null;
}

export type HelperPlan =
  | {
      kind: 'node';
      nodePath: string;
      entries: HelperEntries;
      workerEntry: string;
      probeEntry: string;
      benchEntry: string;
      /** The devnet's node entry (contracts/devnet-node.mjs). */
      devnetEntry: string;
      summary: string;
    }
  | {
      kind: 'utility';
      entries: HelperEntries;
      /** The devnet's node entry; outside the asar when installed. */
      devnetEntry: string;
      /** Why job workers have no OS sandbox, for the job's sandbox notes. */
      why: string;
      summary: string;
    };

/** The built helpers of an app root: dist/worker/<name>.js. */
export function builtHelperEntries(appRoot: string): HelperEntries {
  return Object.fromEntries(
    HELPER_NAMES.map((n) => [n, join(appRoot, 'dist', 'worker', `${n}.js`)]),
  );
}

/** The helpers' sources in a checkout, by the same names. */
export function sourceHelperEntries(appRoot: string): HelperEntries {
  return {
    entry: join(appRoot, 'worker', 'entry.ts'),
    'probe-entry': join(appRoot, 'worker', 'probe-entry.ts'),
    'bench-entry': join(appRoot, 'worker', 'bench-entry.ts'),
    'si-graphics-child': join(appRoot, 'agent', 'hardware', 'si-graphics-child.ts'),
  };
}

/**
 * hardware/'s spawner for a checkout: a helper script asked for by name runs from its source.
 * The bundled main.js computes the systeminformation child's path beside itself
 * (dist/electron/si-graphics-child.ts), where no such file is; this points it at the source.
 */
export function sourceHelperSpawner(
  spawner: Spawner,
  nodeCommand: string,
  entries: HelperEntries,
): Spawner {
  return (command, args, options) => {
    const [script, ...rest] = args;
    const source = command === nodeCommand && script ? builtEntryFor(script, entries) : undefined;
    return spawner(command, source ? [source, ...rest] : args, options);
  };
}

/** Where electron-builder puts a file that asarUnpack keeps out of `…/app.asar`. */
export function unpackedPath(appRoot: string): string {
  return basename(appRoot) === 'app.asar' ? join(dirname(appRoot), 'app.asar.unpacked') : appRoot;
}

/** The built-in devnet's node entry under an app root (unpacked when that is an asar). */
export function devnetEntryOf(appRoot: string): string {
  return join(unpackedPath(appRoot), 'contracts', 'devnet-node.mjs');
}

export function planHelpers(input: HelperPlanInput): HelperPlan {
  if (!input.isPackaged && input.nodeBinary) {
    const sources = sourceHelperEntries(input.appRoot);
    return {
      kind: 'node',
      nodePath: input.nodeBinary,
      entries: sources,
      workerEntry: sources.entry as string,
      probeEntry: sources['probe-entry'] as string,
      benchEntry: sources['bench-entry'] as string,
      devnetEntry: devnetEntryOf(input.appRoot),
      summary:
        "helpers run on the project's Node 24 from the sources; job workers get the permission model and, on Linux, bubblewrap where it works",
    };
  }
  const why = input.isPackaged
    ? 'no OS sandbox in the installed app: its helpers run in Electron utility processes'
    : 'no OS sandbox: there is no Node 24 in node_modules/node, so the helpers run in Electron utility processes';
  return {
    kind: 'utility',
    entries: builtHelperEntries(input.appRoot),
    devnetEntry: devnetEntryOf(input.appRoot),
    why,
    summary: `helpers run in Electron utility processes from dist/worker (${input.isPackaged ? 'installed app' : 'no project Node 24'}); job workers have a scrubbed environment but no permission model or bubblewrap`,
  };
}
