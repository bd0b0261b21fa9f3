// Word tokens for scripted replies.

/** Splits text into word tokens that concatenate back to it: `a b c` → `a`, ` b`, ` c`. */
export function wordTokens(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}
