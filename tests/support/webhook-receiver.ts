import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as it came: `at` is when it ended (performance.now()). */
export type Received = { path: string; headers: IncomingHttpHeaders; body: string; at: number };
/** What the receiver answers the next requests with: a status and body, or nothing at all. */
export type Answer = { status: number; body: string } | 'hang';

/** A webhook receiver on loopback: keeps every request, answers as `answer` says at that moment. */
export async function startReceiver(path = '/hooks') {
  const received: Received[] = [];
  const state: { answer: Answer } = { answer: { status: 200, body: 'ok' } };
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', headers: request.headers, body, at: performance.now() });
      const { answer } = state;
      if (answer !== 'hang') response.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    received,
    answerWith(answer: Answer) {
      state.answer = answer;
    },
    /** Forgets what came, and answers 200 again. */
    reset() {
      received.length = 0;
      state.answer = { status: 200, body: 'ok' };
    },
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
