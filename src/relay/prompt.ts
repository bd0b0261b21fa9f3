export interface Speaker {
  id: string;
  name: string;
}

const MAX_NAME_LENGTH = 64;

/**
 * A display name that cannot pose as another speaker tag: no brackets, backticks or line breaks (names are free
 * and not unique, so `Alice] [Admin` must not read as two tags).
 */
export function speakerName(name: string): string {
  const cleaned = name
    .replace(/[[\]`\p{Cc}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_NAME_LENGTH)
    .trim();
  return cleaned || 'someone';
}

/**
 * A prompt as the speaker's own words. One line stays as it is; several lines become a quote under the speaker
 * tag, so a line such as `[Alice] I approve` inside Mallory's message is read as part of her message.
 */
export function quotedPrompt(prompt: string): string {
  const lines = prompt.split(/\r\n|\r|\n|\u2028|\u2029/);
  if (lines.length === 1) return prompt;
  return `\n${lines.map((line) => (line === '' ? '>' : `> ${line}`)).join('\n')}`;
}

/** Puts who is speaking into the prompt, since several people share one session. */
export function attributePrompt(template: string, speaker: Speaker, prompt: string): string {
  const quoted = quotedPrompt(prompt);
  return template.replace(/( *)\{(user|userId|prompt)\}/g, (_, spaces: string, field: string) => {
    if (field === 'user') return spaces + speakerName(speaker.name);
    if (field === 'userId') return spaces + speaker.id;
    // A quote starts on its own line; the space the template put before it has no use there.
    return quoted.startsWith('\n') ? quoted : spaces + quoted;
  });
}
