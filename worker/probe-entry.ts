/**
 * Accelerator probe child. The agent runs one of these per execution provider so that a native
 * crash in a GPU driver or provider library kills only this process:
 *
 *   node worker/probe-entry.ts list              -> the providers this onnxruntime-node offers
 *   node worker/probe-entry.ts probe <ep> [dev]  -> create a session on the probe model with <ep>
 *                                                   (device index <dev>), run it once, check the
 *                                                   answer and which provider ran the node
 *
 * Results are single stdout lines `@@roost-probe {json}`; the agent parses them as untrusted
 * input. Everything else on stdout/stderr (onnxruntime's and the driver's own logs) is kept by
 * the agent for its diagnosis.
 */
import type * as OrtModule from 'onnxruntime-node';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  expectedProduct,
  PROBE_A,
  PROBE_A_SHAPE,
  PROBE_B,
  PROBE_B_SHAPE,
  probeModelBytes,
} from './probe-model.ts';

export const PROBE_LINE_PREFIX = '@@roost-probe ';

type Ort = typeof OrtModule;

function emit(message: Record<string, unknown>): Promise<void> {
  return new Promise((resolve) => {
    process.stdout.write(`${PROBE_LINE_PREFIX}${JSON.stringify(message)}\n`, () => resolve());
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Its own load, not the `loadOrt` of worker/ort.ts: the probe keeps onnxruntime's warnings (the
 * agent keeps this process's output for its diagnosis), and runs float32 models only, so it
 * needs no float16 workaround.
 */
async function loadOrt(): Promise<Ort> {
  const mod = (await import('onnxruntime-node')) as Ort & { default?: Ort };
  return mod.default ?? mod;
}

function ortPackageDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('onnxruntime-node/package.json'));
}

async function list(): Promise<void> {
  let ort: Ort;
  try {
    ort = await loadOrt();
  } catch (error) {
    await emit({ type: 'error', stage: 'load', error: errorText(error) });
    return;
  }
  const packageDir = ortPackageDir();
  const version = (
    JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version?: string }
  ).version;
  const binDir = join(packageDir, 'bin', 'napi-v6', process.platform, process.arch);
  let providerFiles: { name: string; size: number; mtimeMs: number }[] = [];
  try {
    providerFiles = readdirSync(binDir)
      .filter((name) => /providers|onnxruntime|DirectML/i.test(name))
      .sort()
      .map((name) => {
        const info = statSync(join(binDir, name));
        return { name, size: info.size, mtimeMs: Math.round(info.mtimeMs) };
      });
  } catch {
    // No bin folder for this platform: the list says so by being empty.
  }
  await emit({
    type: 'backends',
    onnxruntimeVersion: version ?? 'unknown',
    backends: ort.listSupportedBackends(),
    binDir,
    providerFiles,
  });
}

function providerOption(ep: string, device: number | undefined): string | Record<string, unknown> {
  if (device === undefined) return ep;
  return { name: ep, deviceId: device };
}

async function probe(ep: string, device: number | undefined): Promise<void> {
  let ort: Ort;
  try {
    ort = await loadOrt();
    ort.env.logLevel = 'error';
  } catch (error) {
    await emit({ type: 'probe', ep, ok: false, stage: 'load', error: errorText(error) });
    return;
  }
  const profileDir = mkdtempSync(join(tmpdir(), 'roost-probe-'));
  try {
    const t0 = performance.now();
    let session: Awaited<ReturnType<Ort['InferenceSession']['create']>>;
    try {
      session = await ort.InferenceSession.create(probeModelBytes(), {
        executionProviders: [providerOption(ep, device) as never],
        logSeverityLevel: 3,
        enableProfiling: true,
        profileFilePrefix: join(profileDir, 'probe'),
      });
    } catch (error) {
      await emit({ type: 'probe', ep, ok: false, stage: 'session', error: errorText(error) });
      return;
    }
    const t1 = performance.now();
    let output: number[];
    try {
      const result = await session.run({
        a: new ort.Tensor('float32', PROBE_A, [...PROBE_A_SHAPE]),
        b: new ort.Tensor('float32', PROBE_B, [...PROBE_B_SHAPE]),
      });
      output = Array.from(result.c?.data as Float32Array);
    } catch (error) {
      await emit({ type: 'probe', ep, ok: false, stage: 'run', error: errorText(error) });
      return;
    }
    const t2 = performance.now();
    session.endProfiling();
    await session.release();
    const expected = expectedProduct();
    const maxError = expected.reduce((m, v, i) => Math.max(m, Math.abs(v - (output[i] ?? NaN))), 0);
    await emit({
      type: 'probe',
      ep,
      ok: true,
      sessionMs: t1 - t0,
      runMs: t2 - t1,
      providers: providersFromProfile(profileDir),
      output,
      expected,
      maxError: Number.isFinite(maxError) ? maxError : null,
    });
  } finally {
    rmSync(profileDir, { recursive: true, force: true });
  }
}

/** The execution providers the profiler saw running graph nodes. */
function providersFromProfile(dir: string): string[] {
  const seen = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    try {
      const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown;
      if (!Array.isArray(events)) continue;
      for (const event of events as { cat?: string; args?: { provider?: string } }[]) {
        if (event.cat === 'Node' && typeof event.args?.provider === 'string')
          seen.add(event.args.provider);
      }
    } catch {
      // An unreadable profile only means we cannot say which provider ran the node.
    }
  }
  return [...seen].sort();
}

const [command, ep, deviceArg] = process.argv.slice(2);
const device = deviceArg === undefined ? undefined : Number(deviceArg);
if (command === 'list') {
  await list();
} else if (
  command === 'probe' &&
  ep &&
  /^[a-z]+$/.test(ep) &&
  (device === undefined || Number.isInteger(device))
) {
  await probe(ep, device);
} else {
  await emit({
    type: 'error',
    stage: 'usage',
    error: 'usage: probe-entry.ts list | probe <ep> [device]',
  });
}
// A GPU runtime may leave threads behind; the answer is out, so leave now.
process.exit(0);
