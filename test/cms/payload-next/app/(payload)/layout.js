// Payload's admin layout (as in Payload's blank template, plain JS): its root layout and the server functions the admin calls.
import '@payloadcms/next/css';
import * as React from 'react';
import { handleServerFunctions, RootLayout } from '@payloadcms/next/layouts';
import config from '../../payload.config.js';
import { importMap } from './admin/importMap.js';

async function serverFunction(args) {
  'use server';
  return handleServerFunctions({ ...args, config, importMap });
}

export default function Layout({ children }) {
  return React.createElement(RootLayout, { config, importMap, serverFunction }, children);
}
