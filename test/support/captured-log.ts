import { Writable } from 'node:stream';

/** Every JSON line an app logs, as written (pass it as `logDestination`). */
export class CapturedLog extends Writable {
  readonly text: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.text.push(chunk.toString('utf8'));
    done();
  }
  lines(): Record<string, unknown>[] {
    return this.text
      .join('')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
  requestLines(requestId: string) {
    return this.lines().filter((line) => line.request_id === requestId);
  }
}
