// ESLint flat config. The layer zones follow the import column of ../shared/DESIGN.md:
// each folder may import only what its row allows, so a wrong import fails the lint.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const electronOnly = {
  group: ['electron', 'electron/*', 'electron-store', 'electron-updater'],
  message:
    'Only electron/ may import Electron: the agent must run in plain Node (roost serve, tests).',
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'out/',
      'release/',
      'test-results/',
      'artifacts/',
      'cache/',
      'types/',
      'coverage/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
      // This folder's tsconfig files, whatever else lies around (a bench's copy of the tree).
      parserOptions: { tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
    },
  },
  // agent/: node and npm packages, worker/protocol and worker/npy; never Electron, the renderer or the worker's runtime.
  {
    files: ['agent/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            electronOnly,
            { group: ['**/renderer/**'], message: 'agent/ must not import the renderer.' },
            {
              group: ['**/electron/**'],
              message:
                'agent/ must not import electron/: the shell depends on the agent, not the reverse.',
            },
            {
              regex: '(^|/)worker/(?!(([a-z]+-)?protocol|npy)(\\.ts)?$)',
              message:
                'agent/ may import only the worker protocols (worker/protocol.ts, worker/<name>-protocol.ts) and the pure .npy codec (worker/npy.ts): inference runs in worker processes.',
            },
            {
              group: ['onnxruntime-node'],
              message: 'No inference in the agent process: it runs in worker/.',
            },
          ],
        },
      ],
    },
  },
  // The contract is pure: zod and the zod-only schema.ts files of the agent's parts, so every
  // side (renderer included) can import it.
  {
    files: ['agent/api/contract.ts', 'agent/**/schema.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!zod$|(\\.\\.?/)+([a-z-]+/)*schema\\.ts$).*',
              message:
                'The contract and schema.ts files may import only zod and other schema.ts files.',
            },
          ],
        },
      ],
    },
  },
  // worker/: onnxruntime-node and node; nothing of the agent, the shell or the UI.
  {
    files: ['worker/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            electronOnly,
            {
              group: ['**/agent/**', '**/renderer/**', '**/electron/**'],
              message: 'worker/ runs untrusted jobs and imports nothing of the agent, shell or UI.',
            },
          ],
        },
      ],
    },
  },
  // electron/: the agent and Electron; raw ipcMain/ipcRenderer only in the typed bridge modules.
  {
    files: ['electron/**/*.ts'],
    ignores: ['electron/ipc.ts', 'electron/preload.ts', 'electron/main.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              importNames: ['ipcMain', 'ipcRenderer'],
              message: 'Use the typed bridge in electron/ipc.ts and electron/preload.ts.',
            },
          ],
          patterns: [
            {
              group: ['**/renderer/**'],
              message: 'electron/ loads the renderer build, it does not import it.',
            },
          ],
        },
      ],
    },
  },
  // renderer/: the browser; only the contract from the rest of the tree.
  {
    files: ['renderer/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': rendererImports(false),
    },
  },
  // Its tests may also share the agent's test fixtures of what the API returns (agent/<part>/testing/).
  {
    files: ['renderer/src/**/*.test.{ts,tsx}'],
    rules: { 'no-restricted-imports': rendererImports(true) },
  },
);

function rendererImports(test) {
  return [
    'error',
    {
      patterns: [
        electronOnly,
        {
          group: ['node:*'],
          message: 'The renderer runs sandboxed in a browser: no Node APIs.',
        },
        {
          regex: test
            ? '(^|/)agent/(?!api/contract(\\.ts)?$|[a-z-]+/testing/[a-z0-9-]+\\.ts$)'
            : '(^|/)agent/(?!api/contract(\\.ts)?$)',
          message: test
            ? "The renderer's tests may import only agent/api/contract.ts and the agent's test fixtures (agent/<part>/testing/)."
            : 'The renderer may import only agent/api/contract.ts; everything else goes through the API.',
        },
        {
          group: ['**/worker/**', '**/electron/**'],
          message: 'The renderer talks to the agent through the API only.',
        },
      ],
    },
  ];
}
