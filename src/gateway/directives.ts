/**
 * Member text must never act as a gateway command. OpenClaw reads directives (`/model x`, `/think high`, `/exec …`,
 * `/elevated`, `/queue`, model aliases, …) and inline commands (`/status`, `/help`, `/whoami`, …) anywhere in a
 * message, wherever a slash starts a word: its patterns are `(?<!\S)\/name(?=$|\s|:)` (2026.9) and
 * `(?:^|\s)\/name(?=$|\s|:)` (2026.2). A standalone command (skills, `/bash`, …) needs the trimmed text to start
 * with `/name` or, for host shell commands, `!`.
 *
 * A word joiner (U+2060) right after such a slash, or before a leading `!`, breaks every one of those matches: it is
 * neither whitespace (so `trim` and `\s` keep it) nor a name character, and OpenClaw's chat.send sanitising (NFC,
 * control characters below U+0020 and U+007F) keeps it too. It is invisible, so the model still reads the text.
 *
 * A word whose next separator is another slash (`/etc/hosts`, `/api/v1`) is a path: no command or directive name holds
 * a slash, and every pattern wants the name to end at a space, a colon or the end. Paths stay as they are, so a model
 * that copies one into a tool call copies no joiner.
 */
export const WORD_JOINER = '\u2060';

const SLASH_STARTING_A_WORD = /(?<!\S)\/(?![^\s:/]*\/)/g;
const LEADING_BANG = /^(\s*)!/;
const JOINED_SLASH = new RegExp(`(?<!\\S)/${WORD_JOINER}`, 'g');
const JOINED_BANG = new RegExp(`^(\\s*)${WORD_JOINER}!`);

/** The text with every slash that starts a word (paths aside), and a leading `!`, unable to start a gateway command. */
export function neutraliseCommands(text: string): string {
  return text.replace(SLASH_STARTING_A_WORD, `/${WORD_JOINER}`).replace(LEADING_BANG, `$1${WORD_JOINER}!`);
}

/** Undoes `neutraliseCommands`, for a stored user turn shown or matched again. */
export function restoreCommands(text: string): string {
  return text.replace(JOINED_SLASH, '/').replace(JOINED_BANG, '$1!');
}
