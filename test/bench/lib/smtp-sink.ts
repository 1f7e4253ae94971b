// An SMTP sink in its own process for the benchmarks (so its work is not counted against the
// sender): smtp-server with STARTTLS on a test certificate and AUTH PLAIN/LOGIN, which reads each
// message and keeps nothing. Prints one JSON line {port, ca} and runs until killed.
import { SMTPServer } from 'smtp-server';
import { createTestTls } from '../../helpers/tls.js';

const [user = 'bench@example.com', pass = 'bench-Pa55word'] = process.argv.slice(2);
const tls = await createTestTls();
let received = 0;
const server = new SMTPServer({
  logger: false,
  key: tls.key,
  cert: tls.cert,
  authMethods: ['PLAIN', 'LOGIN'],
  onAuth(auth, _session, callback) {
    if (auth.username === user && auth.password === pass) callback(null, { user });
    else callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
  },
  onData(stream, _session, callback) {
    stream.on('data', () => undefined);
    stream.on('end', () => {
      received++;
      callback(null, 'OK');
    });
  },
});
server.on('error', () => undefined);
server.listen(0, '127.0.0.1', () => {
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ port, ca: tls.ca })}\n`);
});
process.on('SIGTERM', () => {
  process.stderr.write(`sink received ${received}\n`);
  process.exit(0);
});
