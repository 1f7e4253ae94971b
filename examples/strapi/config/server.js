// Strapi server settings; secrets come from the environment (index.js makes throwaway ones for a demo run).
module.exports = ({ env }) => ({
  host: env('HOST', '127.0.0.1'),
  port: env.int('PORT', 1337),
  app: { keys: env.array('APP_KEYS') },
});
