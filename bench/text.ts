// Deterministic answer texts: plain prose in sentences and paragraphs (so the splitter has paragraph, line and word
// breaks to choose from), each starting with a tag that tells the streams apart.

const WORDS = (
  'the a of to and in that it is was for on are as with his they be at one have this from or had by word but what ' +
  'some we can out other were all there when up use your how said an each she which do their time if will way about ' +
  'many then them write would like so these her long make thing see him two has look more day could go come did ' +
  'number sound no most people my over know water than call first who may down side been now find any new work part ' +
  'take get place made live where after back little only round man year came show every good me give our under name ' +
  'very through just form sentence great think say help low line differ turn cause much mean before move right boy ' +
  'old too same tell does set three want air well also play small end put home read hand port large spell add even ' +
  'land here must big high such follow act why ask men change went light kind off need house picture try us again ' +
  'animal point mother world near build self earth father head stand own page should country found answer school grow'
).split(' ');

/** A small seeded PRNG (mulberry32): the same seed gives the same text on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The tag a stream's answer starts with, e.g. `[a007]`. */
export function streamTag(index: number): string {
  return `[a${String(index).padStart(3, '0')}]`;
}

/** Exactly `length` characters of prose that start with the stream's tag and end with a non-space character. */
export function answerText(index: number, length: number): string {
  const next = random(0x5eed + index * 7919);
  const pick = () => WORDS[Math.floor(next() * WORDS.length)]!;
  let text = `${streamTag(index)} `;
  while (text.length < length) {
    const sentences = 3 + Math.floor(next() * 4);
    for (let s = 0; s < sentences && text.length < length; s++) {
      const words = 8 + Math.floor(next() * 13);
      const sentence = Array.from({ length: words }, pick).join(' ');
      text += `${sentence[0]!.toUpperCase()}${sentence.slice(1)}. `;
    }
    text = `${text.trimEnd()}\n\n`;
  }
  text = text.slice(0, length);
  return /\s$/.test(text) ? `${text.slice(0, -1)}x` : text;
}
