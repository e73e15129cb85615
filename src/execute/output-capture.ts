import { OUTPUT_HEAD_BYTES, OUTPUT_TAIL_BYTES } from './executor.ts';

/**
 * Keeps, of a stream, the first OUTPUT_HEAD_BYTES and the last OUTPUT_TAIL_BYTES (2 KiB each: the start
 * says what the command did, the end how it failed); the middle becomes `…[N bytes truncated]…`. Memory
 * stays bounded however much the command prints, which node-ssh's execCommand (it keeps everything)
 * would not give.
 */
export function createCapture() {
  let head = Buffer.alloc(0);
  let tail = Buffer.alloc(0);
  let total = 0;
  return {
    push(chunk: Buffer): void {
      total += chunk.length;
      const room = OUTPUT_HEAD_BYTES - head.length;
      if (room > 0) head = Buffer.concat([head, chunk.subarray(0, room)]);
      const rest = chunk.subarray(Math.max(room, 0));
      if (rest.length > 0) tail = Buffer.concat([tail, rest]).subarray(-OUTPUT_TAIL_BYTES);
    },
    get total(): number {
      return total;
    },
    text(): string {
      const dropped = total - head.length - tail.length;
      if (dropped === 0) return Buffer.concat([head, tail]).toString('utf8');
      return `${head.toString('utf8')}\n…[${dropped} bytes truncated]…\n${tail.toString('utf8')}`;
    },
  };
}

export type Capture = ReturnType<typeof createCapture>;

/** `stdout:\n…\nstderr:\n…`, leaving out a stream that printed nothing. */
export function renderOutput(output: { stdout: Capture; stderr: Capture }): string {
  return (['stdout', 'stderr'] as const)
    .filter((name) => output[name].total > 0)
    .map((name) => {
      const text = output[name].text();
      return `${name}:\n${text}${text.endsWith('\n') ? '' : '\n'}`;
    })
    .join('');
}
