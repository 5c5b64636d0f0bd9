/** Small helpers that turn the agent's phrases into English sentences, for every page. */

/** A phrase as a sentence: capital first letter, a full stop unless it ends with one. */
export function sentence(text: string): string {
  const t = text.trim();
  if (t === '') return t;
  const capital = t[0]!.toUpperCase() + t.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** `a`, `a and b`, `a, b and c` (or `a, b or c`). */
export function listWords(items: string[], joiner: 'and' | 'or' = 'and'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${joiner} ${items[items.length - 1]}`;
}
