// `mailroom preview`: lists templates, renders one with a data file or its sample, prints the subject
// and the text part or writes the html; errors exit 1 with the TEMPLATE message. Also checks that the
// built-in templates/ folder is found from a compiled dist/src/ as well as from src/.
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
// The CLI runs from src/ through tsx, resolved here: the child's working folder has no node_modules.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
let dir: string;

function preview(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, path.join(ROOT, 'src', 'cli', 'main.ts'), 'preview', ...args], { cwd: dir, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mailroom-preview-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mailroom preview', () => {
  it('lists the templates, the app folder first', async () => {
    await mkdir(path.join(dir, 'emails'));
    await writeFile(path.join(dir, 'emails', 'welcome.mjml'), '---\nsubject: "Welcome {{name}}"\n---\n<mj-section><mj-column><mj-text>Hi {{name}}</mj-text></mj-column></mj-section>');
    const listed = await preview(['--dir', 'emails']);
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split('\n')).toEqual(['contact-form', 'contact-form-receipt', 'order-confirmation', 'password-reset', 'test-email', 'welcome']);
  });

  it('writes the html with --out and prints the subject; without --out prints the text part', async () => {
    await writeFile(path.join(dir, 'order.json'), await readFile(path.join(ROOT, 'templates', 'order-confirmation.sample.json')));
    const written = await preview(['order-confirmation', '--data', 'order.json', '--locale', 'fr', '--out', 'page.html']);
    expect(written.stderr).toBe('');
    expect(written.code).toBe(0);
    expect(written.stdout).toMatch(/^subject: Commande 1042 confirmée\nhtml: .*page\.html \(\d+ bytes, from .*order-confirmation\.fr\.mjml\)\n$/);
    const html = await readFile(path.join(dir, 'page.html'), 'utf8');
    expect(html).toContain('<html lang="fr"');
    expect(html).toContain('Olive wood serving board, large');

    // No --data: the template's sample file; the contact form also shows its reply-to.
    const shown = await preview(['contact-form']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('subject: Contact form: Léa Dubois – Custom order for a wedding\nreply-to: Léa Dubois <lea.dubois@example.org>\n\nNew message from the contact form\n');
  });

  it('a French preview without --data shows the French sample data, and the page title is the subject', async () => {
    const shown = await preview(['order-confirmation', '--locale', 'fr-CA', '--out', 'fr.html']);
    expect(shown.stderr).toBe('');
    expect(shown.code).toBe(0);
    const html = await readFile(path.join(dir, 'fr.html'), 'utf8');
    expect(html).toContain('<title>Commande 1042 confirmée</title>');
    expect(html).toContain('Planche de service en olivier, grande');
    expect(html).not.toContain('Olive wood');
  });

  it('takes NAME.LOCALE.sample.json when there is one, else NAME.sample.json', async () => {
    const text = await preview(['contact-form-receipt', '--locale', 'fr']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Serait-il possible de commander 40 tasses gravées');
    // English stays English; a template without a French sample (test-email) uses its only one.
    expect((await preview(['contact-form-receipt'])).stdout).toContain('Would it be possible to order 40 engraved mugs');
    expect((await preview(['test-email', '--locale', 'fr'])).stdout).toContain('subject: E-mail de test mailroom via office365');
  });

  it('exits 1 with the TEMPLATE error for missing data or an unknown name', async () => {
    await writeFile(path.join(dir, 'empty.json'), '{}');
    const missing = await preview(['password-reset', '--data', 'empty.json']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('error TEMPLATE');
    expect(missing.stderr).toContain('the data lacks "user.name"');
    const unknown = await preview(['pasword-reset']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown template "pasword-reset"; known templates: contact-form');
  });
});

describe('built-in folder lookup', () => {
  it('finds templates/ from a compiled dist/src/templates/templates.js', async () => {
    // The package layout: <root>/dist/src/<part>/*.js and <root>/templates.
    const root = path.join(dir, 'package');
    await mkdir(root, { recursive: true });
    await symlink(path.join(ROOT, 'templates'), path.join(root, 'templates'));
    await symlink(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'));
    await writeFile(path.join(root, 'package.json'), '{"type":"module"}');
    for (const name of ['templates/templates', 'templates/failure-source', 'templates/url-guard', 'templates/template-source', 'templates/template-text', 'templates/template-helpers', 'templates/template-options', 'core/errors', 'core/policy', 'core/diagnose', 'core/address', 'core/known-options']) {
      const source = await readFile(path.join(ROOT, 'src', `${name}.ts`), 'utf8');
      const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 }, fileName: `${name}.ts` });
      await mkdir(path.dirname(path.join(root, 'dist', 'src', name)), { recursive: true });
      await writeFile(path.join(root, 'dist', 'src', `${name}.js`), outputText);
    }
    const script = `const { createTemplateRenderer } = await import(${JSON.stringify(path.join(root, 'dist', 'src', 'templates', 'templates.js'))});
      const out = await createTemplateRenderer().render('test-email', { adapter: 'memory', time: '2025-01-01T00:00:00Z', host: 'h1' }, 'fr');
      console.log(out.subject);`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    expect(stdout.trim()).toBe('E-mail de test mailroom via memory');
  });
});
