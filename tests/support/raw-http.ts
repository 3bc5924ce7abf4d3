import { connect } from 'node:net';

export type RawAnswer = { status: number; headers: Record<string, string>; body: string; ms: number };

/**
 * A client that keeps sending: a POST of `size` bytes of `filler`, written over a raw socket as fast as
 * the server takes it, with Content-Length or chunked, whatever the server answers meanwhile (as an
 * abusive client would). Resolves with the answer once the server has answered and closed, or rejects
 * after `timeoutMs`.
 */
export function postWithoutStopping(options: {
  port: number;
  path: string;
  headers: Record<string, string>;
  size: number;
  framing: 'content-length' | 'chunked';
  filler?: string;
  timeoutMs?: number;
}): Promise<RawAnswer> {
  const started = performance.now();
  const socket = connect(options.port, '127.0.0.1');
  const chunk = Buffer.alloc(64 * 1024, options.filler ?? ' ');
  const framing = options.framing === 'chunked' ? 'transfer-encoding: chunked' : `content-length: ${options.size}`;
  const headers = Object.entries(options.headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.write(`POST ${options.path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${headers}${framing}\r\n\r\n`);
  let sent = 0;
  const write = () => {
    while (sent < options.size && !socket.destroyed) {
      const piece = chunk.subarray(0, Math.min(chunk.length, options.size - sent));
      sent += piece.length;
      const framed = options.framing === 'chunked' ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
      if (!socket.write(framed)) return void socket.once('drain', write);
    }
    if (options.framing === 'chunked' && !socket.destroyed) socket.write('0\r\n\r\n');
  };
  write();
  let received = '';
  let answeredAt = 0;
  socket.on('data', (data) => {
    answeredAt ||= performance.now();
    received += data.toString();
  });
  return new Promise<RawAnswer>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${options.timeoutMs ?? 10_000} ms (sent ${sent} bytes, received ${JSON.stringify(received.slice(0, 200))})`));
    }, options.timeoutMs ?? 10_000);
    // The server may close while we are still writing: EPIPE or ECONNRESET here is expected.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const [head = '', body = ''] = received.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const status = Number(statusLine.split(' ')[1] ?? 0);
      const parsed = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      if (!status) reject(new Error(`the server closed without answering (sent ${sent} bytes)`));
      else resolve({ status, headers: parsed, body, ms: answeredAt - started });
    });
  });
}
