import { serve } from '@hono/node-server';
import type { AddressInfo, Socket } from 'node:net';

export type Listening = {
  url: string;
  port: number;
  /** Bytes the server has read from its clients' sockets so far (headers and bodies, every connection). */
  bytesRead(): number;
  close(): Promise<void>;
};

/** Serves a fetch handler on a free loopback port, for clients that need a real URL or a real socket. */
export async function listen(fetch: (request: Request) => Response | Promise<Response>): Promise<Listening> {
  const server = serve({ fetch, port: 0, hostname: '127.0.0.1' });
  // Idle keep-alive connections stay open, as a provider's API keeps them (Node's default closes them
  // after 5 s): a client that reuses one just as it is closed gets ECONNRESET, which a Twilio send
  // rightly counts as "may have been sent" (unknown, not retried); a test pausing about 5 s between
  // two sends then failed now and then.
  if ('keepAliveTimeout' in server) server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const open = new Set<Socket>();
  let closedBytes = 0;
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => {
      open.delete(socket);
      closedBytes += socket.bytesRead;
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    bytesRead: () => [...open].reduce((sum, socket) => sum + socket.bytesRead, closedBytes),
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
