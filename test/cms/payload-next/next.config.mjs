import { withPayload } from '@payloadcms/next/withPayload';

// tsx (mailroom reads a TypeScript mailroom.config.ts with it) ships esbuild's native binary: Node
// loads it, the bundler must not. mailroom's optional packages need nothing here (their imports
// are marked for bundlers to skip).
export default withPayload({ serverExternalPackages: ['tsx', 'esbuild'] });
