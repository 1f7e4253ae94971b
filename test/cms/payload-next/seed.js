// Creates the schema (Payload's `push` runs outside production only; `next start` is production)
// and the e2e's admin user, then exits. Run with NODE_ENV=development before `next start`.
import { getPayload } from 'payload';
import config from './payload.config.js';

const payload = await getPayload({ config });
await payload.create({ collection: 'users', data: { email: process.env.ADMIN_EMAIL, password: process.env.ADMIN_PASSWORD, role: 'admin' } });
await payload.destroy();
process.exit(0);
