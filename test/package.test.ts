// The package as npm publishes it. Packs a copy of the working tree without dist/ (a clean clone:
// prepack must build), installs the tarball into an empty folder as a user would, then checks what
// is packed, loads every entry of the exports map with import and with require(), runs the
// `mailroom` bin, checks that no installed package refuses a Node version that `engines` claims,
// and compiles the consumer projects of test/types/ with tsc under each module resolution.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const run = promisify(execFile);
const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline'];
const semver = createRequire(import.meta.url)('semver') as {
  subset(sub: string, sup: string): boolean;
  minVersion(range: string): { major: number } | null;
  major(version: string): number;
};

interface PackedFile {
  path: string;
}
interface Manifest {
  name: string;
  version: string;
  engines: { node: string };
  exports: Record<string, string | Record<string, string>>;
  bin: Record<string, string>;
}

let work: string;
let consumer: string;
let installed: string;
let packed: string[];
let installLog: string;
let manifest: Manifest;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'mailroom-package-'));
  // The files a clone has (tracked, plus new ones not ignored): no dist/, no node_modules.
  const source = path.join(work, 'source');
  const { stdout: listed } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  for (const file of listed.split('\0').filter(Boolean)) {
    await cp(path.join(ROOT, file), path.join(source, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error; // deleted in the working tree, not yet in git
    });
  }
  await symlink(path.join(ROOT, 'node_modules'), path.join(source, 'node_modules'), 'dir');

  const { stdout: packJson } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: source, maxBuffer: 16 * 1024 * 1024 });
  const [pack] = JSON.parse(packJson.slice(packJson.indexOf('['))) as [{ filename: string; files: PackedFile[] }];
  packed = pack.files.map((file) => file.path).sort();

  consumer = path.join(work, 'consumer');
  await mkdir(consumer);
  await writeFile(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // Install scripts are left out: the native SQLite build is the journal's and the CMS suites'
  // business (test/cms/run.sh installs with them); nothing here opens a journal.
  const install = await run('npm', ['install', ...NPM_FLAGS, '--ignore-scripts', path.join(work, pack.filename)], { cwd: consumer, maxBuffer: 16 * 1024 * 1024 });
  installLog = install.stdout + install.stderr;
  installed = path.join(consumer, 'node_modules', 'mailroom-js');
  manifest = JSON.parse(await readFile(path.join(installed, 'package.json'), 'utf8')) as Manifest;
  // @types/node for the consumer projects' tsc runs, as any Node TypeScript app has it.
  await mkdir(path.join(consumer, 'node_modules', '@types'), { recursive: true });
  await symlink(path.join(ROOT, 'node_modules', '@types', 'node'), path.join(consumer, 'node_modules', '@types', 'node'), 'dir');
}, 600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Every subpath of the exports map, with `./adapters/*` expanded to each packed adapter. */
// The Strapi admin entry and the screens are browser modules for the CMS's admin build: they
// import React and Strapi's design system, which a Node consumer does not have (test/cms renders
// them in jsdom, and its e2e builds them into Strapi's admin). The Payload view and screens are the
// same for Payload's Next.js admin build (React, next/navigation, @payloadcms/next).
const BROWSER_ENTRIES = new Set(['./strapi-admin', './admin-ui/screens', './payload-admin', './admin-ui/payload-screens']);

function entries(): string[] {
  const adapters = packed.filter((file) => /^dist\/adapters\/[^/]+\.js$/.test(file)).map((file) => `./adapters/${path.basename(file, '.js')}`);
  return Object.keys(manifest.exports).flatMap((key) => (key === './adapters/*' ? adapters : BROWSER_ENTRIES.has(key) ? [] : [key]));
}
const specifier = (entry: string) => (entry === '.' ? 'mailroom-js' : `mailroom-js/${entry.slice(2)}`);

/** What each entry must export: a name a user imports from it. */
const EXPECTED: Record<string, string> = {
  '.': 'createMailer',
  './config': 'defineConfig',
  './strapi': 'init',
  './payload': 'mailroomAdapter',
  './strapi-server': 'register',
  './events': 'createWebhookHandler',
  './adapter-kit': 'defineHttpAdapter',
  './admin': 'createAdminApi',
  './package.json': 'version',
};
const expectedExport = (entry: string) => EXPECTED[entry] ?? 'fromDsn';

async function node(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, args, { cwd: consumer, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
}

describe('the packed tarball', () => {
  it('holds the built code, types, maps, templates, README and LICENSE, and nothing else', () => {
    const allowed = /^(package\.json|README\.md|LICENSE|dist\/(src|adapters)\/.+\.(js|d\.ts|js\.map)|templates\/.+\.(mjml|hbs|sample\.json)|src\/integrations\/admin-ui\/[a-z-]+\.js)$/;
    expect(packed.filter((file) => !allowed.test(file))).toEqual([]);
    expect(packed).toEqual(expect.arrayContaining(['LICENSE', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'templates/layouts/default.mjml']));
    // No test, fixture, environment, key, certificate or local data file.
    const secretish = /(^|\/)(test|tests|fixtures?|__tests__)\/|\.test\.|(^|\/)\.env|\.(pem|key|crt|cer|p12|pfx|sqlite|db|eml|log|tgz)$|(^|\/)\.npmrc$|(^|\/)(outbox|\.mailroom)\//i;
    expect(packed.filter((file) => secretish.test(file))).toEqual([]);
  });

  it('points every exports target, types and the bin at a packed file', () => {
    const targets = Object.values(manifest.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)));
    const adapterNames = packed.filter((file) => /^dist\/adapters\/[^/]+\.js$/.test(file)).map((file) => path.basename(file, '.js'));
    expect(adapterNames.length).toBeGreaterThanOrEqual(10);
    for (const target of [...targets, ...Object.values(manifest.bin)]) {
      const files = target.includes('*') ? adapterNames.map((name) => target.replace('*', name)) : [target];
      for (const file of files) expect(packed, `${target}`).toContain(file.replace(/^\.\//, ''));
    }
  });

  it('ships source maps that carry their own sources', async () => {
    const maps = packed.filter((file) => file.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(20);
    for (const map of maps) {
      const parsed = JSON.parse(await readFile(path.join(installed, map), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      expect(parsed.sourcesContent?.length, map).toBe(parsed.sources.length);
      expect(parsed.sourcesContent?.every((content) => typeof content === 'string' && content.length > 0), map).toBe(true);
    }
  });

  it('has a LICENSE that matches package.json', async () => {
    expect((manifest as unknown as { license: string }).license).toBe('MIT');
    const license = await readFile(path.join(installed, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} mailroom contributors\n/);
  });
});

describe('installed into an empty project', () => {
  it('installs with no engine warning, and every installed package accepts the Node versions engines claims (on the oldest claimed Node) or the Node installing it', async () => {
    expect(installLog).not.toContain('EBADENGINE');
    // npm prefers, for each dependency, the newest version whose engines accept the Node that runs the
    // install: installed by the oldest Node we claim, the tree must accept every Node we claim; installed
    // by a newer Node (the Node 24 run), it must accept that Node.
    const oldestClaimed = semver.minVersion(manifest.engines.node)!;
    const claimed = semver.major(process.version) === oldestClaimed.major ? manifest.engines.node : process.versions.node;
    const refused: string[] = [];
    const visit = async (modules: string): Promise<void> => {
      const names = await readdir(modules).catch(() => [] as string[]);
      for (const name of names.filter((n) => !n.startsWith('.'))) {
        if (name.startsWith('@')) {
          for (const scoped of await readdir(path.join(modules, name))) await check(path.join(modules, name, scoped));
        } else {
          await check(path.join(modules, name));
        }
      }
    };
    const check = async (dir: string): Promise<void> => {
      const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8').catch(() => '{}')) as { name?: string; version?: string; engines?: { node?: string } };
      const wanted = pkg.engines?.node;
      if (wanted && !semver.subset(claimed, wanted)) refused.push(`${pkg.name}@${pkg.version} wants node ${wanted}`);
      await visit(path.join(dir, 'node_modules'));
    };
    await visit(path.join(consumer, 'node_modules'));
    expect(refused).toEqual([]);
  });

  it('loads every entry of the exports map with import', async () => {
    const list = entries();
    expect(list).toEqual(expect.arrayContaining(['.', './config', './strapi', './payload', './events', './adapters/smtp', './adapters/office365', './package.json']));
    const script = `const out = {};
      for (const [entry, name] of ${JSON.stringify(list.map((entry) => [entry, expectedExport(entry)]))}) {
        const spec = entry === '.' ? 'mailroom-js' : 'mailroom-js/' + entry.slice(2);
        const mod = entry === './package.json' ? await import(spec, { with: { type: 'json' } }).then((m) => m.default) : await import(spec);
        out[entry] = typeof mod[name];
      }
      console.log(JSON.stringify(out));`;
    const { stdout, stderr } = await node(['--input-type=module', '-e', script]);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual(Object.fromEntries(list.map((entry) => [entry, entry === './package.json' ? 'string' : 'function'])));
  });

  it('loads every entry of the exports map with require(), without a warning', async () => {
    const list = entries();
    const script = `const out = {};
      for (const [spec, name] of ${JSON.stringify(list.map((entry) => [specifier(entry), expectedExport(entry)]))}) out[spec] = typeof require(spec)[name];
      console.log(JSON.stringify(out));`;
    const { stdout, stderr } = await node(['-e', script]);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual(Object.fromEntries(list.map((entry) => [specifier(entry), entry === './package.json' ? 'string' : 'function'])));
  });

  it('keeps the main entry to what an application needs; the parts adapters are built from are in mailroom-js/adapter-kit', async () => {
    const script = `const main = await import('mailroom-js'); const kit = await import('mailroom-js/adapter-kit');
      console.log(JSON.stringify({ main: Object.keys(main).sort(), kit: Object.keys(kit).sort() }));`;
    const { stdout } = await node(['--input-type=module', '-e', script]);
    const { main, kit } = JSON.parse(stdout) as { main: string[]; kit: string[] };
    // The values an app uses (the types beside them are checked by test/types): DESIGN.md's names
    // (createMailer, MailError, diagnose, failover) and the helpers the README documents for apps.
    expect(main).toEqual([
      'ALERT_SIGNATURE_HEADER', 'MailError', 'addressProblem', 'checkDsnChain', 'createMailer', 'createTemplateRenderer', 'diagnose',
      'explain', 'failover', 'init', 'isMailError', 'possibleDeliveryReason', 'redactDsn', 'signAlert', 'startWorker', 'verifyAlertSignature',
    ]);
    const moved = [
      'SendLimiter', 'MicrosoftTokenSource', 'OUTLOOK_SCOPE', 'GRAPH_SCOPE', 'buildMime', 'normalizeMessage', 'createMessageId',
      'parseAddress', 'parseAddressList', 'formatAddress', 'toAsciiAddress', 'parseDsn', 'parseDsnChain', 'adaptersFromDsn', 'DSN_SCHEMES',
      'FULL_CAPABILITIES', 'unsupportedReason', 'sendWithin', 'allRecipients', 'toMailError',
    ];
    expect(kit).toEqual(expect.arrayContaining(moved));
    // The journal's class leaves the package surface: an app reads the journal through mailer.journal.
    expect([...main, ...kit]).not.toContain('SendJournal');
    expect([...main, ...kit]).not.toContain('entryTime');
  });

  it('leaves out the provider SDKs most apps never load; a DSN that needs one is a CONFIG error naming the install command', async () => {
    const peers = (manifest as unknown as { peerDependencies: Record<string, string> }).peerDependencies;
    for (const sdk of ['@aws-sdk/client-sesv2', '@azure/msal-node']) {
      expect(await readdir(path.join(consumer, 'node_modules', sdk)).catch(() => 'absent'), sdk).toBe('absent');
    }
    const script = `import { createMailer } from 'mailroom-js';
      const out = {};
      for (const dsn of ['ses+api://AKIAEXAMPLE:secret@default?region=eu-west-1', 'graph://a%40corp.com@contoso.onmicrosoft.com?client_id=c&client_secret=s', 'office365+oauth://a%40corp.com@contoso.onmicrosoft.com?client_id=c&client_secret=s']) {
        try { createMailer({ dsn, journal: false }); out[dsn.split(':')[0]] = 'created'; } catch (error) { out[dsn.split(':')[0]] = [error.code, error.message, error.remedy]; }
      }
      createMailer({ dsn: 'office365://a%40corp.com:pw@default', journal: false });
      console.log(JSON.stringify(out));`;
    const { stdout } = await node(['--input-type=module', '-e', script]);
    const out = JSON.parse(stdout) as Record<string, [string, string, string]>;
    const hint = (name: string) => `npm install ${name}@${peers[name]}`;
    expect(out['ses+api']).toEqual(['CONFIG', expect.stringContaining(hint('@aws-sdk/client-sesv2')), expect.stringContaining(hint('@aws-sdk/client-sesv2'))]);
    expect(out.graph).toEqual(['CONFIG', expect.stringContaining(hint('@azure/msal-node')), expect.stringContaining(hint('@azure/msal-node'))]);
    expect(out['office365+oauth']).toEqual(['CONFIG', expect.stringContaining(hint('@azure/msal-node')), expect.stringContaining(hint('@azure/msal-node'))]);
  });

  it('renders a built-in template and sends through the memory adapter from the installed package', async () => {
    const script = `import { createMailer } from 'mailroom-js';
      import { readFile } from 'node:fs/promises';
      import { createRequire } from 'node:module';
      const samples = createRequire(import.meta.url).resolve('mailroom-js/package.json').replace('package.json', 'templates/order-confirmation.sample.json');
      const mailer = createMailer({ dsn: 'memory://', journal: false, from: 'shop@example.com' });
      const result = await mailer.send({ to: 'ann@example.org', template: { name: 'order-confirmation', data: JSON.parse(await readFile(samples, 'utf8')) } });
      await mailer.close();
      console.log(JSON.stringify({ status: result.status, adapter: result.adapter }));`;
    const { stdout } = await node(['--input-type=module', '-e', script]);
    expect(JSON.parse(stdout)).toEqual({ status: 'sent', adapter: 'memory' });
  });

  it('runs the mailroom bin: --version and --help', async () => {
    const bin = path.join(consumer, 'node_modules', '.bin', 'mailroom');
    const version = await run(bin, ['--version'], { cwd: consumer });
    expect(version.stdout.trim()).toBe(manifest.version);
    const help = await run(bin, ['--help'], { cwd: consumer });
    expect(help.stdout).toContain('Usage: mailroom');
    for (const command of ['send', 'journal', 'test', 'verify', 'resend', 'explain', 'doctor', 'preview']) expect(help.stdout).toContain(`\n  ${command}`);
  });
});

describe('types for a TypeScript consumer', () => {
  // NodeNext also checks the package's declarations themselves (skipLibCheck off): the slow one.
  it.each(['node16', 'nodenext', 'bundler', 'node10'])('compiles test/types under moduleResolution %s', { timeout: 180_000 }, async (mode) => {
    const project = path.join(consumer, `types-${mode}`);
    await cp(path.join(ROOT, 'test', 'types'), project, { recursive: true });
    // The README's "Write your own adapter" example, compiled against the installed adapter kit.
    await cp(path.join(ROOT, 'examples', 'own-adapter', 'acme-mail.ts'), path.join(project, 'acme-mail.ts'));
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', path.join(project, `tsconfig.${mode}.json`)], { cwd: project }).catch(
      (error: { stdout: string; stderr: string }) => error,
    );
    expect(`${result.stdout}${result.stderr}`).toBe('');
  });
});
