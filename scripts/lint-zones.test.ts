import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';

// The layer zones of DESIGN.md are lint rules; these cases prove each rule bites.
const cwd = fileURLToPath(new URL('..', import.meta.url));
const eslint = new ESLint({ cwd });

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports')
    .map((m) => m.message);
}

describe('layer zones', () => {
  it('keeps Electron out of the agent, and inference out of its process', async () => {
    expect(
      await restricted('agent/x.ts', "import { app } from 'electron';\nexport const a = app;\n"),
    ).toHaveLength(1);
    expect(
      await restricted(
        'agent/x.ts',
        "import * as ort from 'onnxruntime-node';\nexport const o = ort;\n",
      ),
    ).toHaveLength(1);
    expect(
      await restricted(
        'agent/x.ts',
        "import { r } from '../worker/runner.ts';\nexport const a = r;\n",
      ),
    ).toHaveLength(1);
    expect(
      await restricted(
        'agent/x.ts',
        "import { p } from '../worker/protocol.ts';\nexport const a = p;\n",
      ),
    ).toEqual([]);
    expect(
      await restricted(
        'agent/x.ts',
        "import { p } from '../worker/bench-protocol.ts';\nexport const a = p;\n",
      ),
    ).toEqual([]);
    expect(
      await restricted(
        'agent/x.ts',
        "import { encodeNpy } from '../worker/npy.ts';\nexport const a = encodeNpy;\n",
      ),
    ).toEqual([]);
    expect(
      await restricted(
        'agent/x.ts',
        "import { p } from '../worker/bench-entry.ts';\nexport const a = p;\n",
      ),
    ).toHaveLength(1);
  });

  it('lets the renderer import only the contract', async () => {
    expect(
      await restricted(
        'renderer/src/x.ts',
        "import { methods } from '../../agent/api/contract.ts';\nexport const m = methods;\n",
      ),
    ).toEqual([]);
    expect(
      await restricted(
        'renderer/src/x.ts',
        "import { createAgent } from '../../agent/agent.ts';\nexport const m = createAgent;\n",
      ),
    ).toHaveLength(1);
    expect(
      await restricted(
        'renderer/src/x.ts',
        "import { readFile } from 'node:fs';\nexport const m = readFile;\n",
      ),
    ).toHaveLength(1);
  });

  it('lets the contract import zod-only schema files, and keeps those pure', async () => {
    expect(
      await restricted(
        'agent/api/contract.ts',
        "import { z } from 'zod';\nimport { s } from '../hardware/schema.ts';\nexport const a = [z, s];\n",
      ),
    ).toEqual([]);
    expect(
      await restricted(
        'agent/hardware/schema.ts',
        "import { readFile } from 'node:fs';\nexport const a = readFile;\n",
      ),
    ).toHaveLength(1);
  });

  it('keeps the contract pure and the worker isolated', async () => {
    expect(
      await restricted(
        'agent/api/contract.ts',
        "import { z } from 'zod';\nimport { x } from './router.ts';\nexport const a = [z, x];\n",
      ),
    ).toHaveLength(1);
    expect(
      await restricted(
        'worker/x.ts',
        "import { createAgent } from '../agent/agent.ts';\nexport const a = createAgent;\n",
      ),
    ).toHaveLength(1);
  });

  it('keeps raw ipcMain to the typed bridge', async () => {
    expect(
      await restricted(
        'electron/tray.ts',
        "import { ipcMain } from 'electron';\nexport const a = ipcMain;\n",
      ),
    ).toHaveLength(1);
    expect(
      await restricted(
        'electron/tray.ts',
        "import { Tray } from 'electron';\nexport const a = Tray;\n",
      ),
    ).toEqual([]);
  });
});
