// A CommonJS TypeScript file (require at run time) importing mailroom-js under NodeNext: Node
// >= 20.19 loads the ES module through require(), and TypeScript's NodeNext allows it.
import { createMailer, type Mailer } from 'mailroom-js';
import { init } from 'mailroom-js/strapi';

export const mailer: Mailer = createMailer({ dsn: 'memory://' });
export const provider = init({ dsn: 'memory://' });
