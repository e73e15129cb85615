import { connect } from 'node:net';

/** One HAProxy runtime API command per connection (non-interactive mode): HAProxy answers and closes. */
export function runtimeCommand(socketPath: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let answer = '';
    socket.setEncoding('utf8');
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer to "${line}" on ${socketPath}`)));
    socket.on('data', (text: string) => (answer += text));
    socket.on('error', reject);
    socket.on('end', () => resolve(answer));
    socket.on('connect', () => socket.write(`${line}\n`));
  });
}
