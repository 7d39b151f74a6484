/**
 * A webhook receiver for bench/webhooks.bench.ts, in its own process (its own event loop, as a
 * receiver has): it answers 204 at once and keeps when each webhook-id first arrived and how many
 * times. The parent asks for those with a 'report' message.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const firstSeen = new Map<string, number>();
let requests = 0;

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    requests++;
    const id = String(req.headers['webhook-id']);
    if (!firstSeen.has(id)) firstSeen.set(id, Date.now());
    res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.send!({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks` }));

process.on('message', (m: string) => {
  if (m === 'report') process.send!({ requests, unique: firstSeen.size, firstSeen: [...firstSeen] });
  if (m === 'count') process.send!({ requests, unique: firstSeen.size });
  if (m === 'stop') server.close(() => process.exit(0));
});
process.once('disconnect', () => process.exit(0));
