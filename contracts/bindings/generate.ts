/**
 * Generates the typed ethers v6 bindings in this folder from the compiled artifacts, so the
 * agent and the devnet use the ABI and bytecode of exactly what the tests ran, without Hardhat
 * or the artifacts folder at run time.
 *
 * Run `npx hardhat build && node contracts/bindings/generate.ts` after changing a contract;
 * contracts/test/bindings.test.ts fails while the committed files differ from a fresh render.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as prettier from 'prettier';

/** One contract to bind: where its artifact is and which file to write. */
export interface BindingTarget {
  contractName: string;
  /** Artifact path, relative to the repository root. */
  artifact: string;
  /** Output file, relative to the repository root. */
  output: string;
}

export const BINDING_TARGETS: readonly BindingTarget[] = [
  {
    contractName: 'JobMarket',
    artifact: 'artifacts/contracts/JobMarket.sol/JobMarket.json',
    output: 'contracts/bindings/job-market.ts',
  },
  {
    contractName: 'RoostTestToken',
    artifact: 'artifacts/contracts/RoostTestToken.sol/RoostTestToken.json',
    output: 'contracts/bindings/roost-test-token.ts',
  },
];

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface AbiParam {
  name: string;
  type: string;
  internalType?: string;
  indexed?: boolean;
  components?: AbiParam[];
}

interface AbiItem {
  type: 'function' | 'event' | 'error' | 'constructor' | 'fallback' | 'receive';
  name?: string;
  inputs?: AbiParam[];
  outputs?: AbiParam[];
  stateMutability?: string;
}

interface Artifact {
  contractName: string;
  sourceName: string;
  abi: AbiItem[];
  bytecode: string;
  buildInfoId: string;
}

interface AstNode {
  nodeType?: string;
  canonicalName?: string;
  members?: { name: string }[];
  [key: string]: unknown;
}

/** Enum names and members declared in the contract's source, read from the solc AST. */
async function readEnums(root: string, artifact: Artifact): Promise<Map<string, string[]>> {
  const outputPath = path.join(
    root,
    'artifacts',
    'build-info',
    `${artifact.buildInfoId}.output.json`,
  );
  const buildOutput = JSON.parse(await readFile(outputPath, 'utf8')) as {
    output: { sources: Record<string, { ast: AstNode }> };
  };
  const enums = new Map<string, string[]>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const n = node as AstNode;
    if (
      n.nodeType === 'EnumDefinition' &&
      n.canonicalName !== undefined &&
      n.members !== undefined
    ) {
      enums.set(
        n.canonicalName,
        n.members.map((m) => m.name),
      );
    }
    Object.values(n).forEach(visit);
  };
  for (const [sourceName, source] of Object.entries(buildOutput.output.sources)) {
    if (sourceName.endsWith(artifact.sourceName)) visit(source.ast);
  }
  return enums;
}

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

/** `struct JobMarket.Job` -> `Job`; anything else -> undefined. */
function structName(param: AbiParam): string | undefined {
  const match = /^struct (?:\w+\.)?(\w+)(?:\[\d*\])*$/.exec(param.internalType ?? '');
  return match?.[1];
}

class Renderer {
  readonly structs = new Map<string, string>();
  private readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  /** The TypeScript type of a value going into the contract (`in`) or coming out (`out`). */
  type(param: AbiParam, direction: 'in' | 'out'): string {
    const array = /^(.*)\[(\d*)\]$/.exec(param.type);
    if (array !== null) {
      const inner = this.type({ ...param, type: array[1] ?? '' }, direction);
      return direction === 'in' ? `ReadonlyArray<${inner}>` : `${inner}[]`;
    }
    if (param.type === 'tuple') return this.struct(param, direction);
    if (param.type === 'address') return direction === 'in' ? 'AddressLike' : 'string';
    if (param.type === 'bool') return 'boolean';
    if (param.type === 'string') return 'string';
    if (param.type.startsWith('bytes')) return direction === 'in' ? 'BytesLike' : 'string';
    if (/^u?int\d*$/.test(param.type)) return direction === 'in' ? 'BigNumberish' : 'bigint';
    throw new Error(`no TypeScript type for ABI type ${param.type}`);
  }

  private struct(param: AbiParam, direction: 'in' | 'out'): string {
    const fields = (param.components ?? [])
      .map((c) => `  ${c.name}: ${this.type(c, direction)};`)
      .join('\n');
    const name = structName(param);
    if (name === undefined) return `{\n${fields}\n}`;
    const typeName = `${this.prefix}${name}${direction === 'in' ? 'Input' : ''}`;
    this.structs.set(typeName, `export interface ${typeName} {\n${fields}\n}`);
    return typeName;
  }

  args(params: AbiParam[], direction: 'in' | 'out'): string {
    return params
      .map((p, i) => `${p.name === '' ? `arg${i}` : p.name}: ${this.type(p, direction)}`)
      .join(', ');
  }

  returns(outputs: AbiParam[]): string {
    if (outputs.length === 0) return 'void';
    const [only] = outputs;
    if (outputs.length === 1 && only !== undefined) return this.type(only, 'out');
    return `[${this.args(outputs, 'out')}]`;
  }

  /** An object type with one field per parameter; `Record<string, never>` when there are none. */
  fields(params: AbiParam[]): string {
    if (params.length === 0) return 'Record<string, never>';
    const fields = params.map(
      (p, i) => `${p.name === '' ? `arg${i}` : p.name}: ${this.type(p, 'out')};`,
    );
    return `{ ${fields.join(' ')} }`;
  }
}

/** Render one binding module as formatted TypeScript source. */
export async function renderBinding(root: string, target: BindingTarget): Promise<string> {
  const artifact = JSON.parse(await readFile(path.join(root, target.artifact), 'utf8')) as Artifact;
  const enums = await readEnums(root, artifact);
  const name = artifact.contractName;
  const camel = lowerFirst(name);
  const r = new Renderer(name);

  const functions = artifact.abi.filter((i) => i.type === 'function');
  const overloaded = new Set(
    functions.map((f) => f.name).filter((n, i, all) => all.indexOf(n) !== i),
  );
  if (overloaded.size > 0)
    throw new Error(
      `${name}: overloaded functions are not supported: ${[...overloaded].join(', ')}`,
    );

  const methods = functions
    .map((f) => {
      const args = `[${r.args(f.inputs ?? [], 'in')}]`;
      const ret = r.returns(f.outputs ?? []);
      const view = f.stateMutability === 'view' || f.stateMutability === 'pure';
      return `  ${f.name}: BaseContractMethod<${args}, ${ret}, ${view ? ret : 'ContractTransactionResponse'}>;`;
    })
    .join('\n');

  const events = artifact.abi
    .filter((i) => i.type === 'event')
    .map((e) => `  ${e.name}: ${r.fields(e.inputs ?? [])};`)
    .join('\n');
  const errors = artifact.abi
    .filter((i) => i.type === 'error')
    .map((e) => `  ${e.name}: ${r.fields(e.inputs ?? [])};`)
    .join('\n');

  const constructorArgs = r.args(
    artifact.abi.find((i) => i.type === 'constructor')?.inputs ?? [],
    'in',
  );

  const enumBlocks = [...enums.entries()]
    .map(([canonical, members]) => {
      const short = canonical.split('.').pop() ?? canonical;
      const entries = members.map((m, i) => `  ${m}: ${i}n,`).join('\n');
      return [
        `/** Values of the Solidity enum \`${canonical}\`, as ethers returns them (bigint). */`,
        `export const ${short} = {\n${entries}\n} as const;`,
        `export type ${short} = (typeof ${short})[keyof typeof ${short}];`,
        `/** Member names of \`${canonical}\`, indexed by value. */`,
        `export const ${lowerFirst(short)}Names = ${JSON.stringify(members)} as const;`,
      ].join('\n');
    })
    .join('\n\n');

  const body = `export const ${camel}Abi = ${JSON.stringify(artifact.abi)} as const;

export const ${camel}Bytecode = ${JSON.stringify(artifact.bytecode)};

export const ${camel}Interface = new Interface(${camel}Abi);

${enumBlocks}

${[...r.structs.values()].join('\n\n')}

/** \`${name}\` with every function typed. */
export interface ${name} extends BaseContract {
  connect(runner: ContractRunner | null): ${name};
  attach(target: string | Addressable): ${name};
${methods}
}

/** Arguments of every \`${name}\` event, by event name. */
export interface ${name}Events {
${events}
}

/** A decoded \`${name}\` log. */
export type ${name}Event = {
  [K in keyof ${name}Events]: { name: K; args: ${name}Events[K] };
}[keyof ${name}Events];

/** Arguments of every \`${name}\` custom error, by error name. */
export interface ${name}Errors {
${errors}
}

/** A decoded \`${name}\` custom error. */
export type ${name}Error = {
  [K in keyof ${name}Errors]: { name: K; args: ${name}Errors[K] };
}[keyof ${name}Errors];

/** A typed handle on a deployed \`${name}\`. */
export function connect${name}(address: string, runner?: ContractRunner | null): ${name} {
  return new Contract(address, ${camel}Abi, runner) as unknown as ${name};
}

/** Deploy \`${name}\` from the bytecode above and wait for it to be mined. */
export async function deploy${name}(
  signer: Signer,
  ...args: [${constructorArgs}]
): Promise<${name}> {
  const factory = new ContractFactory(${camel}Abi, ${camel}Bytecode, signer);
  const contract = await factory.deploy(...args);
  await contract.waitForDeployment();
  return contract as unknown as ${name};
}

/** Decode a log emitted by \`${name}\`; null for logs of other contracts or unknown events. */
export function parse${name}Log(log: { topics: readonly string[]; data: string }): ${name}Event | null {
  let parsed;
  try {
    parsed = ${camel}Interface.parseLog({ topics: [...log.topics], data: log.data });
  } catch {
    return null;
  }
  if (parsed === null) return null;
  const args = Object.fromEntries(parsed.fragment.inputs.map((input, i) => [input.name, parsed.args[i]]));
  return { name: parsed.name, args } as ${name}Event;
}

/** Decode the revert data of a \`${name}\` custom error; null when it is not one of them. */
export function decode${name}Error(data: string): ${name}Error | null {
  let parsed;
  try {
    parsed = ${camel}Interface.parseError(data);
  } catch {
    return null;
  }
  if (parsed === null) return null;
  const args = Object.fromEntries(parsed.fragment.inputs.map((input, i) => [input.name, parsed.args[i]]));
  return { name: parsed.name, args } as ${name}Error;
}
`;
  const typeImports = [
    'AddressLike',
    'Addressable',
    'BaseContract',
    'BaseContractMethod',
    'BigNumberish',
    'BytesLike',
    'ContractRunner',
    'ContractTransactionResponse',
    'Signer',
  ].filter((t) => new RegExp(`\\b${t}\\b`).test(body));
  const source = `// Generated by contracts/bindings/generate.ts from ${artifact.sourceName}. Do not edit:
// run \`npx hardhat build && node contracts/bindings/generate.ts\` after changing the contract.
import { Contract, ContractFactory, Interface } from 'ethers';
import type { ${typeImports.join(', ')} } from 'ethers';

${body}`;
  const outputPath = path.join(root, target.output);
  const options = (await prettier.resolveConfig(outputPath)) ?? {};
  return prettier.format(source, { ...options, filepath: outputPath });
}

/** Targets whose committed file differs from a fresh render. */
export async function staleBindings(root: string = REPO_ROOT): Promise<string[]> {
  const stale: string[] = [];
  for (const target of BINDING_TARGETS) {
    const fresh = await renderBinding(root, target);
    const committed = await readFile(path.join(root, target.output), 'utf8').catch(() => '');
    if (fresh !== committed) stale.push(target.output);
  }
  return stale;
}

async function main(): Promise<void> {
  for (const target of BINDING_TARGETS) {
    await writeFile(path.join(REPO_ROOT, target.output), await renderBinding(REPO_ROOT, target));
    console.log(`[bindings] wrote ${target.output}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
