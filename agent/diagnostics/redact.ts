/**
 * Scrubs secrets out of text before it reaches a log file, the event stream or a support bundle:
 * private keys (0x + 64 hex, bare 64 hex, PEM), BIP-39 recovery phrases (12 or more wordlist
 * words in a row), bearer/basic credentials, JWTs, passwords and tokens in `key=value`,
 * `key: value`, `--key value` and JSON fields, `#token=` and `?token=` in URLs, `user:pass@` in
 * URLs, long opaque path segments of RPC URLs (provider API keys), a notification webhook's URL
 * in a `webhookUrl` field, and any literal secret the agent names (its API token, the webhook's
 * URL).
 *
 * A 32-byte hash (a transaction, a job's spec or result, a report digest) looks exactly like a
 * private key, so it errs towards scrubbing: 32 bytes of hex are kept only when the name right
 * before them says they are a hash (`tx 0x…`, `txHash: "0x…"`, `sha256:…`, `modelSha256=…`), or,
 * in JSON, when they are the value of a field so named. Writers of public hashes label them so;
 * support staff then see them whole. The decision rests on the text alone, not on a list of
 * values the agent saw, because the same text is redacted again later (the log file, the event
 * stream, a support bundle made days after by another process) and must come out the same.
 */
import { LangEn } from 'ethers';

export const redactionKinds = [
  'known-secret',
  'private-key',
  'mnemonic',
  'credential-header',
  'secret-field',
  'url-credentials',
  'url-key',
  'jwt',
] as const;
export type RedactionKind = (typeof redactionKinds)[number];
export type RedactionCounts = Partial<Record<RedactionKind, number>>;

export interface Redactor {
  /** The text with every secret replaced by `[redacted:<kind>]` (or `[redacted]` in fields). */
  redact(text: string): string;
  /** Like `redact`, also counting what was replaced. */
  redactCounted(text: string): { text: string; counts: RedactionCounts };
  /** A JSON value with secret-named fields replaced and every string redacted. */
  redactJson(value: unknown): unknown;
  /** Like `redactJson`, also counting what was replaced. */
  redactJsonCounted(value: unknown): { value: unknown; counts: RedactionCounts };
}

export interface RedactorOptions {
  /** Literal secrets to scrub wherever they appear (the API token); 8 characters or more. */
  knownSecrets?: () => readonly string[];
}

const SECRET_WORDS =
  'password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|private[_-]?key|privkey|priv[_-]?key|mnemonic|seed[_-]?phrase|seed|recovery[_-]?phrase|credentials?|auth[_-]?key|access[_-]?key|authorization|cookie|session[_-]?(?:id|key|token)|ciphertext';
/** A key that names a secret: `password`, `accessToken`, `X-Api-Key`, `ROOST_TOKEN`, `privateKey`. */
const secretKey = new RegExp(`^[A-Za-z0-9_.-]*?(?:${SECRET_WORDS})[A-Za-z0-9_.-]*$`, 'i');
/**
 * Keys that contain a secret word but name something that isn't one: `tokenAddress`, `tokenSymbol`,
 * `tokenValueInCurrency` (what one token is worth), `seedRows` (a generator's sizes).
 */
const notSecretKey =
  /(?:address|addr|symbol|decimals|ids?|count|limit|type|name|file|path|len|length|expires|expiry|expiresat|set|present|required|url|uri|usage|kind|tokens|currency|rows)$/i;
/**
 * A number in a `seed` field is a random generator's seed (the benchmark's inputs): a wallet's
 * seed is bytes or words, never a JSON number.
 */
const generatorSeed = /^(?:[A-Za-z]+[_-]?)?seed$/i;
const keepValue =
  /^(?:true|false|null|undefined|none|bearer|basic|digest|\[redacted(?::[a-z-]+)?\])?$/i;

/** A field's value: double-quoted (escapes allowed), single-quoted, or bare up to a delimiter. */
const fieldValue = /(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\s"'&,;#)}\]]+))/.source;
const keyValuePattern = new RegExp(
  `((?:^|[^A-Za-z0-9_.-])([A-Za-z0-9_.-]+)\\s*[=:]\\s*)${fieldValue}`,
  'g',
);
const flagPattern = new RegExp(`((?:^|\\s)--([A-Za-z0-9_.-]+)(?:=|\\s+))${fieldValue}`, 'g');

/** True when a field of this name holds a secret. */
export function isSecretKey(key: string): boolean {
  // A notification webhook's URL holds its token (Discord, Slack): the whole URL is the secret.
  if (/^(?:notifications?[_-]?)?webhook[_-]?ur[il]$/i.test(key)) return true;
  if (!secretKey.test(key)) return false;
  if (/session[_-]?id$/i.test(key)) return true;
  return !notSecretKey.test(key);
}

/**
 * Names that say the 32 bytes after them are a public hash: `tx`, `transaction`, `block`,
 * `receipt`, `digest`, `root`, `topic`, `sha256`, `cacheKey` (the accelerator probe's, a sha256 of
 * what it depends on), and any name ending in `hash` or `sha256` (`txHash`, `resultHash`,
 * `report_hash`, `modelSha256`). Secret-named fields (`privateKeyHash=`) are scrubbed by the field
 * rules before this is asked.
 */
const HASH_NAMES = String.raw`tx|txid|transaction|block|receipt|digest|root|topics?|sha-?256|cache[_-]?key|[A-Za-z_]*(?:hash|sha256)`;
/**
 * A hash name ending right before the position it is tried at: `tx `, `"txHash": "`, `sha256:`;
 * or the market's transaction keys, which name the report they register (`register:0x…`,
 * `update:0x…:<score>:<price>`) - only in that exact shape, colon and all.
 */
const hashNameBefore = new RegExp(
  String.raw`(?:(?<=(?<![A-Za-z])(?:${HASH_NAMES})\\?["']?\s*[:=]?\s*\\?["']?)|(?<=(?<![A-Za-z])(?:register|update):))`,
  'iy',
);
/** A JSON field whose string value is a hash. */
const hashField = new RegExp(`^(?:${HASH_NAMES})$`, 'i');

/** True when the name right before `offset` in `text` labels what follows as a hash. */
function labelledAsHash(text: string, offset: number): boolean {
  hashNameBefore.lastIndex = offset;
  return hashNameBefore.test(text);
}

let wordlist: Set<string> | undefined;
function bip39Words(): Set<string> {
  if (!wordlist) {
    const list = LangEn.wordlist();
    wordlist = new Set(Array.from({ length: 2048 }, (_, i) => list.getWord(i)));
  }
  return wordlist;
}

/** Runs of at least this many wordlist words are taken as a recovery phrase. */
export const MNEMONIC_MIN_WORDS = 12;
const mnemonicGap = /^(?:[\s,;:.'"|()\-\d]|\\[nrt])+$/;

function scrubMnemonics(text: string, count: (k: RedactionKind) => void): string {
  const words = bip39Words();
  const tokens: { start: number; end: number; listed: boolean }[] = [];
  for (const m of text.matchAll(/\\[nrt]|[A-Za-z]+/g)) {
    if (m[0].startsWith('\\')) continue;
    tokens.push({
      start: m.index,
      end: m.index + m[0].length,
      listed: words.has(m[0].toLowerCase()),
    });
  }
  const spans: [number, number][] = [];
  let runStart = -1;
  let runLength = 0;
  let prevEnd = -1;
  const close = () => {
    if (runLength >= MNEMONIC_MIN_WORDS) spans.push([runStart, prevEnd]);
    runLength = 0;
  };
  for (const t of tokens) {
    const joined = runLength > 0 && mnemonicGap.test(text.slice(prevEnd, t.start));
    if (!t.listed) {
      close();
    } else if (joined) {
      runLength += 1;
    } else {
      close();
      runStart = t.start;
      runLength = 1;
    }
    prevEnd = t.end;
  }
  close();
  let out = text;
  for (const [start, end] of spans.reverse()) {
    out = out.slice(0, start) + '[redacted:mnemonic]' + out.slice(end);
    count('mnemonic');
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function createRedactor(options: RedactorOptions = {}): Redactor {
  /** `hashValue`: the text is the value of a field named as a hash (JSON `"txHash": …`). */
  function redactCounted(
    input: string,
    hashValue = false,
  ): { text: string; counts: RedactionCounts } {
    const counts: RedactionCounts = {};
    const count = (k: RedactionKind) => {
      counts[k] = (counts[k] ?? 0) + 1;
    };
    let text = input;

    for (const secret of options.knownSecrets?.() ?? []) {
      if (secret.length < 8) continue;
      text = text.replace(new RegExp(escapeRegExp(secret), 'g'), () => {
        count('known-secret');
        return '[redacted:secret]';
      });
    }

    // Before the field rules, which would take only a phrase's first word as the value.
    text = scrubMnemonics(text, count);

    text = text.replace(
      /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g,
      () => {
        count('private-key');
        return '[redacted:private-key]';
      },
    );

    // JSON fields: "password": "…", "privateKey":"0x…" (escaped quotes inside handled).
    text = text.replace(
      /("([A-Za-z0-9_.-]+)"\s*:\s*)"((?:[^"\\]|\\.)*)"/g,
      (all, head: string, key: string, value: string) => {
        if (!isSecretKey(key) || keepValue.test(value)) return all;
        count('secret-field');
        return `${head}"[redacted]"`;
      },
    );

    // Escaped JSON inside a string (a logged JSON body): \"password\":\"…\"
    text = text.replace(
      /(\\"([A-Za-z0-9_.-]+)\\"\s*:\s*)\\"((?:[^"\\]|\\[^"])*)\\"/g,
      (all, head: string, key: string, value: string) => {
        if (!isSecretKey(key) || keepValue.test(value)) return all;
        count('secret-field');
        return `${head}\\"[redacted]\\"`;
      },
    );

    text = text.replace(
      /\b(Bearer|Basic|Token|Digest)(\s+)([A-Za-z0-9._~+/=-]{8,})/gi,
      (all, scheme: string, space: string, credential: string) => {
        // A plain word is prose ("token-by-token generation", "basic settings"), not a
        // credential: those are random, with digits, capitals or symbols.
        if (/^[A-Za-z][a-z]+$/.test(credential)) return all;
        count('credential-header');
        return `${scheme}${space}[redacted]`;
      },
    );

    text = text.replace(/\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g, () => {
      count('jwt');
      return '[redacted:jwt]';
    });

    text = text.replace(
      /\b([a-z][a-z0-9+.-]*:\/\/)([^/\s:@'"]+):([^/\s@'"]+)@/gi,
      (_all, scheme: string, user: string) => {
        count('url-credentials');
        return `${scheme}${user}:[redacted]@`;
      },
    );

    // key=value, key: value, ?key=value, #token=value, with optional quotes.
    const field = (
      all: string,
      head: string,
      key: string,
      dq: string | undefined,
      sq: string | undefined,
      bare: string | undefined,
    ) => {
      const value = dq ?? sq ?? bare ?? '';
      if (!isSecretKey(key) || keepValue.test(value) || value.startsWith('[redacted')) return all;
      count('secret-field');
      const quote = dq !== undefined ? '"' : sq !== undefined ? "'" : '';
      return `${head}${quote}[redacted]${quote}`;
    };
    text = text.replace(keyValuePattern, field);
    // --password value, --token=value on command lines.
    text = text.replace(flagPattern, field);

    // Long opaque path segments of URLs: `https://eth-mainnet.g.alchemy.com/v2/<key>`.
    text = text.replace(/\b(?:https?|wss?):\/\/[^\s"'<>]+/gi, (url) =>
      url.replace(/\/([A-Za-z0-9_-]{20,})(?=[/?#]|$)/g, (all, segment: string) => {
        if (!/\d/.test(segment) || !/[A-Za-z]/.test(segment)) return all;
        if (/^[0-9a-f]{64}$/i.test(segment)) return all; // left to the key rule below
        // An account address is public (`/uploads/0/0xAbc…/result.json`): support needs it.
        if (/^0x[0-9a-f]{40}$/i.test(segment)) return all;
        count('url-key');
        return '/[redacted]';
      }),
    );

    const keepIfHash = (offset: number, whole: string) =>
      (hashValue && offset === 0) || labelledAsHash(whole, offset);
    text = text.replace(
      /(?<![0-9A-Za-z])0x[0-9a-fA-F]{64}(?![0-9A-Za-z])/g,
      (match, offset: number, whole: string) => {
        if (keepIfHash(offset, whole)) return match;
        count('private-key');
        return '[redacted:private-key]';
      },
    );
    text = text.replace(
      /(?<![0-9A-Za-z])[0-9a-fA-F]{64}(?![0-9A-Za-z])/g,
      (match, offset: number, whole: string) => {
        if (keepIfHash(offset, whole)) return match;
        count('private-key');
        return '[redacted:private-key]';
      },
    );

    return { text, counts };
  }

  function redactJsonCounted(input: unknown): { value: unknown; counts: RedactionCounts } {
    const counts: RedactionCounts = {};
    // `hashValue`: inside a field named as a hash (`txHash`, `modelSha256`, a list of `topics`).
    const walk = (value: unknown, hashValue: boolean): unknown => {
      if (typeof value === 'string') {
        const r = redactCounted(value, hashValue);
        addCounts(counts, r.counts);
        return r.text;
      }
      if (Array.isArray(value)) return value.map((v) => walk(v, hashValue));
      if (value !== null && typeof value === 'object') {
        const out: Record<string, unknown> = {};
        for (const [key, v] of Object.entries(value)) {
          const secret =
            isSecretKey(key) &&
            v !== null &&
            v !== undefined &&
            // Nothing is hidden in an empty value, and support staff see that none was set.
            v !== '' &&
            typeof v !== 'boolean' &&
            !(typeof v === 'number' && generatorSeed.test(key));
          if (secret) {
            out[key] = '[redacted]';
            addCounts(counts, { 'secret-field': 1 });
          } else {
            out[key] = walk(v, hashField.test(key));
          }
        }
        return out;
      }
      return value;
    };
    return { value: walk(input, false), counts };
  }

  return {
    redact: (text) => redactCounted(text).text,
    redactCounted: (text) => redactCounted(text),
    redactJson: (value) => redactJsonCounted(value).value,
    redactJsonCounted,
  };
}

/** A redactor with no literal secrets, for places that have none to name. */
export const defaultRedactor: Redactor = createRedactor();

/** Adds `b`'s counts into `a`. */
export function addCounts(a: RedactionCounts, b: RedactionCounts): RedactionCounts {
  for (const [k, n] of Object.entries(b) as [RedactionKind, number][]) a[k] = (a[k] ?? 0) + n;
  return a;
}
