// Boots this Strapi app without the admin panel, sends one email through Strapi's email plugin
// (and so through mailroom), prints the journal entry, and stops. Run: node index.js
const { randomBytes } = require('node:crypto');
const { compileStrapi, createStrapi } = require('@strapi/strapi');

// Throwaway secrets for a demo run; a real deployment sets these in its environment.
for (const name of ['ADMIN_JWT_SECRET', 'API_TOKEN_SALT', 'TRANSFER_TOKEN_SALT', 'ENCRYPTION_KEY', 'JWT_SECRET']) {
  process.env[name] ??= randomBytes(24).toString('base64');
}
process.env.APP_KEYS ??= [1, 2].map(() => randomBytes(16).toString('base64')).join(',');
process.env.STRAPI_TELEMETRY_DISABLED ??= 'true';

async function main() {
  const strapi = await createStrapi({ ...(await compileStrapi({ appDir: __dirname })), autoReload: false, serveAdminPanel: false }).load();
  try {
    const result = await strapi.plugin('email').service('email').send({
      to: process.argv[2] ?? 'customer@example.com',
      subject: 'Hello from Strapi through mailroom',
      text: 'This message went through Strapi\'s email plugin and mailroom.',
    });
    console.log(JSON.stringify(await strapi.plugin('email').provider.mailer.journal.get(result.id), null, 2));
  } finally {
    await strapi.destroy();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
