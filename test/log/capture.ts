import { Writable } from 'node:stream';
import { createLogger } from '../../src/log.js';

/** The project's logger at debug level, writing its lines, as serialised, into `lines`. */
export function captureLines() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination }) };
}
