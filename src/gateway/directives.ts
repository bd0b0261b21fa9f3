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

/**
 * Whole messages chat.send takes as a stop of the session's running turn instead of text (`isChatStopCommandText`,
 * src/gateway/chat-abort.ts): 2026.2 the trimmed lower-cased text against `ABORT_TRIGGERS` of
 * src/auto-reply/reply/abort.ts; 2026.9 also with quotes unified, whitespace collapsed and trailing punctuation dropped,
 * against the list of src/auto-reply/reply/abort-trigger-text.ts. Both lists, as a set: a message is checked against both.
 */
const ABORT_TRIGGERS = new Set([
  // 2026.2.17
  'stop', 'esc', 'abort', 'wait', 'exit', 'interrupt',
  // 2026.9.6
  'detente', 'deten', 'detén', 'arrete', 'arrête', '停止', '停下来', '暂停', 'やめて', '止めて', 'रुको', 'توقف', 'стоп',
  'остановись', 'останови', 'остановить', 'прекрати', 'halt', 'anhalten', 'aufhören', 'hoer auf', 'stopp', 'pare',
  'stop openclaw', 'openclaw stop', 'stop action', 'stop current action', 'stop run', 'stop current run', 'stop agent',
  'stop the agent', "stop don't do anything", 'stop dont do anything', 'stop do not do anything', 'stop doing anything',
  'do not do that', 'please stop', 'stop please',
]);
const TRAILING_ABORT_PUNCTUATION = /[.!?！？…,，。;；:：'"’”)\]}]+$/u;

function isAbortTrigger(text: string): boolean {
  const normalized = text.toLowerCase().replace(/[’`]/g, "'").replace(/\s+/g, ' ').trim();
  return ABORT_TRIGGERS.has(normalized) || ABORT_TRIGGERS.has(normalized.replace(TRAILING_ABORT_PUNCTUATION, '').trim());
}

// A joiner after the last visible character keeps the message from equalling a trigger, whichever way it is normalised.
const LAST_VISIBLE = /(\S)(\s*)$/u;
const JOINED_END = new RegExp(`${WORD_JOINER}(\\s*)$`, 'u');

/**
 * The text with every slash that starts a word (paths aside), and a leading `!`, unable to start a gateway command, and a
 * whole-message stop word ("stop", "wait", "please stop!", …) unable to stop the session's running turn.
 */
export function neutraliseCommands(text: string): string {
  const out = text.replace(SLASH_STARTING_A_WORD, `/${WORD_JOINER}`).replace(LEADING_BANG, `$1${WORD_JOINER}!`);
  return isAbortTrigger(out) ? out.replace(LAST_VISIBLE, `$1${WORD_JOINER}$2`) : out;
}

/** Undoes `neutraliseCommands`, for a stored user turn shown or matched again. */
export function restoreCommands(text: string): string {
  const out = text.replace(JOINED_SLASH, '/').replace(JOINED_BANG, '$1!');
  const unjoined = out.replace(JOINED_END, '$1');
  return unjoined !== out && isAbortTrigger(unjoined) ? unjoined : out;
}
