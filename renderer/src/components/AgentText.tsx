import type { ReactNode } from 'react';
import { sentence } from '../words.ts';

/** Pages of the app that the agent's words name, and where they are. */
const PAGES: Record<string, string> = {
  'Wallet page': '#/wallet',
  'Benchmark page': '#/benchmark',
  'Settings page': '#/settings',
  'Jobs page': '#/jobs',
};
const PATTERN = new RegExp(`(\`[^\`]+\`|${Object.keys(PAGES).join('|')})`);

/**
 * A status line the agent wrote for its log and its CLI ("there is no wallet yet: create or
 * import one (Wallet page, or `roost wallet create`) …"), shown as a sentence (words.ts),
 * with `commands` as code and the pages it names as links to them. `asSentence={false}` keeps
 * the words as they are (a line of the Activity list).
 */
export function AgentText({
  text,
  asSentence = true,
}: {
  text: string;
  asSentence?: boolean;
}): ReactNode {
  return (asSentence ? sentence(text) : text).split(PATTERN).map((part, i) => {
    if (i % 2 === 0) return part;
    if (part.startsWith('`')) return <code key={i}>{part.slice(1, -1)}</code>;
    return (
      <a key={i} href={PAGES[part]}>
        {part}
      </a>
    );
  });
}
