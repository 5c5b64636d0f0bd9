/** Small helpers for the words the agent and the CLI write. */

/** The text with its first letter in upper case: the start of a sentence. */
export function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
