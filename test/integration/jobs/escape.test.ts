/**
 * The escape suite: a hostile payload runs inside the job worker's sandbox (as if onnxruntime
 * had been exploited) and tries to get out. With every layer on (Linux: bwrap + Node's
 * permission model + scrubbed env) every attempt must fail; with one layer alone, the test pins
 * down exactly what that layer holds, so a regression in either shows up here. The host is
 * checked too: nothing written outside, no process started that left a mark, no connection.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJournal } from '../../../agent/jobs/journal.ts';
import { detectBwrap } from '../../../agent/jobs/sandbox.ts';
import { createNodeWorkerSpawner } from '../../../agent/jobs/spawner.ts';
import { runAttempt } from '../../../agent/jobs/supervisor.ts';
import { loadOrCreateLocalSigner } from '../../../agent/wallet/signer.ts';
import type { FromWorker } from '../../../worker/protocol.ts';
import { tempDir } from '../../support/temp-dir.ts';

const ESCAPE_ENTRY = fileURLToPath(new URL('../../fixtures/jobs/escape-entry.ts', import.meta.url));
const SECRET_NAME = 'ROOST_ESCAPE_TEST_SECRET';
const bwrap = detectBwrap();
const linux = process.platform === 'linux';

type Attempts = Extract<FromWorker, { type: 'probe-report' }>['attempts'];

let root: { path: string; remove: () => Promise<void> };
let server: Server;
let connections = 0;
beforeAll(async () => {
  root = await tempDir('roost-escape-');
  process.env[SECRET_NAME] = `hunter2-${randomBytes(4).toString('hex')}`;
  server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  delete process.env[SECRET_NAME];
  await new Promise((resolve) => server.close(resolve));
  await root.remove();
});

async function escapeAttempt(name: string, layers: { bwrap: boolean; permissionModel: boolean }) {
  const base = join(root.path, name);
  const dataDir = join(base, 'data');
  await loadOrCreateLocalSigner(dataDir);
  await mkdir(join(dataDir, 'jobs'), { recursive: true });
  openJournal(join(dataDir, 'jobs', 'jobs.sqlite')).close();
  const jobDir = join(dataDir, 'jobs', 'job-escape');
  for (const d of ['in/sets/0', 'out', 'scratch'])
    await mkdir(join(jobDir, d), { recursive: true });
  const secretFile = join(base, 'secret.txt');
  await writeFile(secretFile, 'the lab notebook');
  const hostTmp = `/tmp/roost-escape-${randomBytes(6).toString('hex')}.txt`;
  const writeOutside = [
    join(base, 'escaped.txt'),
    join(dataDir, 'escaped.txt'),
    join(jobDir, 'escaped.txt'),
    hostTmp,
  ];
  const spawnMarker = join(base, 'spawned.txt');
  await writeFile(
    join(jobDir, 'in', 'escape-targets.json'),
    JSON.stringify({
      homeDir: homedir(),
      secretFile,
      signingKey: join(dataDir, 'signing-key.json'),
      journal: join(dataDir, 'jobs', 'jobs.sqlite'),
      writeOutside,
      spawnMarker,
      tcpPort: (server.address() as AddressInfo).port,
      agentPid: process.pid,
      envSecretName: SECRET_NAME,
    }),
  );
  const before = connections;
  let attempts: Attempts = [];
  const outcome = await runAttempt({
    spawn: createNodeWorkerSpawner({
      bwrap: layers.bwrap ? 'auto' : 'off',
      permissionModel: layers.permissionModel,
    }),
    launch: {
      jobId: 'job-escape',
      inputsDir: join(jobDir, 'in'),
      outDir: join(jobDir, 'out'),
      scratchDir: join(jobDir, 'scratch'),
      entry: ESCAPE_ENTRY,
    },
    plan: {
      jobId: 'job-escape',
      modelPath: join(jobDir, 'in', 'model', 'model.onnx'),
      inputsDir: join(jobDir, 'in', 'sets'),
      outDir: join(jobDir, 'out'),
      inputNames: ['x'],
      outputs: [{ name: 'y', file: 'y.npy' }],
      layout: 'flat',
      setCount: 1,
      startSet: 0,
      executionProviders: ['cpu'],
      maxOutputBytes: 1000,
      outputBytesSoFar: 0,
    },
    timeoutMs: 60_000,
    onMessage: (m) => {
      if (m.type === 'probe-report') attempts = m.attempts;
    },
  });
  const verdict = Object.fromEntries(attempts.map((a) => [a.action, a.denied]));
  const details = attempts
    .map((a) => `${a.denied ? 'denied ' : 'ALLOWED'} ${a.action}: ${a.detail}`)
    .join('\n');
  return {
    outcome,
    verdict,
    details,
    // What the host sees, whatever the payload claims.
    host: {
      wroteOutside: writeOutside.filter((f) => existsSync(f)),
      plantedInInputs: existsSync(join(jobDir, 'in', 'planted.txt')),
      spawnedMarker: existsSync(spawnMarker),
      connections: connections - before,
    },
  };
}

const ACTIONS = [
  'list the home folder',
  'read a secret file outside the job',
  'read the agent signing key',
  'read the job journal',
  'read /etc/shadow',
  'write into the read-only job inputs',
  'start a process',
  'connect to the agent machine over TCP',
  "read the agent's environment variable",
  "read the agent's /proc environ",
  'signal the agent process',
  'run code from a string',
  'look at the other processes',
  'start a worker thread outside the permission model',
];
/**
 * The same from inside a thread started as the worker starts its I/O thread (the sandbox gives
 * `--allow-worker` for it): a thread keeps the process's permissions, and once the worker has
 * dropped the permission to start threads, neither thread can start one outside them.
 */
const THREAD_ACTIONS = [
  'list the home folder',
  'read a secret file outside the job',
  'read the agent signing key',
  'read the job journal',
  'read /etc/shadow',
  'write into the read-only job inputs',
  'start a process',
  'run code from a string',
  'start a worker thread outside the permission model',
].map((a) => `in a worker thread: ${a}`);

describe.skipIf(!linux)('escape suite (Linux)', () => {
  it.skipIf(!bwrap.path)(
    'every attempt fails with all layers on (bwrap + permission model + scrubbed env)',
    async () => {
      const r = await escapeAttempt('all-layers', { bwrap: true, permissionModel: true });
      expect(r.outcome).toMatchObject({
        ok: false,
        error: { message: 'escape attempts finished' },
      });
      for (const action of [...ACTIONS, ...THREAD_ACTIONS])
        expect(r.verdict[action], `${action}\n${r.details}`).toBe(true);
      for (const [action, denied] of Object.entries(r.verdict))
        expect(denied, `${action}\n${r.details}`).toBe(true);
      expect(r.host).toEqual({
        wroteOutside: [],
        plantedInInputs: false,
        spawnedMarker: false,
        connections: 0,
      });
    },
  );

  it("Node's permission model alone holds the filesystem, processes, code and threads, not the network", async () => {
    const r = await escapeAttempt('permission-only', { bwrap: false, permissionModel: true });
    // Every attempt was made and reported, from the worker and from its thread; the writes
    // outside from the thread too.
    for (const action of [...ACTIONS, ...THREAD_ACTIONS])
      expect(r.verdict[action], `${action}\n${r.details}`).toBeDefined();
    expect(
      Object.keys(r.verdict).filter((a) => /^in a worker thread: write \//.test(a)),
      r.details,
    ).toHaveLength(4);
    const allowed = Object.entries(r.verdict)
      .filter(([, denied]) => !denied)
      .map(([a]) => a)
      .sort();
    expect(allowed, r.details).toEqual([
      'connect to the agent machine over TCP',
      'signal the agent process',
    ]);
    expect(r.host).toMatchObject({
      wroteOutside: [],
      plantedInInputs: false,
      spawnedMarker: false,
      connections: 1,
    });
  });

  it.skipIf(!bwrap.path)(
    'bwrap alone (what holds under Electron) hides the machine, the network and the agent',
    async () => {
      const r = await escapeAttempt('bwrap-only', { bwrap: true, permissionModel: false });
      const allowed = Object.entries(r.verdict)
        .filter(([, denied]) => !denied)
        .map(([a]) => a);
      // A process or a thread can start and code can be compiled, but only inside the same
      // walls, from the worker or its thread; writes to /tmp land in the sandbox's own tmpfs,
      // never on the host.
      expect(allowed.sort(), r.details).toEqual(
        expect.arrayContaining(['start a process', 'run code from a string']),
      );
      for (const a of allowed) {
        expect(
          [
            'start a process',
            'run code from a string',
            'start a worker thread outside the permission model',
            expect.stringMatching(/^write \/tmp\//),
          ],
          r.details,
        ).toContainEqual(a.replace(/^in a worker thread: /, ''));
      }
      expect(r.host).toEqual({
        wroteOutside: [],
        plantedInInputs: false,
        spawnedMarker: false,
        connections: 0,
      });
    },
  );
});
