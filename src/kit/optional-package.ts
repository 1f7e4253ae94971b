// Provider SDKs that most applications never load (the AWS SDK for SES, msal-node for Microsoft
// OAuth2 and Graph) are optional peer dependencies: an install carries them only when the app adds
// them. An adapter that needs one checks at setup that it resolves (without loading it), so a DSN
// naming the provider is a CONFIG error at boot whose remedy is the exact install command, and
// loads it on first use. Every import() of an optional package (here, ioredis, pg) carries
// webpackIgnore/turbopackIgnore: a Next.js app (Payload's admin) bundles mailroom with its server
// code, and a bundler fails the build on a package that is not installed.
import { createRequire } from 'node:module';
import { MailError } from '../core/errors.js';

/** An optional peer dependency: its name and the range package.json declares for it. */
export interface OptionalPackage {
  name: string;
  range: string;
}

/** @aws-sdk/client-sesv2, for the SES adapter. */
export const AWS_SES_SDK: OptionalPackage = Object.freeze({ name: '@aws-sdk/client-sesv2', range: '^3.1176.0' });
/** @azure/msal-node, for Office 365 OAuth2 and Microsoft Graph tokens. */
export const MSAL_NODE: OptionalPackage = Object.freeze({ name: '@azure/msal-node', range: '^7.2.3' });

const require = createRequire(import.meta.url);

/** The command that installs `pkg` in the range mailroom-js is tested with. */
export function installCommand(pkg: OptionalPackage): string {
  return `npm install ${pkg.name}@${pkg.range}`;
}

/** The CONFIG error for a missing optional package: the message and the remedy give the install command. */
export function missingPackageError(pkg: OptionalPackage, provider: string, cause?: unknown): MailError {
  return new MailError('CONFIG', `the ${provider} adapter needs ${pkg.name}, which is not installed (an optional peer dependency of mailroom-js): ${installCommand(pkg)}`, {
    provider,
    remedy: `Run \`${installCommand(pkg)}\` in the application's folder (only the apps that use ${provider} install it), then start the app again.`,
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** Throws the CONFIG error when `pkg` cannot be found from here; never loads it. */
export function requireInstalled(pkg: OptionalPackage, provider: string): void {
  try {
    require.resolve(pkg.name);
  } catch (error) {
    throw missingPackageError(pkg, provider, error);
  }
}

/** Runs `load` (an `import()` of `pkg`), turning "not found" into the CONFIG error with the install command. */
export async function loadOptional<T>(pkg: OptionalPackage, provider: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const notFound = (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((error as Error).message).includes(pkg.name);
    if (notFound) throw missingPackageError(pkg, provider, error);
    throw error;
  }
}
